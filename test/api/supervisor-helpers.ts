import assert from 'node:assert/strict';
import { request } from 'node:http';
import { AgentCredentials } from '../../src/agent/index.ts';
import { buildApp } from '../../src/http/app.ts';
import { DEFAULT_RATE_LIMITS } from '../../src/http/rate-limit.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { supervisorRoutes, type LiveOptions } from '../../src/supervisor/index.ts';
import { servePages } from '../../src/web/static.ts';
import type { TestServer } from '../support/server.ts';

/**
 * Where the supervisor board is served for a test. The server serves it itself once src/server.ts
 * registers the routes; until then (or when a test sets the push options) a second app on another
 * port serves the pages and the board's routes over the test server's own services, as
 * src/server.ts would wire them: same store, same engine bus, same Conversations listeners.
 */
export interface BoardServer {
  url: string;
  /** Open event streams (board, chats) on this app. */
  streams(): number;
  close(): Promise<void>;
}

export async function boardServer(t: TestServer, options?: LiveOptions): Promise<BoardServer> {
  const wired = t.server.app.hasRoute({ method: 'POST', url: '/switchyard/v1/Supervisor/Sessions' });
  if (wired && options === undefined) return { url: t.baseUrl, streams: () => -1, close: async () => undefined };
  const s = t.server;
  const app = buildApp({ accounts: s.accounts, products: [], logger: createLogger({ level: 'warn' }) });
  servePages(app);
  const live = supervisorRoutes(
    app,
    { clock: s.clock, limits: DEFAULT_RATE_LIMITS, allowsOrigin: async () => false },
    { db: s.db, clock: s.clock, tokens: s.tokens, credentials: new AgentCredentials(s.db, s.clock), taskRouter: s.taskRouter, conversations: s.conversations, flex: s.flex },
    options,
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, streams: () => live.boards.size + live.chats.size, close: () => app.close() };
}

export const form = (o: Record<string, string>) => new URLSearchParams(o).toString();

/** An administrator's setup: the worker gets Flex's supervisor role in its attributes (account credentials). */
export async function makeSupervisor(t: TestServer, workspaceSid: string, workerSid: string, roles = ['supervisor']): Promise<void> {
  const w = t.client.taskrouter.v1.workspaces(workspaceSid).workers(workerSid);
  const attrs = JSON.parse((await w.fetch()).attributes);
  await w.update({ attributes: JSON.stringify({ ...attrs, roles }) });
}

/** An administrator's setup: the worker's sign-in password. */
export async function setPassword(t: TestServer, workspaceSid: string, workerSid: string, password: string): Promise<void> {
  const res = await t.http('POST', `/switchyard/v1/Workspaces/${workspaceSid}/Workers/${workerSid}/Credentials`, { body: form({ Password: password }) });
  assert.equal(res.status, 201, JSON.stringify(res.body));
}

/** A raw call to the board's server (no account credentials), JSON or form body. */
export function call(
  base: string,
  method: string,
  path: string,
  init: { token?: string; body?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body) headers['content-type'] = 'application/x-www-form-urlencoded';
  return new Promise((resolve, reject) => {
    const req = request(`${base}/switchyard/v1/Supervisor${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* keep the text for the assertion's message */
        }
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode ?? 0, body, headers: h });
      });
    });
    req.on('error', reject);
    if (init.body) req.write(form(init.body));
    req.end();
  });
}

export async function signIn(base: string, accountSid: string, username: string, password: string) {
  return call(base, 'POST', '/Sessions', { body: { AccountSid: accountSid, Username: username, Password: password } });
}

/** A Server-Sent Events stream read as the page reads it (fetch with the bearer token); events are queued until taken. */
export interface Stream {
  status: number;
  /** The next event named `name` that satisfies `match`, skipping others; fails after `ms`. */
  next<T = any>(name: string, match?: (data: T) => boolean, ms?: number): Promise<T>;
  close(): void;
}

export async function openStream(base: string, path: string, token: string): Promise<Stream> {
  const abort = new AbortController();
  const res = await fetch(`${base}/switchyard/v1/Supervisor${path}`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  const queue: { event: string; data: any }[] = [];
  // Who waits for the next event (an object: TypeScript would narrow a plain variable to null).
  const waiter: { wake: (() => void) | null } = { wake: null };
  let ended = false;
  if (res.ok && res.body) {
    void (async () => {
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (data.length) queue.push({ event, data: JSON.parse(data.join('\n')) });
            waiter.wake?.();
          }
        }
      } catch {
        /* aborted */
      } finally {
        ended = true;
        waiter.wake?.();
      }
    })();
  } else {
    ended = true;
    queue.push({ event: 'error', data: await res.json().catch(() => null) });
  }
  return {
    status: res.status,
    async next(name, match = () => true, ms = 5000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const i = queue.findIndex((e) => e.event === name && match(e.data));
        if (i >= 0) return queue.splice(0, i + 1)[i].data;
        if (ended) throw new Error(`the stream ended without a '${name}' event that matched`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching '${name}' event within ${ms} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiter.wake = () => {
            clearTimeout(timer);
            waiter.wake = null;
            resolve();
          };
        });
      }
    },
    close: () => abort.abort(),
  };
}
