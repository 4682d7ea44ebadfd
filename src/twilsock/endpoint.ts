import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { WebSocket } from 'ws';
import type { Clock } from '../core/clock.ts';
import { TwilioError, notFound } from '../core/errors.ts';
import { routeUpgrade } from '../http/upgrades.ts';
import { goAway, refuseUpgrade, SocketEndpoint, type SocketLimits } from '../http/websocket-limits.ts';
import { decodeFrame, type Frame } from './frame.ts';
import { NOTIFICATION_FLOW, OK, TwilsockSession, type Principal } from './session.ts';
import { parseUpstream, type UpstreamRequest, type UpstreamResponse } from './upstream.ts';

/** The twilsock endpoint's paths: by prefix on this server, or as tsock.<region>.twilio.com is reached (Host). */
export const TWILSOCK_PATH = '/tsock/v3/wsconnect';
const HOST_PATH = '/v3/wsconnect';
const TSOCK_HOST = /^tsock(\.[a-z0-9-]+)*\.twilio\.com(:\d+)?$/i;

/** Why a token was refused: the status of init's (or update's) reply; `errorCode` 20104 makes the SDK report an expired token. */
export class TokenRefused extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the endpoint needs from the product behind it. */
export interface TwilsockApp<P extends Principal> {
  /** Verifies a token (init, or update with the principal it had); throws TokenRefused. */
  authenticate(token: string, previous: P | null): Promise<P>;
  /** Answers one tunnelled HTTP request. */
  request(session: TwilsockSession<P>, req: UpstreamRequest): Promise<UpstreamResponse>;
  opened?(session: TwilsockSession<P>): void;
  closed?(session: TwilsockSession<P>): void;
}

export interface TwilsockOptions {
  limits: SocketLimits;
  /** How long before expiry the client is told to renew its token (Twilio: a few minutes). */
  warnBeforeMs?: number;
  /** How often tokens are checked against the clock. */
  checkEveryMs?: number;
  /** How long a client has to send init. */
  initTimeoutMs?: number;
  /** How long a client told goodbye has to close its socket itself. */
  closeGraceMs?: number;
  /** Tunnelled requests one session may have under way at once; more wait their turn. */
  concurrentRequests?: number;
  /** Notifications sent ahead of acknowledgements, and waiting at most before a client is closed as too slow. */
  notificationFlow?: { window: number; queue: number };
}

const DEFAULTS = { warnBeforeMs: 3 * 60_000, checkEveryMs: 1_000, initTimeoutMs: 10_000, closeGraceMs: 5_000, concurrentRequests: 16, notificationFlow: NOTIFICATION_FLOW };

/**
 * The twilsock endpoint of the official client SDKs (`@twilio/conversations`, twilio-sync): one
 * WebSocket per client, binary frames (frame.ts). The client sends `init` with its access token and
 * is answered with the capabilities; then `message` frames carry HTTP requests to the product
 * (answered by `reply` frames with an http_status), `update` renews the token, and the server pushes
 * `notification` frames, each acknowledged by a reply. Tokens are watched: the client is told
 * `token_about_to_expire` ahead of time and closed with 410 when it runs out.
 */
export class TwilsockEndpoint<P extends Principal> {
  private readonly endpoint: SocketEndpoint;
  private readonly sessions = new Set<TwilsockSession<P>>();
  private readonly settings: typeof DEFAULTS;
  private readonly timer: NodeJS.Timeout;
  private readonly log: FastifyInstance['log'];

  constructor(
    app: FastifyInstance,
    private readonly clock: Clock,
    private readonly product: TwilsockApp<P>,
    options: TwilsockOptions,
  ) {
    // An option left undefined keeps its default.
    this.settings = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    this.log = app.log.child({ component: 'twilsock' });
    this.endpoint = new SocketEndpoint(options.limits);
    routeUpgrade(app, TWILSOCK_PATH, (req, socket, head) => this.upgrade(req, socket, head, false));
    routeUpgrade(app, HOST_PATH, (req, socket, head) => this.upgrade(req, socket, head, true));
    this.timer = setInterval(() => this.checkTokens(), this.settings.checkEveryMs);
    this.timer.unref();
  }

  /** The sessions open on this node, initialised or not. */
  get all(): ReadonlySet<TwilsockSession<P>> {
    return this.sessions;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, byHost: boolean): void {
    if (byHost && !TSOCK_HOST.test(req.headers.host ?? '')) return refuseUpgrade(socket, notFound(HOST_PATH));
    const proto = headerValue(req.headers['x-forwarded-proto']) ?? ((socket as Partial<TLSSocket>).encrypted ? 'https' : 'http');
    const origin = `${proto}://${req.headers.host ?? 'localhost'}`;
    this.endpoint.acceptUnidentified(req, socket, head, (ws) => this.open(ws, origin));
  }

  private open(ws: WebSocket, origin: string): void {
    const session = new TwilsockSession<P>(ws, origin, this.settings.notificationFlow);
    this.sessions.add(session);
    const initTimer = setTimeout(() => {
      if (!session.principal) ws.close(1008, 'init expected');
    }, this.settings.initTimeoutMs);
    initTimer.unref();
    const queue = new Limiter(this.settings.concurrentRequests);
    ws.on('message', (data) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      this.onFrame(session, bytes, queue).catch((err) => this.fail(session, err));
    });
    ws.on('close', () => {
      clearTimeout(initTimer);
      this.sessions.delete(session);
      if (session.principal) this.product.closed?.(session);
    });
  }

  private async onFrame(session: TwilsockSession<P>, bytes: Buffer, queue: Limiter): Promise<void> {
    if (session.closing) return;
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (err) {
      // Twilio closes a connection whose frames it cannot read with 406; the SDK then stops for good.
      return session.goodbye({ code: 406, status: 'NOT_ACCEPTABLE', description: (err as Error).message }, this.settings.closeGraceMs);
    }
    const { header } = frame;
    switch (header.method) {
      case 'reply':
        return session.acknowledged(header.id);
      case 'init':
        return this.init(session, frame);
      case 'close':
        session.closing = true;
        return void session.ws.close(1000);
    }
    if (!session.principal) return session.reply(header.id, { code: 401, status: 'UNAUTHORIZED', description: 'The connection is not initialised: send init first' });
    switch (header.method) {
      case 'update':
        return this.update(session, frame);
      case 'message':
        return queue.run(() => this.message(session, frame));
      case 'telemetry.v1':
      case 'put_notification_ctx':
      case 'delete_notification_ctx':
        // Push registrations and telemetry are accepted and not kept: push delivery is out of scope.
        return session.reply(header.id, OK);
      default:
        return session.reply(header.id, { code: 400, status: 'BAD_REQUEST', description: `Unknown method '${header.method}'` });
    }
  }

  private async init(session: TwilsockSession<P>, frame: Frame): Promise<void> {
    const { header } = frame;
    if (session.principal || session.initialising) return session.reply(header.id, { code: 400, status: 'BAD_REQUEST', description: 'Already initialised' });
    session.initialising = true;
    let principal: P;
    try {
      principal = await this.product.authenticate(typeof header.token === 'string' ? header.token : '', null);
    } catch (err) {
      return this.refuse(session, header.id, err);
    } finally {
      session.initialising = false;
    }
    if (!session.ws || session.ws.readyState !== session.ws.OPEN) return;
    if (!this.endpoint.admit(principal.key, session.ws)) {
      // The SDK backs off and tries again on 429.
      session.reply(header.id, { code: 429, status: 'TOO_MANY_REQUESTS', errorCode: 20429, description: 'Too many connections for this identity; close one first' });
      return session.goodbye({ code: 429, status: 'TOO_MANY_REQUESTS' }, this.settings.closeGraceMs);
    }
    session.principal = principal;
    session.reply(header.id, OK, { continuation_token: session.id, continuation_token_status: { reissued: true }, capabilities: ['client_update'] });
    this.product.opened?.(session);
    this.warnIfDue(session);
  }

  private async update(session: TwilsockSession<P>, frame: Frame): Promise<void> {
    const { header } = frame;
    try {
      session.principal = await this.product.authenticate(typeof header.token === 'string' ? header.token : '', session.principal);
    } catch (err) {
      return this.refuse(session, header.id, err);
    }
    session.warned = false;
    session.reply(header.id, OK);
    this.warnIfDue(session);
  }

  /** A refused token: the reply says why (the SDK stops on 401/403 and reports 20104 as expired), then the client closes. */
  private refuse(session: TwilsockSession<P>, id: string | undefined, err: unknown): void {
    if (!(err instanceof TokenRefused)) throw err;
    session.reply(id, { code: err.status, status: err.status === 403 ? 'FORBIDDEN' : 'UNAUTHORIZED', errorCode: err.errorCode, description: err.message });
    session.closing = true;
    const timer = setTimeout(() => session.ws.terminate(), this.settings.closeGraceMs);
    timer.unref();
    session.ws.once('close', () => clearTimeout(timer));
  }

  private async message(session: TwilsockSession<P>, frame: Frame): Promise<void> {
    const { header } = frame;
    let response: UpstreamResponse;
    try {
      response = await this.product.request(session, parseUpstream(header, frame.payload));
    } catch (err) {
      if (!(err instanceof TwilioError)) this.log.error({ err, path: (header.http_request as { path?: unknown } | undefined)?.path }, 'twilsock: a tunnelled request failed');
      response = errorResponse(err);
    }
    session.reply(
      header.id,
      OK,
      { payload_type: 'application/json', http_status: { code: response.status, status: statusText(response.status) }, http_headers: response.headers ?? {} },
      response.body ?? {},
    );
  }

  /** A failure nobody foresaw while handling a frame: logged, and the socket closed (the client reconnects). */
  private fail(session: TwilsockSession<P>, err: unknown): void {
    this.log.error({ err }, 'twilsock: a frame could not be handled');
    session.ws.close(1011, 'Internal error');
  }

  /** Tells clients their token runs out soon, and closes those whose token ran out (410, as Twilio). */
  checkTokens(): void {
    const now = this.clock.now();
    for (const s of this.sessions) {
      if (!s.principal || s.closing) continue;
      if (s.principal.expiresAt <= now) s.goodbye({ code: 410, status: 'TOKEN_EXPIRED', errorCode: 20104, description: 'Access token expired' }, this.settings.closeGraceMs);
      else this.warnIfDue(s);
    }
  }

  private warnIfDue(s: TwilsockSession<P>): void {
    if (s.warned || !s.principal || s.principal.expiresAt - this.clock.now() > this.settings.warnBeforeMs) return;
    s.warned = true;
    s.send({ method: 'client_update', id: `TM${s.id}-${Date.now()}`, client_update_type: 'token_about_to_expire' });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.sessions].map((s) => goAway(s.ws)));
    this.sessions.clear();
    await this.endpoint.close();
  }
}

/** A failure as the tunnelled HTTP answer: a TwilioError's status and Twilio's body; anything else a 500. */
function errorResponse(err: unknown): UpstreamResponse {
  const e = err instanceof TwilioError ? err : new TwilioError(20500, 500, 'An internal server error occurred');
  return { status: e.status, body: { code: e.code, message: e.message, more_info: e.moreInfo, status: e.status } };
}

function statusText(code: number): string {
  return code >= 200 && code < 300 ? 'OK' : (STATUS[code] ?? 'ERROR');
}

const STATUS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 412: 'Precondition Failed', 413: 'Payload Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error' };

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** At most `n` tasks at once; the rest wait in order. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly n: number) {}

  async run(task: () => Promise<void>): Promise<void> {
    if (this.active >= this.n) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

