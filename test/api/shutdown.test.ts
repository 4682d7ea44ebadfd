/**
 * SIGTERM to a server in its own process: it stops accepting connections, answers every request in
 * flight (some still sending their bodies), closes WebSockets with 1001, and exits 0; a request
 * that never finishes is cut at the grace period; `npm start` hands the signal to the server itself.
 */
import assert from 'node:assert/strict';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { after, describe, test } from 'node:test';
import WebSocket from 'ws';
import { basicAuth, startProcess, type ServerProcess } from './ops-process.ts';

/** A POST whose headers the server has read (it answered 100 Continue) and whose body has not been sent yet. */
interface Pending {
  req: ClientRequest;
  body: string;
  answer: Promise<{ status: number; body: string }>;
}

function openRequest(p: ServerProcess, path: string, body: string): Promise<Pending> {
  return new Promise((resolve, reject) => {
    const req = request(`${p.baseUrl}${path}`, {
      method: 'POST',
      agent: false,
      headers: {
        authorization: basicAuth(p),
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
        expect: '100-continue',
      },
    });
    const answer = new Promise<{ status: number; body: string }>((ok, fail) => {
      req.on('response', (res: IncomingMessage) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', fail);
    });
    answer.catch(() => undefined);
    // 100 Continue: the server has parsed the request line and headers; the request is in flight there.
    req.on('continue', () => resolve({ req, body, answer }));
    req.on('error', reject);
    req.flushHeaders();
  });
}

/** Sends the body a byte at a time, each byte once the previous one was handed to the kernel: a slow client. */
async function trickle(p: Pending): Promise<void> {
  for (const ch of p.body) await new Promise<void>((resolve, reject) => p.req.write(ch, (err) => (err ? reject(err) : resolve())));
  p.req.end();
}

/** Connects until the port refuses (the server stopped listening); fails after `ms`. */
async function refusedWithin(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(false)));
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    });
    if (refused) return;
    if (Date.now() > deadline) throw new Error(`port ${port} still accepts connections after ${ms} ms`);
  }
}

describe('SIGTERM', () => {
  const started: ServerProcess[] = [];
  after(async () => {
    for (const p of started) await p.dispose();
  });

  test('during load: 16 requests in flight (6 of them still sending their bodies) are all answered, WebSockets close with 1001, new connections are refused, exit 0', { timeout: 120_000 }, async () => {
    const p = await startProcess({ LOG_LEVEL: 'info' });
    started.push(p);
    const sockets = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(`ws://127.0.0.1:${p.port}/tsock/v3/wsconnect`);
            ws.once('open', () => resolve(ws));
            ws.once('error', reject);
          }),
      ),
    );
    const closes = sockets.map((ws) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code))));
    const pending = await Promise.all(Array.from({ length: 16 }, (_, i) => openRequest(p, '/taskrouter/v1/Workspaces', `FriendlyName=${encodeURIComponent(`in flight ${i} `.padEnd(60, '.'))}`)));

    p.child.kill('SIGTERM');
    await p.line((l) => l.msg?.startsWith('shutting down'));
    await refusedWithin(p.port, 10_000);
    // Only now do the bodies go: every request was in flight across the signal.
    await Promise.all(pending.map((r, i) => (i < 6 ? trickle(r) : new Promise<void>((resolve) => r.req.end(r.body, resolve)))));
    const answers = await Promise.all(pending.map((r) => r.answer));
    assert.deepEqual(answers.map((a) => a.status), Array(16).fill(201), JSON.stringify(answers.filter((a) => a.status !== 201)));
    assert.deepEqual(new Set(answers.map((a) => JSON.parse(a.body).friendly_name.trim().replace(/\.+$/, ''))).size, 16);
    assert.deepEqual(await Promise.all(closes), [1001, 1001], 'WebSockets are told the server is going away');
    const exit = await p.exited();
    assert.deepEqual(exit, { code: 0, signal: null }, p.stderr());
    assert.ok(p.jsonLines().some((l) => l.component === 'shutdown' && l.msg === 'stopped'), p.stdout());
    assert.equal(p.jsonLines().filter((l) => l.msg === 'request completed' && l.req.method === 'POST').length, 16, 'each in-flight request was answered and logged');
  });

  test('a request that never finishes is cut at SWITCHYARD_SHUTDOWN_GRACE_MS, and the server still exits 0', { timeout: 60_000 }, async () => {
    const p = await startProcess({ SWITCHYARD_SHUTDOWN_GRACE_MS: '1000' });
    started.push(p);
    const stuck = await openRequest(p, '/taskrouter/v1/Workspaces', 'FriendlyName=never+sent');
    const signaled = Date.now();
    p.child.kill('SIGTERM');
    // Within the grace period and what follows it, far below the 30 s a request may take to arrive.
    const exit = await p.exited(15_000);
    assert.deepEqual(exit, { code: 0, signal: null }, p.stderr());
    assert.ok(Date.now() - signaled >= 1000, 'it waited for the grace period');
    await assert.rejects(stuck.answer, /socket hang up|ECONNRESET/);
  });

  test('a wrong SWITCHYARD_SHUTDOWN_GRACE_MS or SWITCHYARD_METRICS_TOKEN stops the start, one line each', { timeout: 60_000 }, async () => {
    await assert.rejects(
      startProcess({ SWITCHYARD_SHUTDOWN_GRACE_MS: '10s', SWITCHYARD_METRICS_TOKEN: 'short' }, { readyMs: 30_000 }),
      (err: Error) => {
        assert.match(err.message, /SWITCHYARD_SHUTDOWN_GRACE_MS must be an integer from 0 to 999999 \(milliseconds\); got '10s'/);
        assert.match(err.message, /SWITCHYARD_METRICS_TOKEN must be printable text without spaces, 16 to 256 characters; got 5 characters \(not shown\)/);
        assert.match(err.message, /2 configuration problems/);
        return true;
      },
    );
  });

  test('npm start: the signal reaches the server itself (npm runs node, no shell or tsx between), which shuts down cleanly', { timeout: 120_000 }, async () => {
    const p = await startProcess({ LOG_LEVEL: 'info' }, { npmStart: true });
    started.push(p);
    const res = await fetch(`${p.baseUrl}/health/live`);
    assert.equal(res.status, 200);
    p.child.kill('SIGTERM'); // npm's own process only, not its process group
    await p.line((l) => l.component === 'shutdown' && l.msg === 'stopped', 30_000);
    const exit = await p.exited();
    assert.equal(exit.code, 0, `npm exited ${JSON.stringify(exit)}\n${p.stderr()}`);
    await refusedWithin(p.port, 5_000);
  });
});
