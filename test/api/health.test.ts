/**
 * /health/live, /health/ready and /health. Ready means: the store answers a query in time, it has
 * every migration, the timer loop is alive. PostgreSQL is reached through a TCP proxy the test
 * controls, so it can be cut (refused, or silent) and restored while the server runs.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createServer, type Server } from '../../src/server.ts';
import { STORE_CHECK_TIMEOUT_MS } from '../../src/ops/health.ts';
import { LATEST_MIGRATION } from '../../src/store/migrations.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';

async function get(baseUrl: string, path: string): Promise<{ status: number; body: any; ms: number }> {
  const started = Date.now();
  const res = await fetch(baseUrl + path);
  return { status: res.status, body: await res.json(), ms: Date.now() - started };
}

/** Asks until the answer has `status` (and passes `also`); each try waits for its answer. Fails after `ms`. */
async function until(baseUrl: string, path: string, status: number, also: (body: any) => boolean = () => true, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await get(baseUrl, path);
    if (r.status === status && also(r.body)) return r;
    if (Date.now() > deadline) throw new Error(`${path} still ${r.status} after ${ms} ms: ${JSON.stringify(r.body)}`);
  }
}

/** A TCP proxy in front of PostgreSQL: forwards, refuses (cut), or accepts and says nothing (silent). */
class Proxy {
  port = 0;
  mode: 'forward' | 'silent' = 'forward';
  private server: TcpServer | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(
    private readonly host: string,
    private readonly upstreamPort: number,
  ) {}

  async listen(): Promise<void> {
    const server = createTcpServer((client) => {
      this.track(client);
      if (this.mode === 'silent') return;
      const upstream = connect(this.upstreamPort, this.host);
      this.track(upstream);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Stops accepting and cuts every connection: PostgreSQL is unreachable (connections refused). */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  private track(s: Socket) {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
  }
}

const url = process.env.TEST_DATABASE_URL;
if (!url) console.warn('NOTE: TEST_DATABASE_URL is not set: the PostgreSQL readiness tests did NOT run.');
else
  describe('/health/ready with PostgreSQL behind a proxy the test cuts and restores', () => {
    const target = new URL(url);
    const proxy = new Proxy(target.hostname, Number(target.port || 5432));
    const schema = `sy_health_${randomBytes(6).toString('hex')}`;
    let server: Server;
    let baseUrl: string;

    before(async () => {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.end();
      await proxy.listen();
      const through = new URL(url);
      through.hostname = '127.0.0.1';
      through.port = String(proxy.port);
      server = await createServer({ databaseUrl: through.toString(), schema, timers: 'auto' });
      await server.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`;
    });
    after(async () => {
      // Forwarding again, whatever a failed test left, so the server can close.
      proxy.mode = 'forward';
      await proxy.cut();
      await proxy.listen();
      await server?.close();
      await proxy.cut();
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    });

    test('ready while PostgreSQL answers; 503 naming the store when it refuses connections; 200 again when it is back; live throughout', async () => {
      const ready = await get(baseUrl, '/health/ready');
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      assert.equal(ready.body.status, 'ok');
      assert.deepEqual(
        Object.fromEntries(Object.entries(ready.body.checks).map(([k, v]) => [k, (v as { status: string }).status])),
        { store: 'ok', migrations: 'ok', timers: 'ok' },
      );
      assert.equal(ready.body.checks.migrations.applied, LATEST_MIGRATION);

      await proxy.cut();
      const down = await until(baseUrl, '/health/ready', 503);
      assert.equal(down.body.status, 'unavailable');
      assert.equal(down.body.checks.store.status, 'failing');
      assert.match(down.body.checks.store.error, /ECONNREFUSED|Connection terminated|connection/i);
      assert.doesNotMatch(JSON.stringify(down.body), new RegExp(target.password || 'no password', 'i'));
      assert.equal((await get(baseUrl, '/health')).status, 503, '/health is /health/ready');
      assert.deepEqual(await get(baseUrl, '/health/live').then((r) => [r.status, r.body]), [200, { status: 'ok' }], 'the process is alive all the same');

      await proxy.listen();
      const back = await until(baseUrl, '/health/ready', 200);
      assert.equal(back.body.checks.store.status, 'ok');
      assert.equal((await get(baseUrl, '/health')).status, 200);
    });

    test('a store that accepts connections but never answers: 503 after the check timeout, not a hanging probe', async () => {
      proxy.mode = 'silent';
      await proxy.cut(); // the pooled connections go; new ones reach a proxy that says nothing
      await proxy.listen();
      // The first probes may meet pooled connections the cut has just broken; then a new one meets the silence.
      const timedOut = (body: any) => /no answer within/.test(body.checks.store.error ?? '');
      const silent = await until(baseUrl, '/health/ready', 503, timedOut);
      assert.match(silent.body.checks.store.error, new RegExp(`no answer within ${STORE_CHECK_TIMEOUT_MS} ms`));
      assert.ok(silent.ms >= STORE_CHECK_TIMEOUT_MS && silent.ms < STORE_CHECK_TIMEOUT_MS + 1500, `answered in ${silent.ms} ms`);
      proxy.mode = 'forward';
      await proxy.cut(); // the silent connections fail, and the probe waiting on one with them
      await proxy.listen();
      assert.equal((await until(baseUrl, '/health/ready', 200)).body.status, 'ok');
    });
  });

for (const backend of backends())
  describe(`/health/ready on ${backend.name}: migrations and the timer loop`, () => {
    let t: TestServer;
    before(async () => (t = await startServer(backend, { timers: 'auto' })));
    after(() => t.close());

    test('a store without the latest migration is not ready', async () => {
      const row = await t.server.db.get<{ applied_at: number }>('SELECT applied_at FROM schema_migrations WHERE id = ?', [LATEST_MIGRATION]);
      await t.server.db.run('DELETE FROM schema_migrations WHERE id = ?', [LATEST_MIGRATION]);
      try {
        const r = await get(t.baseUrl, '/health/ready');
        assert.equal(r.status, 503);
        assert.deepEqual(r.body.checks.migrations, { status: 'failing', applied: LATEST_MIGRATION - 1, expected: LATEST_MIGRATION, error: 'the store lacks migrations this code needs' });
        assert.equal(r.body.checks.store.status, 'ok');
      } finally {
        await t.server.db.run('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)', [LATEST_MIGRATION, row!.applied_at]);
      }
      assert.equal((await get(t.baseUrl, '/health/ready')).status, 200);
    });

    test('a timer loop that stopped looking is not ready', async () => {
      const engine = t.server.taskRouter.engine;
      assert.equal((await get(t.baseUrl, '/health/ready')).body.checks.timers.status, 'ok');
      await engine.stop();
      // Stopped: it looks no more. Its last look is put back 16 s rather than waiting them out.
      engine.lastLookAt = Date.now() - 16_000;
      const r = await get(t.baseUrl, '/health/ready');
      assert.equal(r.status, 503);
      assert.equal(r.body.checks.timers.status, 'failing');
      assert.match(r.body.checks.timers.error, /the timer loop has not finished a look for \d+ ms/);
      engine.start();
      const back = await until(t.baseUrl, '/health/ready', 200);
      assert.equal(back.body.checks.timers.status, 'ok');
    });
  });

test('timers fired by hand (tests) count as running; the probes need no credentials', async () => {
  const [sqlite] = backends();
  const t = await startServer(sqlite);
  try {
    const r = await get(t.baseUrl, '/health/ready');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.checks.timers, { status: 'ok', mode: 'manual' });
  } finally {
    await t.close();
  }
});
