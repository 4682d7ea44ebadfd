import { invalidParameter } from '../core/errors.ts';
import { refuseNul } from '../core/input.ts';
import type { FrameHeader } from './frame.ts';

/**
 * An HTTP request tunnelled in a `message` frame: `http_request {host, path, method, params,
 * headers}` in the header, the body as the payload (its type in `payload_type`). `host` names the
 * service the SDK meant (aim.<region>.twilio.com for the client API, cds.<region>.twilio.com for
 * Sync), `params` is the query as the SDK split it, still percent-encoded.
 */
export interface UpstreamRequest {
  host: string;
  /** The first label of the host: aim, cds... */
  service: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** As sent: still percent-encoded, so that an encoded / stays inside its segment. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  contentType: string;
  body: string;
}

export interface UpstreamResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;

/** Reads a message frame's request; anything malformed is a 400 (20001) answered in the reply. */
export function parseUpstream(header: FrameHeader, payload: string): UpstreamRequest {
  const r = header.http_request as Record<string, unknown> | undefined;
  if (!r || typeof r !== 'object' || Array.isArray(r)) throw invalidParameter('Invalid message: no http_request');
  const { host, path, method } = r;
  if (typeof host !== 'string' || !/^[a-z0-9.-]+(:\d+)?$/i.test(host)) throw invalidParameter('Invalid message: http_request.host is not a host name');
  if (typeof path !== 'string' || !path.startsWith('/')) throw invalidParameter('Invalid message: http_request.path must start with /');
  if (typeof method !== 'string' || !(METHODS as readonly string[]).includes(method.toUpperCase()))
    throw invalidParameter(`Invalid message: http_request.method must be one of ${METHODS.join(', ')}`);
  decode(path, 'path');
  return {
    host: host.toLowerCase(),
    service: host.split('.')[0].toLowerCase(),
    method: method.toUpperCase() as UpstreamRequest['method'],
    path,
    query: query(r.params),
    headers: strings(r.headers, 'headers'),
    contentType: typeof header.payload_type === 'string' ? header.payload_type : 'application/json',
    body: payload,
  };
}

export function decode(text: string, what: string): string {
  let out: string;
  try {
    out = decodeURIComponent(text);
  } catch {
    throw invalidParameter(`Invalid message: http_request.${what} has a malformed percent-encoding`);
  }
  refuseNul(out, `http_request.${what}`);
  return out;
}

function query(params: unknown): URLSearchParams {
  const out = new URLSearchParams();
  if (params === undefined || params === null) return out;
  if (typeof params !== 'object' || Array.isArray(params)) throw invalidParameter('Invalid message: http_request.params must be an object');
  for (const [k, v] of Object.entries(params)) {
    for (const one of Array.isArray(v) ? v : [v]) {
      if (typeof one !== 'string') throw invalidParameter(`Invalid message: http_request.params.${k} must be a string`);
      out.append(decode(k, 'params'), decode(one, 'params'));
    }
  }
  return out;
}

function strings(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParameter(`Invalid message: http_request.${what} must be an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}
