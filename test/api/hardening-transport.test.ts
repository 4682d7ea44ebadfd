import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import WebSocket, { WebSocketServer } from 'ws';
import { clientKey } from '../../src/http/connections.ts';
import { configFromEnv } from '../../src/config.ts';
import { INBOUND_PATH } from '../../src/conversations/gateway/inbound.ts';
import { routeUpgrade } from '../../src/http/upgrades.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { rawTwilsock, statusOf } from '../support/sdk-chat.ts';

/** How long a test waits for the server to answer or close before calling it a failure. */
const WAIT_MS = 5000;

const portOf = (t: TestServer) => Number(new URL(t.baseUrl).port);

/** A raw TCP connection, from `localAddress` (any 127.x address works on Linux's loopback). */
function open(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

interface Outcome {
  /** The status of the server's first answer, if it answered. */
  status?: number;
  closed: boolean;
  data: string;
}

/**
 * Resolves once the server answered (`until: 'answer'`) or closed the connection (`'close'`);
 * a connection the server leaves hanging fails after WAIT_MS.
 */
function outcome(s: Socket, until: 'answer' | 'close' = 'answer', waitMs = WAIT_MS): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let data = '';
    const status = () => {
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      return m ? Number(m[1]) : undefined;
    };
    const timer = setTimeout(() => reject(new Error(`the server neither answered nor closed within ${waitMs} ms; got ${JSON.stringify(data.slice(0, 120))}`)), waitMs);
    const done = (closed: boolean) => {
      clearTimeout(timer);
      resolve({ status: status(), closed, data });
    };
    s.on('error', () => undefined);
    s.on('data', (chunk) => {
      data += chunk;
      if (until === 'answer' && status() !== undefined) done(false);
    });
    s.on('close', () => done(true));
    if (s.destroyed) done(true);
  });
}

/** A 4xx answer, or a connection closed without one. */
function assertRefused(o: Outcome, what: string) {
  const ok = o.status === undefined ? o.closed : o.status >= 400 && o.status < 500;
  assert.ok(ok, `${what}: expected a 4xx or a closed connection, got ${JSON.stringify(o)}`);
  if (o.status === undefined) return;
  // An answer, whoever gave it (Node's parser, Fastify or the upgrade router), is Twilio's error body.
  const body = JSON.parse(o.data.slice(o.data.indexOf('\r\n\r\n') + 4));
  assert.deepEqual(Object.keys(body).sort(), ['code', 'message', 'more_info', 'status'], `${what}: ${o.data}`);
  assert.equal(body.status, o.status, what);
}

async function assertServing(t: TestServer) {
  const r = await t.http('GET', '/taskrouter/v1/Workspaces');
  assert.equal(r.status, 200, 'the server still answers an authenticated request');
}

const INTERNAL = { code: 20500, message: 'An internal server error occurred', more_info: 'https://www.twilio.com/docs/errors/20500', status: 500 };

const upgrade = (target: string, path = target) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

const MALFORMED: Record<string, string> = {
  'upgrade to http://[': upgrade('http://['),
  'upgrade to http://[::1': upgrade('http://[::1'),
  'upgrade to //[': upgrade('//['),
  'upgrade to http://x:99999/': upgrade('http://x:99999/'),
  'upgrade to http://': upgrade('http://'),
  'upgrade to an unknown path': upgrade('/nowhere'),
  'request line GET http://[': 'GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
  'request line GET //[': 'GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
  'a header without a colon': 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n',
  'a NUL in a header': 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\u0000b\r\n\r\n',
  'Host: [': 'GET /taskrouter/v1/Workspaces HTTP/1.1\r\nHost: [\r\n\r\n',
  'a Twilio Host with an absurd port': `GET /v1/Workspaces HTTP/1.1\r\nHost: taskrouter.twilio.com:${'9'.repeat(5000)}\r\n\r\n`,
  'no Host': 'GET /taskrouter/v1/Workspaces HTTP/1.1\r\n\r\n',
  'two Hosts': 'GET /taskrouter/v1/Workspaces HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
  'a bare CRLF CRLF': '\r\n\r\n',
  'HTTP/0.9': 'GET /\r\n\r\n',
  'an unknown HTTP version': 'GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n',
  'an unknown method': 'BREW / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
  'a huge header': `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
  'Content-Length with Transfer-Encoding': 'POST /taskrouter/v1/Workspaces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'a negative Content-Length': 'POST /taskrouter/v1/Workspaces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n',
};

/** What the app logs as errors from now on (still logged), and the first of them within WAIT_MS. */
function watchErrors(t: TestServer): { logged: unknown[]; first: Promise<unknown>; restore(): void } {
  const log = t.server.app.log;
  const original = log.error;
  const logged: unknown[] = [];
  let heard: (obj: unknown) => void = () => undefined;
  const first = new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing was logged within ${WAIT_MS} ms`)), WAIT_MS);
    heard = (obj) => (clearTimeout(timer), resolve(obj));
  });
  first.catch(() => undefined);
  log.error = function (this: unknown, obj: unknown, ...rest: unknown[]) {
    logged.push(obj);
    heard(obj);
    return (original as (...a: unknown[]) => void).call(this, obj, ...rest);
  } as typeof log.error;
  return { logged, first, restore: () => void (log.error = original) };
}

/** A request whose headers are complete and whose body then arrives a byte at a time. */
function trickleBody(s: Socket, t: TestServer): () => void {
  const auth = 'Basic ' + Buffer.from(`${t.account.accountSid}:${t.account.authToken}`).toString('base64');
  s.write(
    `POST /taskrouter/v1/Workspaces HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth}\r\n` +
      'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nFriendlyName=',
  );
  const timer = setInterval(() => s.writable && s.write('a'), 50);
  return () => clearInterval(timer);
}

test('a client address is its IPv4 address, or its IPv6 /64', () => {
  assert.equal(clientKey('127.0.0.2'), '127.0.0.2');
  assert.equal(clientKey('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(clientKey('2001:db8:0:1:aaaa::1'), '2001:db8:0:1::/64');
  assert.equal(clientKey('2001:db8::1:2:3:4'), clientKey('2001:0db8:0000:0000:ffff::'));
  assert.notEqual(clientKey('2001:db8:0:1::1'), clientKey('2001:db8:0:2::1'));
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
});

test('the limits come from the environment, and a wrong value stops the server at start', () => {
  const env = { SWITCHYARD_HEADERS_TIMEOUT_MS: '2000', SWITCHYARD_REQUEST_TIMEOUT_MS: '4000', SWITCHYARD_KEEP_ALIVE_TIMEOUT_MS: '70000', SWITCHYARD_MAX_CONNECTIONS_PER_ADDRESS: '0' };
  assert.deepEqual(configFromEnv(env).http, { headersTimeoutMs: 2000, requestTimeoutMs: 4000, keepAliveTimeoutMs: 70000, maxConnectionsPerAddress: 0 });
  assert.throws(() => configFromEnv({ SWITCHYARD_REQUEST_TIMEOUT_MS: '10s' }), /SWITCHYARD_REQUEST_TIMEOUT_MS must be a positive integer/);
  assert.throws(() => configFromEnv({ SWITCHYARD_MAX_CONNECTIONS_PER_ADDRESS: '-1' }), /SWITCHYARD_MAX_CONNECTIONS_PER_ADDRESS must be 0/);
  assert.throws(() => configFromEnv({ SWITCHYARD_REQUEST_TIMEOUT_MS: '5000' }), /SWITCHYARD_HEADERS_TIMEOUT_MS \(10000\) must not exceed/);
});

for (const backend of backends()) {
  describe(`malformed requests and upgrades (${backend.name})`, () => {
    let t: TestServer;
    // A short header timeout, so a connection that never sends a request line ends within the test's wait.
    before(async () => (t = await startServer(backend, { http: { headersTimeoutMs: 1000, requestTimeoutMs: 2000 } })));
    after(() => t.close());

    for (const [what, bytes] of Object.entries(MALFORMED)) {
      test(`${what}: a 4xx or a closed connection, and the server goes on`, async () => {
        const s = await open(portOf(t));
        s.write(bytes);
        assertRefused(await outcome(s), what);
        s.destroy();
        await assertServing(t);
      });
    }
  });

  describe(`HEAD requests the parser refuses (${backend.name})`, () => {
    let t: TestServer;
    before(async () => (t = await startServer(backend)));
    after(() => t.close());

    test('are answered with the status and no body, so a HEAD client reads the status', async () => {
      const s = await open(portOf(t));
      s.write(`HEAD /health?a=${'a'.repeat(100_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      const o = await outcome(s, 'close');
      assert.equal(o.status, 431, o.data.slice(0, 200));
      assert.equal(o.data.slice(o.data.indexOf('\r\n\r\n') + 4), '', 'no body');
      await assertServing(t);
    });
  });

  describe(`upgrade handlers that fail (${backend.name})`, () => {
    let t: TestServer;
    let errors: ReturnType<typeof watchErrors>;
    let release: () => void = () => undefined;
    before(async () => {
      t = await startServer(backend);
      // Handlers as a bug would make them: the router is the one place that guards every endpoint.
      routeUpgrade(t.server.app, '/test/throws', () => {
        throw new Error('thrown by a handler');
      });
      routeUpgrade(t.server.app, '/test/rejects', async () => {
        await Promise.resolve();
        throw new Error('rejected by a handler');
      });
      routeUpgrade(t.server.app, '/test/waits', async (_req, socket) => {
        await new Promise<void>((resolve) => (release = resolve));
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      });
      errors = watchErrors(t);
    });
    after(() => t.close());

    for (const path of ['/test/throws', '/test/rejects']) {
      test(`${path}: 500 with Twilio's error body, logged, and the server goes on`, async () => {
        errors.logged.length = 0;
        const s = await open(portOf(t));
        s.write(upgrade(path));
        const o = await outcome(s, 'close');
        assert.equal(o.status, 500, o.data);
        assert.deepEqual(JSON.parse(o.data.slice(o.data.indexOf('\r\n\r\n') + 4)), INTERNAL);
        assert.equal(errors.logged.length, 1, 'the error was logged');
        await assertServing(t);
      });
    }

    test('a client that resets its socket while the handler works does not take the server down', async () => {
      // node:test keeps the process alive through an uncaught error: count them instead.
      const uncaught: unknown[] = [];
      const count = (err: unknown) => uncaught.push(err);
      process.on('uncaughtException', count);
      try {
        const serverSide = new Promise<Duplex>((resolve) => t.server.app.server.once('upgrade', (_req, socket) => resolve(socket)));
        const s = await open(portOf(t));
        s.write(upgrade('/test/waits'));
        const socket = await serverSide;
        const closed = new Promise((resolve) => socket.once('close', resolve));
        s.resetAndDestroy();
        await closed;
        release();
        await assertServing(t);
        assert.deepEqual(uncaught, []);
      } finally {
        process.off('uncaughtException', count);
      }
    });
  });

  describe(`a failure nobody foresaw (${backend.name})`, () => {
    let t: TestServer;
    before(async () => (t = await startServer(backend)));
    after(() => t.close());

    test("routes outside the products too answer 500 with Twilio's error body, and the server goes on", async () => {
      await assertServing(t); // the account's credentials are cached from here on
      const db = t.server.db as unknown as Record<string, unknown>;
      const saved = ['all', 'get', 'run', 'transaction'].map((k) => [k, db[k]] as const);
      for (const [k] of saved)
        db[k] = async () => {
          throw new Error('a store failure');
        };
      try {
        const form = { 'content-type': 'application/x-www-form-urlencoded' };
        const calls: [string, string, string?][] = [
          ['GET', '/taskrouter/v1/Workspaces'],
          ['POST', '/switchyard/v1/Agent/Sessions', `AccountSid=${t.account.accountSid}&Username=ada&Password=secret`],
          ['GET', '/webchat/v1/Widgets/YW00000000000000000000000000000000'],
          ['POST', INBOUND_PATH, `AccountSid=${t.account.accountSid}&From=%2B15550001111&To=%2B15550002222&Body=hi`],
        ];
        for (const [method, path, body] of calls) {
          const auth = path.startsWith('/taskrouter') ? undefined : null;
          const r = await t.http(method, path, { body, auth, headers: { ...form, 'x-twilio-signature': 'x' } });
          assert.deepEqual([r.status, r.body], [500, INTERNAL], `${method} ${path}`);
        }
      } finally {
        for (const [k, v] of saved) db[k] = v;
      }
      await assertServing(t);
    });

    test('a twilsock init whose token cannot be checked for a store failure closes the socket as an internal error (1011), not a 401', async () => {
      const { token } = await t.server.tokens.mint(t.account.accountSid, 'ada', { chat: {} }, 600);
      const good = await rawTwilsock(t);
      assert.equal(statusOf(await good.call({ method: 'init', token, registrations: [] })), 200, 'the token is good');
      good.ws.terminate();
      const db = t.server.db as unknown as Record<string, unknown>;
      const get = db.get;
      const s = await rawTwilsock(t);
      let reply: unknown;
      db.get = async () => {
        throw new Error('a store failure');
      };
      try {
        reply = s.call({ method: 'init', token, registrations: [] }).catch(() => 'no reply');
        assert.equal(await s.closed, 1011);
        assert.equal(await reply, 'no reply', 'no reply saying the token is bad');
      } finally {
        db.get = get;
      }
      await assertServing(t);
    });
  });

  describe(`timeouts (${backend.name})`, () => {
    let t: TestServer;
    before(async () => (t = await startServer(backend, { http: { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300 } })));
    after(() => t.close());

    test('a body trickled after complete headers is cut with 408, and others are answered meanwhile', async () => {
      const s = await open(portOf(t));
      const stop = trickleBody(s, t);
      try {
        const ended = outcome(s, 'close');
        await assertServing(t);
        const o = await ended;
        assert.ok(o.status === undefined || o.status === 408, `408 or closed: ${JSON.stringify(o)}`);
      } finally {
        stop();
      }
    });

    test('headers that never end are cut', async () => {
      const s = await open(portOf(t));
      s.write('GET /taskrouter/v1/Workspaces HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      const timer = setInterval(() => s.writable && s.write('X-More: yes\r\n'), 50);
      try {
        const o = await outcome(s, 'close');
        assert.ok(o.status === undefined || o.status === 408, `408 or closed: ${JSON.stringify(o)}`);
      } finally {
        clearInterval(timer);
      }
    });

    test('a connection that sends nothing is closed', async () => {
      const s = await open(portOf(t));
      assert.equal((await outcome(s, 'close')).closed, true);
    });

    test('an open WebSocket outlives them all', async () => {
      const wss = new WebSocketServer({ noServer: true });
      routeUpgrade(t.server.app, '/test/echo', (req, socket, head) =>
        wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(m.toString()))),
      );
      const ws = new WebSocket(`${t.baseUrl.replace('http', 'ws')}/test/echo`);
      try {
        await once(ws, 'open');
        // A connection cut by the request timeout shows the timeouts have been checked since.
        const slow = await open(portOf(t));
        const stop = trickleBody(slow, t);
        await outcome(slow, 'close').finally(stop);
        ws.send('still here');
        const [echo] = await Promise.race([once(ws, 'message'), once(ws, 'close').then(() => ['closed'])]);
        assert.equal(echo.toString(), 'still here');
      } finally {
        ws.close();
        wss.close();
      }
    });

    test('an idle keep-alive connection is closed after its answer', async () => {
      const s = await open(portOf(t));
      const auth = 'Basic ' + Buffer.from(`${t.account.accountSid}:${t.account.authToken}`).toString('base64');
      s.write(`GET /taskrouter/v1/Workspaces HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth}\r\nConnection: keep-alive\r\n\r\n`);
      const o = await outcome(s, 'close');
      assert.equal(o.status, 200, 'answered first');
      assert.equal(o.closed, true);
    });
  });

  describe(`connections per client address (${backend.name})`, () => {
    const LIMIT = 4;
    let t: TestServer;
    before(async () => (t = await startServer(backend, { http: { maxConnectionsPerAddress: LIMIT } })));
    after(() => t.close());

    test('the connections beyond the limit from one address are closed at once; other addresses are served', async () => {
      const serverSide: Socket[] = [];
      const track = (s: Socket) => s.remoteAddress === '127.0.0.2' && serverSide.push(s);
      t.server.app.server.on('connection', track);
      const held: Socket[] = [];
      const stops: (() => void)[] = [];
      try {
        for (let i = 0; i < LIMIT; i++) {
          const s = await open(portOf(t), '127.0.0.2');
          stops.push(trickleBody(s, t));
          held.push(s);
        }
        for (let i = 0; i < 3; i++) {
          const excess = await open(portOf(t), '127.0.0.2');
          const o = await outcome(excess, 'close', 2000);
          assert.deepEqual([o.closed, o.data], [true, ''], 'closed at once, unanswered');
        }
        await assertServing(t);
        assert.ok(held.every((s) => !s.destroyed), 'the connections within the limit stay open');
        // Once its connections are closed, the address may connect again.
        for (const s of held) s.destroy();
        await Promise.all(serverSide.map((s) => (s.destroyed ? undefined : new Promise((r) => s.once('close', r)))));
        const again = await open(portOf(t), '127.0.0.2');
        again.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        assert.equal((await outcome(again)).status, 200);
        again.destroy();
      } finally {
        for (const stop of stops) stop();
        for (const s of held) s.destroy();
        t.server.app.server.off('connection', track);
      }
    });
  });

  if (backend.name === 'postgres') {
    describe('PostgreSQL pool errors', () => {
      let t: TestServer;
      before(async () => (t = await startServer(backend)));
      after(() => t.close());

      test("an idle connection killed by the database is logged, and the server goes on", async () => {
        const errors = watchErrors(t);
        try {
          // The connection that ran this goes back to the pool, idle.
          const { pid } = (await t.server.db.get<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!;
          const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
          await admin.connect();
          await admin.query('SELECT pg_terminate_backend($1)', [pid]);
          await admin.end();
          const obj = (await errors.first) as { code?: string };
          assert.equal(obj.code, '57P01', 'admin_shutdown: the connection was terminated');
          await assertServing(t);
        } finally {
          errors.restore();
        }
      });
    });
  }
}

/** A port nobody listens on now. */
async function freePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The status of an authenticated GET on a connection of its own, or a failure after WAIT_MS. */
function answer(port: number, auth: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = request(`http://127.0.0.1:${port}/taskrouter/v1/Workspaces`, { agent: false, headers: { authorization: auth }, timeout: WAIT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${WAIT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

// In its own process, as `npm start` runs it: inside a test, node:test would catch what kills the real thing.
describe('npm start in a process of its own, with ulimit -n 300', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-process-'));
  let child: ChildProcess;
  let port: number;
  let account: { accountSid: string; authToken: string };
  let auth: string;
  before(async () => {
    port = await freePort();
    child = spawn('bash', ['-c', 'ulimit -n 300 && exec node --import tsx src/main.ts'], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SQLITE_FILE: join(dir, 'test.db'), DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start: ${out}`)), 30_000);
      child.stdout!.on('data', (d) => {
        out += d;
        if (/TWILIO_AUTH_TOKEN=\S+\n/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${out}`)));
    });
    account = { accountSid: /TWILIO_ACCOUNT_SID=(\S+)/.exec(out)![1], authToken: /TWILIO_AUTH_TOKEN=(\S+)/.exec(out)![1] };
    auth = 'Basic ' + Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64');
  });
  after(async () => {
    if (child.exitCode === null) {
      child.kill();
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('upgrades to targets that are no URL are refused, and the process lives on', async () => {
    for (const target of ['http://[', 'http://[::1', '//[', 'http://x:99999/', 'http://']) {
      const s = await open(port);
      s.write(upgrade(target));
      assertRefused(await outcome(s), target);
      s.destroy();
      assert.equal(await answer(port, auth), 200, `answering after ${target}`);
    }
    assert.equal(child.exitCode, null, 'the server is still running');
  });

  test('320 connections trickling bodies from one address leave the server answering others', async () => {
    const sockets: Socket[] = [];
    const stops: (() => void)[] = [];
    try {
      for (let i = 0; i < 320; i++) {
        const s = await open(port, '127.0.0.2');
        s.on('error', () => undefined);
        stops.push(trickleBody(s, { account } as TestServer));
        sockets.push(s);
      }
      assert.equal(await answer(port, auth), 200);
      assert.equal(child.exitCode, null, 'the server is still running');
    } finally {
      for (const stop of stops) stop();
      for (const s of sockets) s.destroy();
    }
  });
});
