import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { TwilioError } from '../core/errors.ts';

/** Open sockets one identity may hold on one endpoint of a node, unless configured otherwise. */
export const DEFAULT_SOCKETS_PER_IDENTITY = 10;

/**
 * The largest frame that can carry JSON text of `chars` UTF-16 units: a client may write any
 * character as \uXXXX (6 bytes), so a frame the server would accept is never cut off; the
 * envelope (type, SIDs, ref) fits in `envelopeBytes`.
 */
export function jsonFrameLimit(chars: number, envelopeBytes = 8 * 1024): number {
  return chars * 6 + envelopeBytes;
}

export interface SocketLimits {
  /** A larger frame closes its socket with 1009 (Message Too Big); ws refuses it before buffering it whole. */
  maxFrameBytes: number;
  /** Open sockets per identity on this endpoint and node. */
  perIdentity: number;
}

/**
 * A WebSocket endpoint held to the limits every endpoint has, so the next one gets them by
 * construction: a frame size fitted to what it carries, and a share of sockets per identity.
 * The extra socket is refused (429) rather than an old one closed: closing the oldest would let
 * anyone holding a copy of a token push its owner off, over and over.
 */
export class SocketEndpoint {
  private readonly wss: WebSocketServer;
  private readonly open = new Map<string, number>();

  constructor(private readonly limits: SocketLimits) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes });
  }

  /**
   * Completes the upgrade of an authenticated `identity`, or refuses it when that identity has its
   * share open. A socket that `replacesOthers` (it closes the identity's other sockets as it opens)
   * is let in regardless.
   */
  accept(identity: string, req: IncomingMessage, socket: Duplex, head: Buffer, opened: (ws: WebSocket) => void, replacesOthers = false): void {
    // Gone while it was being authenticated: its 'close' has passed, so it must not be counted.
    if (socket.destroyed) return;
    const n = this.open.get(identity) ?? 0;
    if (n >= this.limits.perIdentity && !replacesOthers)
      return refuseUpgrade(socket, new TwilioError(20429, 429, `Too Many Requests: ${identity} already has ${n} sockets open here; close one first`));
    this.open.set(identity, n + 1);
    // The TCP socket's close covers both a handshake that fails and a socket that opened.
    socket.once('close', () => {
      const left = (this.open.get(identity) ?? 1) - 1;
      if (left > 0) this.open.set(identity, left);
      else this.open.delete(identity);
    });
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // ws closes the socket itself on a protocol error (1009 for a frame over the limit), then
      // emits 'error', which would end the process if nobody listened.
      ws.on('error', () => undefined);
      opened(ws);
    });
  }

  /**
   * Completes an upgrade whose identity the client gives only in its first frame (twilsock's init
   * carries the token): the frame limit applies at once, the share once `admit` knows who it is.
   */
  acceptUnidentified(req: IncomingMessage, socket: Duplex, head: Buffer, opened: (ws: WebSocket) => void): void {
    if (socket.destroyed) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => undefined);
      opened(ws);
    });
  }

  /** Counts an open socket against `identity`; false (and not counted) when that identity has its share open. */
  admit(identity: string, ws: WebSocket): boolean {
    const n = this.open.get(identity) ?? 0;
    if (n >= this.limits.perIdentity) return false;
    this.open.set(identity, n + 1);
    ws.once('close', () => {
      const left = (this.open.get(identity) ?? 1) - 1;
      if (left > 0) this.open.set(identity, left);
      else this.open.delete(identity);
    });
    return true;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

/**
 * Closes a socket with 1001 (Going Away), as a server shutting down does, so the client reconnects
 * (through a proxy, to another node). A client that does not answer the close within `graceMs` is
 * cut off. Resolves once the socket is closed.
 */
export function goAway(ws: WebSocket, graceMs = 1000): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    const timer = setTimeout(() => ws.terminate(), graceMs);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close(1001, 'The server is shutting down');
  });
}

/** Answers an upgrade (or a request Node's parser refused) with Twilio's error body, and closes; a HEAD gets no body. */
export function refuseUpgrade(socket: Duplex, e: TwilioError, head = false): void {
  const body = JSON.stringify({ code: e.code, message: e.message, more_info: e.moreInfo, status: e.status });
  socket.end(
    `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? '' : body}`,
  );
}
