import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type twilio from 'twilio';
import type { Credentials } from '../../src/accounts/accounts.ts';
import { switchyardClient } from '../../src/client.ts';
import { assertConforms, assertListConforms, listKeyFor, schemaFor, type Product } from './conformance.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { createServer, type Server } from '../../src/server.ts';
import type { StoreConfig } from '../../src/store/open.ts';
import type { CallbackOptions } from '../../src/taskrouter/engine/delivery.ts';
import type { ServerConfig } from '../../src/server.ts';

/** A store the shared suites run against: every suite runs once per backend. */
export interface Backend {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty store configuration, and how to throw it away. */
  create(): Promise<{ config: StoreConfig; dispose(): Promise<void> }>;
}

const sqlite: Backend = {
  name: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
    return { config: { sqliteFile: join(dir, 'test.db') }, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

const postgres = (url: string): Backend => ({
  name: 'postgres',
  async create() {
    // Each store gets its own schema, so test files running in parallel never meet.
    const schema = `sy_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    return {
      config: { databaseUrl: url, schema },
      async dispose() {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      },
    };
  },
});

let warned = false;
/** SQLite always; PostgreSQL whenever TEST_DATABASE_URL is set. */
export function backends(): Backend[] {
  const url = process.env.TEST_DATABASE_URL;
  if (!url && !warned) {
    warned = true;
    console.warn('NOTE: TEST_DATABASE_URL is not set: the PostgreSQL pass of the shared suites did NOT run.');
  }
  return url ? [sqlite, postgres(url)] : [sqlite];
}

export interface TestServer {
  server: Server;
  clock: ManualClock;
  baseUrl: string;
  account: Required<Credentials>;
  /** The official twilio client, authenticated as `account`. */
  client: twilio.Twilio;
  /** Another account and its client, for isolation tests. */
  newAccount(): Promise<{ account: Required<Credentials>; client: twilio.Twilio }>;
  /** A raw HTTP call, for what the official client cannot send (malformed bodies, wrong methods). */
  http(method: string, path: string, init?: { body?: string; headers?: Record<string, string>; auth?: string | null }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export async function startServer(
  backend: Backend,
  options: { callbacks?: CallbackOptions } & Omit<ServerConfig, keyof StoreConfig | 'clock'> = {},
): Promise<TestServer> {
  const store = await backend.create();
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 9, 0, 0));
  // Any server option a test names is passed on; timers stay manual unless the test says otherwise.
  const server = await createServer({ timers: 'manual', verifyRoutingState: true, ...options, ...store.config, clock });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const baseUrl = `http://127.0.0.1:${port}`;
  const account = await server.accounts.create('test account');
  const clientFor = (a: Required<Credentials>) =>
    switchyardClient(baseUrl, a.accountSid, a.authToken, { onResponse: checkConformance });
  const basic = (a: Required<Credentials>) => 'Basic ' + Buffer.from(`${a.accountSid}:${a.authToken}`).toString('base64');
  return {
    server,
    clock,
    baseUrl,
    account,
    client: clientFor(account),
    async newAccount() {
      const other = await server.accounts.create('other account');
      return { account: other, client: clientFor(other) };
    },
    async http(method, path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (init.auth !== null) headers.authorization = init.auth ?? basic(account);
      if (init.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
        headers['content-type'] = 'application/x-www-form-urlencoded';
      // node:http rather than fetch: fetch drops a Host header, and Host routing is under test.
      return new Promise((resolve, reject) => {
        const req = request(baseUrl + path, { method, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: any = text;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              /* not JSON: keep the text so the assertion shows it */
            }
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
            resolve({ status: res.statusCode ?? 0, body, headers: h });
          });
        });
        req.on('error', reject);
        if (init.body !== undefined) req.write(init.body);
        req.end();
      });
    },
    async close() {
      await server.close();
      await store.dispose();
    },
  };
}

/**
 * Every successful response the official client receives in a test is checked against the facts
 * derived from Twilio's OpenAPI specs: no field missing, none invented, types and enums right.
 * A violation fails the client call, and so the test that made it.
 */
export function checkConformance(request: { method: string; uri: string }, response: { statusCode: number; body: unknown }) {
  if (response.statusCode < 200 || response.statusCode >= 300 || response.statusCode === 204) return;
  const url = new URL(request.uri);
  const [, prefix, ...rest] = url.pathname.split('/');
  // The server's path prefix is the Twilio host name (flex-api); the facts name the product (flex).
  const product = prefix === 'flex-api' ? 'flex' : prefix;
  const path = '/' + rest.join('/');
  const body = typeof response.body === 'string' ? JSON.parse(response.body) : response.body;
  const schema = schemaFor(product as Product, request.method, path);
  if (!schema) throw new Error(`No spec operation for ${request.method} ${path}`);
  const key = listKeyFor(product as Product, request.method, path);
  if (key) assertListConforms(schema, body, key);
  else assertConforms(schema, body);
  conformanceChecks.count++;
}

/** How many responses were checked, so a test can prove the check ran. */
export const conformanceChecks = { count: 0 };

/** A request a webhook receiver got. */
export interface ReceivedRequest {
  method: string;
  /** The full URL the request was sent to, as Twilio signs it. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  params: Record<string, string>;
}

export type ReceiverAnswer = { status?: number; body?: string; contentType?: string } | 'hang';

/** A local HTTP server standing in for an application's webhook endpoint. */
export interface Receiver {
  /** http://127.0.0.1:PORT */
  url: string;
  requests: ReceivedRequest[];
  /** How to answer each request (default: 204, empty). 'hang' never answers. */
  answer: (req: ReceivedRequest, index: number) => ReceiverAnswer;
  /** Resolves with the next request received (or one already received and not yet taken). */
  next(): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

export async function startReceiver(answer: Receiver['answer'] = () => ({ status: 204 })): Promise<Receiver> {
  const waiting: ((r: ReceivedRequest) => void)[] = [];
  let taken = 0;
  const hanging: ServerResponse[] = [];
  const receiver: Receiver = {
    url: '',
    requests: [],
    answer,
    next() {
      if (taken < receiver.requests.length) return Promise.resolve(receiver.requests[taken++]);
      return new Promise((resolve) => waiting.push(resolve));
    },
    async close() {
      for (const res of hanging) res.destroy();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  const http = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const got: ReceivedRequest = {
        method: req.method ?? '',
        url: receiver.url + (req.url ?? '/'),
        headers: req.headers,
        body,
        params: Object.fromEntries(new URLSearchParams(body)),
      };
      const index = receiver.requests.length;
      receiver.requests.push(got);
      const a = receiver.answer(got, index);
      if (a === 'hang') hanging.push(res);
      else {
        res.writeHead(a.status ?? 204, a.contentType || a.body ? { 'content-type': a.contentType ?? 'application/json' } : {});
        res.end(a.body ?? '');
      }
      const w = waiting.shift();
      if (w) {
        taken++;
        w(got);
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const address = http.address();
  receiver.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return receiver;
}
