/**
 * The server's logs, read from a real process's stdout: one JSON line per request with its id (the
 * Twilio-Request-Id the client got), method, url, status and duration; secrets never written
 * (Authorization headers, ?token= values, auth tokens); background work logged through the same
 * logger with its component; LOG_LEVEL obeyed.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { after, describe, test } from 'node:test';
import { withoutSecrets } from '../../src/ops/logger.ts';
import { basicAuth, freePort, startProcess, type ServerProcess } from './ops-process.ts';

const started: ServerProcess[] = [];
after(async () => {
  for (const p of started) await p.dispose();
});

const completed = (id: string) => (l: Record<string, any>) => l.msg === 'request completed' && l.reqId === id;

describe('request lines', () => {
  test('one JSON line per request, with the id the client got, method, url, status and duration; nothing secret in any line', { timeout: 90_000 }, async () => {
    const p = await startProcess({ LOG_LEVEL: 'info' });
    started.push(p);
    const auth = basicAuth(p);
    const calls: { path: string; headers: Record<string, string>; status: number }[] = [
      { path: '/taskrouter/v1/Workspaces?PageSize=5&token=query-secret-0123456789', headers: { authorization: auth }, status: 200 },
      { path: '/taskrouter/v1/Workspaces/WS00000000000000000000000000000000', headers: { authorization: auth }, status: 404 },
      { path: '/conversations/v1/Conversations?access_token=other-secret-0123456789', headers: { authorization: 'Bearer bearer-secret-0123456789' }, status: 401 },
      { path: '/no/such/page', headers: {}, status: 404 },
    ];
    const ids: string[] = [];
    for (const c of calls) {
      const res = await fetch(p.baseUrl + c.path, { headers: c.headers });
      await res.arrayBuffer();
      assert.equal(res.status, c.status, c.path);
      const id = res.headers.get('twilio-request-id') ?? '';
      assert.match(id, /^RQ[0-9a-f]{32}$/, 'every answer carries its request id');
      ids.push(id);
    }
    for (const [i, id] of ids.entries()) {
      const line = await p.line(completed(id));
      assert.equal(p.jsonLines().filter(completed(id)).length, 1, 'exactly one line for the request');
      assert.equal(line.level, 30, 'info');
      assert.equal(line.req.method, 'GET');
      assert.equal(line.res.statusCode, calls[i].status);
      assert.equal(typeof line.responseTime, 'number');
      assert.equal(line.req.url, withoutSecrets(calls[i].path));
      assert.equal(typeof line.time, 'number');
    }
    assert.equal(p.jsonLines().find(completed(ids[0]))!.req.url, '/taskrouter/v1/Workspaces?PageSize=5&token=[Redacted]');
    assert.equal(p.jsonLines().find(completed(ids[2]))!.req.url, '/conversations/v1/Conversations?access_token=[Redacted]');
    // No request-started lines: one line per request.
    assert.equal(p.jsonLines().filter((l) => l.msg === 'incoming request').length, 0);
    const everything = p.stdout().split('\n').filter((l) => l.startsWith('{')).join('\n') + p.stderr();
    for (const secret of ['query-secret-0123456789', 'other-secret-0123456789', 'bearer-secret-0123456789', auth.slice('Basic '.length), p.authToken])
      assert.ok(!everything.includes(secret), `the logs do not contain ${secret}`);
  });

  test('LOG_LEVEL=warn: no request lines; an unknown level is refused at start', { timeout: 90_000 }, async () => {
    const p = await startProcess({ LOG_LEVEL: 'WARN' });
    started.push(p);
    const res = await fetch(`${p.baseUrl}/taskrouter/v1/Workspaces`, { headers: { authorization: basicAuth(p) } });
    const id = res.headers.get('twilio-request-id')!;
    await res.arrayBuffer();
    p.child.kill('SIGTERM');
    assert.equal((await p.exited()).code, 0);
    // Exited: everything it wrote has been read.
    assert.equal(p.jsonLines().filter((l) => l.reqId === id).length, 0, p.stdout());
    assert.ok(p.jsonLines().every((l) => l.level >= 40), 'only warnings and errors');
    await assert.rejects(startProcess({ LOG_LEVEL: 'verbose' }, { readyMs: 30_000 }), /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got 'verbose'/);
  });
});

describe('background work', () => {
  test("a failed event callback is logged by the sender, with its component and the receiver's URL without secrets", { timeout: 90_000 }, async () => {
    // A receiver that answers 500: the callback fails and is retried.
    const receiver = createHttpServer((_req, res) => res.writeHead(500).end());
    const port = await freePort();
    await new Promise<void>((resolve) => receiver.listen(port, '127.0.0.1', resolve));
    after(() => new Promise((resolve) => receiver.close(resolve)));
    const p = await startProcess({ LOG_LEVEL: 'info' });
    started.push(p);
    const url = `http://127.0.0.1:${port}/events?token=callback-secret-0123456789&kind=1`;
    const res = await fetch(`${p.baseUrl}/taskrouter/v1/Workspaces`, {
      method: 'POST',
      headers: { authorization: basicAuth(p), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ FriendlyName: 'logged', EventCallbackUrl: url }),
    });
    assert.equal(res.status, 201, await res.text());
    const line = await p.line((l) => l.component === 'deliveries' && l.kind === 'event_callback');
    assert.equal(line.level, 30, 'info');
    assert.equal(line.status, 500);
    assert.equal(line.url, `http://127.0.0.1:${port}/events?token=[Redacted]&kind=1`);
    assert.ok(!p.stdout().includes('callback-secret'));
  });
});

describe('withoutSecrets', () => {
  test('replaces the values of secret-looking query parameters, keeps the rest as written', () => {
    assert.equal(withoutSecrets('/a/b'), '/a/b');
    assert.equal(withoutSecrets('/a?x=1&Token=t&AccessToken=u&password=p&sig=2&X-Twilio-Signature=s&apikey=k'), '/a?x=1&Token=[Redacted]&AccessToken=[Redacted]&password=[Redacted]&sig=2&X-Twilio-Signature=[Redacted]&apikey=[Redacted]');
    assert.equal(withoutSecrets('/a?%74oken=t&flag'), '/a?%74oken=[Redacted]&flag');
  });
});
