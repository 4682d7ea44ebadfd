import { Client, type Conversation, type Message, type Participant } from '@twilio/conversations';
import twilio from 'twilio';
import WebSocket from 'ws';
import type { Credentials } from '../../src/accounts/accounts.ts';

/**
 * Driving the official Conversations SDK (@twilio/conversations, pinned) in Node, unmodified: the
 * only option set is `twilsock.uri`. Node 20 has no WebSocket or XMLHttpRequest of its own, which a
 * browser has: the ws package stands in for the first, a small fetch-based one for the second
 * (the SDK's media client uses it). The SDK's own timeouts are 20 to 30 s; every wait here is
 * bounded much shorter and fails with what it was waiting for.
 */
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
(globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest ??= class FetchXhr {
  readyState = 0;
  status = 0;
  statusText = '';
  responseText = '';
  responseType = '';
  onreadystatechange: (() => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  private method = 'GET';
  private url = '';
  private headers: Record<string, string> = {};
  private responseHeaders = new Headers();
  private controller = new AbortController();
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
    this.readyState = 1;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  getResponseHeader(name: string) {
    return this.responseHeaders.get(name);
  }
  getAllResponseHeaders() {
    return [...this.responseHeaders].map(([k, v]) => `${k}: ${v}`).join('\r\n');
  }
  abort() {
    this.controller.abort();
  }
  send(body?: unknown) {
    fetch(this.url, { method: this.method, headers: this.headers, body: body as BodyInit | undefined, signal: this.controller.signal })
      .then(async (res) => {
        this.status = res.status;
        this.statusText = res.statusText;
        this.responseHeaders = res.headers;
        this.responseText = await res.text();
        this.readyState = 4;
        this.onreadystatechange?.();
      })
      .catch((err) => this.onerror?.(err));
  }
};

export const SDK_WAIT_MS = 8_000;

/** An access token with a ChatGrant for `identity` (as a customer's backend mints it). */
export function chatToken(account: Required<Credentials>, identity: string, opts: { ttl?: number; serviceSid?: string; secret?: string; keySid?: string } = {}): string {
  const token = new twilio.jwt.AccessToken(account.accountSid, opts.keySid ?? account.apiKey, opts.secret ?? account.apiSecret, { identity, ttl: opts.ttl ?? 3600 });
  token.addGrant(new twilio.jwt.AccessToken.ChatGrant(opts.serviceSid ? { serviceSid: opts.serviceSid } : {}));
  return token.toJwt();
}

export const twilsockUri = (baseUrl: string) => `${baseUrl.replace(/^http/, 'ws')}/tsock/v3/wsconnect`;

/** Resolves when `emitter` emits `event` with arguments `accept` takes (all but the first may be refused); fails after `ms`. */
export function nextEvent<T = unknown>(emitter: { on(e: string, f: (...a: any[]) => void): unknown; off?(e: string, f: (...a: any[]) => void): unknown; removeListener?(e: string, f: (...a: any[]) => void): unknown }, event: string, accept: (value: T) => boolean = () => true, ms = SDK_WAIT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const off = () => (emitter.off ?? emitter.removeListener)?.call(emitter, event, handler);
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no '${event}' within ${ms} ms`));
    }, ms);
    const handler = (value: T) => {
      if (!accept(value)) return;
      clearTimeout(timer);
      off();
      resolve(value);
    };
    emitter.on(event, handler);
  });
}

/** Bounds a promise of the SDK's (whose own timeouts are long) with a clear failure. */
export function within<T>(promise: Promise<T>, what: string, ms = SDK_WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** A client of the official SDK pointed at the server (the one option), not waited for. */
export function sdkClient(baseUrl: string, token: string): Client {
  return new Client(token, { twilsock: { uri: twilsockUri(baseUrl) } } as never);
}

/** A connected, initialised SDK client, or a failure saying why (connection error, refused token...). */
export async function connectSdk(baseUrl: string, token: string): Promise<Client> {
  const client = sdkClient(baseUrl, token);
  const failed = new Promise<never>((_, reject) => {
    let reason = '';
    // The SDK reports the connection error (with Twilio's code) just after it gives up.
    client.on('connectionError', (e: { terminal?: boolean; message?: string; errorCode?: number | null }) => {
      reason = `${e.message}${e.errorCode ? ` (${e.errorCode})` : ''}`;
      if (e.terminal) reject(new Error(`SDK connection error: ${reason}`));
    });
    client.on('initFailed', ({ error }: { error?: { message?: string } }) =>
      setTimeout(() => reject(new Error(`SDK init failed: ${reason || error?.message || 'unknown'}`)), 20),
    );
  });
  try {
    await within(Promise.race([nextEvent(client, 'stateChanged', (s) => s === 'initialized', SDK_WAIT_MS + 1000), failed]), 'SDK initialisation');
  } catch (err) {
    await within(client.shutdown(), 'shutdown', 2000).catch(() => undefined);
    throw err;
  }
  return client;
}

export type { Client, Conversation, Message, Participant };
