import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { encodeFrame, type FrameHeader } from './frame.ts';

/** Who a twilsock session acts for, once `init` was answered; `key` counts its sockets, `expiresAt` ends it. */
export interface Principal {
  key: string;
  /** When the token runs out (epoch ms). */
  expiresAt: number;
}

/** Twilsock's status object in reply and close headers (the SDK reads code, errorCode, description). */
export interface Status {
  code: number;
  status: string;
  description?: string;
  errorCode?: number;
}

export const OK: Status = { code: 200, status: 'OK' };

/**
 * Flow control of notifications, unless configured: at most `window` sent and not yet acknowledged,
 * the rest waiting in order; a client with more than `queue` waiting is too slow to keep and is
 * closed (it reconnects and replays from where it got). A replay is at most REPLAY_LIMIT events for
 * each of MAX_BATCH objects, which the queue holds.
 */
export const NOTIFICATION_FLOW = { window: 500, queue: 25_000 };

/**
 * One twilsock connection: its socket, who it acts for once initialised, and what it was sent and
 * not yet acknowledged (the client answers every notification with a reply).
 */
export class TwilsockSession<P extends Principal = Principal> {
  readonly id = randomUUID();
  principal: P | null = null;
  /** An init is being answered: a second one meanwhile is refused, not run twice. */
  initialising = false;
  /** Whether the client was told its token is about to expire (reset by a renewal). */
  warned = false;
  /** Whether the server has said goodbye (a close frame): nothing more is sent. */
  closing = false;
  private readonly unacknowledged = new Set<string>();
  private readonly waiting: { id: string; messageType: string; payload: unknown }[] = [];

  constructor(
    readonly ws: WebSocket,
    /** http(s)://host the client reached the server at, for links it follows over plain HTTP (media). */
    readonly origin: string,
    private readonly flow = NOTIFICATION_FLOW,
  ) {}

  get open(): boolean {
    return !this.closing && this.ws.readyState === this.ws.OPEN;
  }

  send(header: FrameHeader, payload?: unknown): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const text = payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload);
    this.ws.send(encodeFrame(payload === undefined ? header : { payload_type: 'application/json', ...header }, text));
  }

  reply(id: string | undefined, status: Status, extra: Record<string, unknown> = {}, payload?: unknown): void {
    this.send({ method: 'reply', id: id ?? `TM${randomUUID()}`, status, ...extra }, payload);
  }

  /** Pushes a notification of `messageType`, in order, as the client's acknowledgements let it. */
  notify(messageType: string, payload: unknown): void {
    if (!this.open) return;
    if (this.waiting.length >= this.flow.queue) {
      this.ws.close(1008, 'Too many notifications waiting for acknowledgement');
      return;
    }
    this.waiting.push({ id: `TM${randomUUID()}`, messageType, payload });
    this.drain();
  }

  acknowledged(id: string | undefined): void {
    if (id !== undefined && this.unacknowledged.delete(id)) this.drain();
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.unacknowledged.size < this.flow.window && this.open) {
      const n = this.waiting.shift() as { id: string; messageType: string; payload: unknown };
      this.unacknowledged.add(n.id);
      this.send({ method: 'notification', id: n.id, message_type: n.messageType }, n.payload);
    }
  }

  /**
   * Says goodbye with a close frame (410 expired token, 406 unreadable frame...) and lets the client
   * close the socket, as the SDK does on such a frame; one that does not is cut off after `graceMs`.
   */
  goodbye(status: Status, graceMs: number): void {
    if (this.closing) return;
    this.send({ method: 'close', id: `TM${randomUUID()}`, status });
    this.closing = true;
    const timer = setTimeout(() => this.ws.terminate(), graceMs);
    timer.unref();
    this.ws.once('close', () => clearTimeout(timer));
  }
}
