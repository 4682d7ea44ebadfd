import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';

/** A comment line this often keeps proxies and the page from taking a quiet stream for a dead one. */
export const HEARTBEAT_MS = 15_000;

/**
 * One Server-Sent Events response (text/event-stream): named events with JSON data, a heartbeat
 * comment, and one `closed` callback however it ends (the page went away, the server ended it, or
 * the server is closing).
 */
export class EventStream {
  private readonly body = new PassThrough();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly closers: (() => void)[] = [];
  private ended = false;

  constructor(heartbeatMs = HEARTBEAT_MS) {
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), heartbeatMs);
    this.heartbeat.unref();
    this.body.on('close', () => this.finish());
    // The page asks again after 3 s if the connection drops; the first bytes let the headers go out now.
    this.write('retry: 3000\n: connected\n\n');
  }

  /** Answers the request with this stream. */
  reply(reply: FastifyReply): FastifyReply {
    return reply
      .code(200)
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache, no-transform')
      // nginx buffers responses unless told not to; Caddy flushes event streams by itself.
      .header('x-accel-buffering', 'no')
      .send(this.body);
  }

  get open(): boolean {
    return !this.ended;
  }

  /** An event whose data is JSON text already (one board serialised once for every page that watches it). */
  sendRaw(event: string, json: string): void {
    this.write(`event: ${event}\ndata: ${json}\n\n`);
  }

  send(event: string, data: unknown): void {
    this.sendRaw(event, JSON.stringify(data));
  }

  /** Ends the stream, after a last event saying why (the page then knows not to ask again with the same token). */
  end(event?: string, data?: unknown): void {
    if (this.ended) return;
    if (event) this.send(event, data ?? {});
    this.body.end();
    this.finish();
  }

  onClosed(fn: () => void): void {
    if (this.ended) fn();
    else this.closers.push(fn);
  }

  private write(text: string): void {
    if (!this.ended && this.body.writable) this.body.write(text);
  }

  private finish(): void {
    if (this.ended && this.closers.length === 0) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    for (const fn of this.closers.splice(0)) fn();
  }
}
