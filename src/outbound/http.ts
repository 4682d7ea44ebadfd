import { setMaxListeners } from 'node:events';
import { twilioSignature } from '../core/signature.ts';
import { KeyedLimiter } from './limiter.ts';

/** One webhook request, signed as Twilio signs its own (X-Twilio-Signature with the account's auth token). */
export interface OutboundRequest {
  /** POST sends the parameters as a form; GET in the query string (the full URL is signed). */
  method?: 'POST' | 'GET';
  url: string;
  params: URLSearchParams;
  authToken: string;
  /** How long the receiver has to answer, from when the request starts (not while it waits for its share). */
  timeoutMs: number;
  idempotencyToken?: string;
  userAgent?: string;
  /**
   * An API that authenticates us (Meta's Graph API) rather than a webhook receiver checking our
   * signature: sent as Authorization: Bearer instead of X-Twilio-Signature.
   */
  bearer?: string;
  /** A JSON body instead of the form (POST only), for APIs that take JSON; `params` is then not sent. */
  json?: unknown;
  /** Cancels the request, or the wait for it (shutdown). */
  signal?: AbortSignal;
}

/** What a sender states about a request; the sender's context adds the token, timeout and cancellation. */
export type OutboundCall = Pick<OutboundRequest, 'method' | 'url' | 'params' | 'idempotencyToken' | 'userAgent' | 'bearer' | 'json'>;
export type Send = (call: OutboundCall) => Promise<OutboundResult>;

export interface OutboundResult {
  ok: boolean;
  /** The answer's status; null when there was none (refused, reset, timed out, not sent). */
  status: number | null;
  body: string;
  error?: string;
  /** False when nothing was sent (canceled, or the caller's claim was lost while it waited). */
  attempted: boolean;
}

/** Answers are read up to this size: only assignment instructions and SMS receipts are read at all. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Sends one signed request and reads the answer. Never throws: a refused connection, a reset or no
 * answer within the timeout is a failed result. The timeout covers reading the answer too.
 */
export async function signedRequest(req: OutboundRequest): Promise<OutboundResult> {
  const get = req.method === 'GET';
  const url = get ? req.url + (req.url.includes('?') ? '&' : '?') + req.params.toString() : req.url;
  const json = !get && req.json !== undefined;
  const headers: Record<string, string> = {
    'user-agent': req.userAgent ?? 'TwilioProxy/1.1',
    accept: '*/*',
  };
  if (req.bearer !== undefined) headers.authorization = `Bearer ${req.bearer}`;
  else headers['x-twilio-signature'] = get ? twilioSignature(req.authToken, url) : twilioSignature(req.authToken, url, req.params);
  if (!get) headers['content-type'] = json ? 'application/json' : 'application/x-www-form-urlencoded; charset=utf-8';
  if (req.idempotencyToken) headers['i-twilio-idempotency-token'] = req.idempotencyToken;
  try {
    const timeout = AbortSignal.timeout(req.timeoutMs);
    const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
    const res = await fetch(url, { method: get ? 'GET' : 'POST', headers, body: get ? undefined : json ? JSON.stringify(req.json) : req.params.toString(), redirect: 'manual', signal });
    const body = await readCapped(res);
    return { ok: res.status >= 200 && res.status < 300, status: res.status, body, attempted: true };
  } catch (err) {
    return { ok: false, status: null, body: '', error: (err as Error).message, attempted: true };
  }
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_ANSWER_BYTES) break; // leaving the loop cancels the rest of the body
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** What the server sends on its own, as /metrics and the logs name it. */
export type DeliveryKind = 'event_callback' | 'assignment_callback' | 'conversations_webhook' | 'outbound_message';

/** A send that did not succeed (no answer, or not a 2xx): its sender retries it, or gives it up. */
export interface DeliveryFailure {
  kind: DeliveryKind;
  url: string;
  /** The answer's status; null when there was none. */
  status: number | null;
  error?: string;
}

export interface OutboundOptions {
  /** Requests open at once to one origin (scheme, host and port), across every sender (default 8). */
  perOrigin?: number;
  /** Hears of every failed send, whichever sender made it (the server counts and logs them). */
  onFailure?: (failure: DeliveryFailure) => void;
}

export const OUTBOUND_DEFAULTS: Required<Pick<OutboundOptions, 'perOrigin'>> = { perOrigin: 8 };

/** A sender's shutdown switch: every request it has waiting or under way listens to it, however many. */
export function shutdownSwitch(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

const notSent = (error: string): OutboundResult => ({ ok: false, status: null, body: '', error, attempted: false });

/**
 * Everything the server sends on its own goes through one of these (one per server): each origin
 * gets a bounded share of requests at once, and the requests beyond it wait in that origin's
 * queue, so a receiver that never answers holds only its own share while every other origin keeps
 * flowing. There is deliberately no cap across origins: dead receivers could fill it.
 */
export class Outbound {
  private limiter: KeyedLimiter;
  private onFailure: (failure: DeliveryFailure) => void;
  /** What the sender using this view sends (`as`); unset: failures are not reported. */
  private kindOf: ((req: OutboundRequest) => DeliveryKind) | null = null;

  constructor(options: OutboundOptions = {}) {
    this.limiter = new KeyedLimiter(options.perOrigin ?? OUTBOUND_DEFAULTS.perOrigin);
    this.onFailure = options.onFailure ?? (() => undefined);
  }

  /**
   * This Outbound (the same shares per origin) for one sender, whose failed sends are reported as
   * `kind`: the senders need not know that anyone counts them.
   */
  as(kind: DeliveryKind | ((req: OutboundRequest) => DeliveryKind)): Outbound {
    const view = new Outbound();
    view.limiter = this.limiter;
    view.onFailure = this.onFailure;
    view.kindOf = typeof kind === 'function' ? kind : () => kind;
    return view;
  }

  /**
   * Sends once the origin's share allows. A request that had to wait asks `stillOurs` first (the
   * caller's claim on what it sends may have run out meanwhile) and is not sent if it says no.
   */
  async send(req: OutboundRequest, stillOurs?: () => Promise<boolean>): Promise<OutboundResult> {
    let slot;
    try {
      slot = await this.limiter.acquire(originOf(req.url), req.signal);
    } catch {
      return notSent('canceled while waiting for its destination');
    }
    try {
      if (slot.waited && stillOurs && !(await stillOurs())) return notSent('claimed by another node meanwhile');
      const result = await signedRequest(req);
      // A send canceled by shutdown is no receiver's failure.
      if (!result.ok && this.kindOf && !req.signal?.aborted) this.onFailure({ kind: this.kindOf(req), url: req.url, status: result.status, error: result.error });
      return result;
    } finally {
      slot.release();
    }
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url; // not a URL: its request fails at once anyway
  }
}
