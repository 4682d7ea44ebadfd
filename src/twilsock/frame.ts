import { invalidParameter } from '../core/errors.ts';
import { parseJson } from '../core/input.ts';

/**
 * Twilsock's frame, as the official SDK's twilsock layer writes and reads it (binary WebSocket
 * messages): `TWILSOCK V3.0 <header bytes>\r\n<JSON header>\r\n<payload>`. The header names the
 * method (init, update, message, reply, notification, client_update, close...) and, through
 * `payload_size` and `payload_type`, the payload after it. Pure: no I/O.
 */
export interface Frame {
  header: FrameHeader;
  /** The payload as text ('' when there is none); JSON when payload_type says so or is absent. */
  payload: string;
}

export interface FrameHeader {
  method: string;
  id?: string;
  payload_size?: number;
  payload_type?: string;
  [key: string]: unknown;
}

const MAGIC = 'TWILSOCK V3.0 ';
/** A header length needs at most this many digits: no frame the endpoint accepts is larger. */
const MAX_LENGTH_DIGITS = 8;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads one frame. Anything that is not exactly a frame (wrong magic or version, a length that is
 * not a number or runs past the end, a header that is not a JSON object with a method, a payload
 * whose size disagrees with `payload_size`, bytes that are not UTF-8) is a TwilioError 20001.
 */
export function decodeFrame(data: Uint8Array): Frame {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const magicEnd = MAGIC.length;
  if (bytes.length < magicEnd || bytes.toString('latin1', 0, magicEnd) !== MAGIC) throw invalidParameter('Invalid frame: not TWILSOCK V3.0');
  const eol = bytes.indexOf('\r\n', magicEnd, 'latin1');
  const digits = eol < 0 ? '' : bytes.toString('latin1', magicEnd, eol);
  if (!/^\d+$/.test(digits) || digits.length > MAX_LENGTH_DIGITS) throw invalidParameter('Invalid frame: the header length is not a number');
  const headerStart = eol + 2;
  const headerEnd = headerStart + Number(digits);
  if (headerEnd + 2 > bytes.length || bytes.toString('latin1', headerEnd, headerEnd + 2) !== '\r\n')
    throw invalidParameter('Invalid frame: the header is not followed by CRLF where its length says');
  const header = parseJson(text(bytes, headerStart, headerEnd, 'header'), 'frame header');
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw invalidParameter('Invalid frame: the header must be a JSON object');
  const h = header as FrameHeader;
  if (typeof h.method !== 'string' || h.method === '') throw invalidParameter('Invalid frame: the header has no method');
  if (h.id !== undefined && typeof h.id !== 'string') throw invalidParameter('Invalid frame: the header id must be a string');
  const payloadLength = bytes.length - headerEnd - 2;
  const declared = h.payload_size ?? 0;
  if (declared !== payloadLength) throw invalidParameter(`Invalid frame: payload_size is ${String(declared)} but ${payloadLength} bytes follow the header`);
  return { header: h, payload: text(bytes, headerEnd + 2, bytes.length, 'payload') };
}

function text(bytes: Buffer, start: number, end: number, what: string): string {
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch {
    throw invalidParameter(`Invalid frame: the ${what} is not UTF-8`);
  }
}

/** Writes a frame: the header (with its payload_size) and the payload, as the SDK's parser reads them. */
export function encodeFrame(header: FrameHeader, payload = ''): Buffer {
  const body = Buffer.from(payload, 'utf8');
  const head = Buffer.from(JSON.stringify({ ...header, payload_size: body.length }), 'utf8');
  return Buffer.concat([Buffer.from(`${MAGIC}${head.length}\r\n`, 'latin1'), head, Buffer.from('\r\n', 'latin1'), body]);
}

/** Whether a payload of this type is JSON: the SDK's rule (no type, or application/json...). */
export function isJsonPayload(payloadType: string | undefined): boolean {
  return payloadType === undefined || payloadType.startsWith('application/json');
}
