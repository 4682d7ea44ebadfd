/**
 * Durable timers seen from several engines on one store (two connections to one SQLite file, or
 * two pools on one PostgreSQL schema), in one process with one manual clock so that every step is
 * deterministic: each due timer fires once however many engines tick at once, an engine's polling
 * fires timers another engine set, a tick asked for while a pass is under way still sees what is due
 * when it was asked, and a timer that cannot fire does not hold the others back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import { createServer, type Server } from '../../src/server.ts';
import type { StoreConfig } from '../../src/store/open.ts';
import { ACCOUNT_SID, AUTH_TOKEN, call, postgresStore, setupWorkspace, sleep, tr, type Workspace } from './support.ts';

interface Backend {
  name: string;
  open(): Promise<{ config: StoreConfig; dispose(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-timers-'));
      return { config: { sqliteFile: join(dir, 'timers.db') }, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
];
const url = process.env.TEST_DATABASE_URL;
if (url)
  backends.push({
    name: 'postgres',
    async open() {
      const store = await postgresStore(url);
      return { config: { databaseUrl: store.env.DATABASE_URL, schema: store.env.DATABASE_SCHEMA }, dispose: () => store.dispose() };
    },
  });
else console.log('NOTE: TEST_DATABASE_URL is not set: the PostgreSQL pass of the timers test did NOT run (SQLite did).');

for (const backend of backends) {
  describe(`timers on several engines (${backend.name})`, () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    let store: Awaited<ReturnType<Backend['open']>>;
    let a: Server;
    let b: Server;
    let baseA: string;
    let ws: Workspace;
    const account = { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN };

    const start = async (timers: 'auto' | 'manual') => {
      const s = await createServer({ ...store.config, clock, timers, account });
      await s.app.listen({ port: 0, host: '127.0.0.1' });
      return s;
    };
    const address = (s: Server) => `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}`;

    before(async () => {
      store = await backend.open();
      a = await start('manual');
      b = await start('manual');
      baseA = address(a);
      ws = await setupWorkspace(baseA, {
        name: 'timers',
        queues: [
          { name: 'Nobody', target: "skills HAS 'nobody'", maxReserved: 1, type: 'wait' },
          { name: 'Agents', target: "skills HAS 'sms'", maxReserved: 1, type: 'offer' },
        ],
        workers: 6,
        skills: () => ['sms'],
        capacity: () => 1,
        reservationTimeout: 30,
      });
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await store?.dispose();
    });

    const createTasks = async (n: number, type: string, timeout: number) => {
      const sids: string[] = [];
      for (let i = 0; i < n; i++) {
        const t = await call(baseA, 'POST', `${tr(ws.sid)}/Tasks`, { WorkflowSid: ws.workflowSid, Timeout: timeout, Attributes: JSON.stringify({ type }) });
        sids.push(t.sid);
      }
      return sids;
    };
    const eventsFor = async (type: string, sids: string[]) => {
      const rows = await a.db.all<{ resource_sid: string }>('SELECT resource_sid FROM events WHERE workspace_sid = ? AND event_type = ?', [ws.sid, type]);
      return sids.map((sid) => rows.filter((r) => r.resource_sid === sid).length);
    };
    const statusOf = async (sids: string[]) => {
      const rows = await a.db.all<{ sid: string; assignment_status: string }>('SELECT sid, assignment_status FROM tasks WHERE workspace_sid = ?', [ws.sid]);
      const m = new Map(rows.map((r) => [r.sid, r.assignment_status]));
      return sids.map((s) => m.get(s));
    };

    test('two engines ticking the same due timers at once fire each once', async () => {
      const waiting = await createTasks(30, 'wait', 60);
      const offered = await createTasks(6, 'offer', 3600);
      const reservations = await a.db.all<{ sid: string }>("SELECT sid FROM reservations WHERE workspace_sid = ? AND reservation_status = 'pending'", [ws.sid]);
      assert.equal(reservations.length, 6, 'each offered task reserved a worker');
      clock.advance(61_000);
      const due = (await a.db.all<{ n: number }>('SELECT COUNT(*) AS n FROM timers WHERE due_at <= ?', [clock.now()]))[0].n;
      assert.equal(Number(due), 36, '30 TTLs and 6 reservation timeouts are due');
      const fired = await Promise.all([a.taskRouter.engine.tick(), b.taskRouter.engine.tick()]);
      assert.equal(
        fired.reduce((x, y) => x + y, 0),
        36,
        `the engines fired ${fired.join(' + ')} between them`,
      );
      assert.deepEqual(await eventsFor('task.canceled', waiting), waiting.map(() => 1));
      assert.deepEqual(
        await eventsFor('reservation.timeout', reservations.map((r) => r.sid)),
        reservations.map(() => 1),
      );
      assert.deepEqual(await statusOf(offered), offered.map(() => 'pending'), 'the offered tasks wait again (their workers went offline)');
      assert.equal((await Promise.all([a.taskRouter.engine.tick(), b.taskRouter.engine.tick()])).reduce((x, y) => x + y, 0), 0, 'nothing fires twice');
      // Clean up the offered tasks so the next tests start from an idle workspace.
      for (const sid of offered) await call(baseA, 'POST', `${tr(ws.sid)}/Tasks/${sid}`, { AssignmentStatus: 'canceled' });
    });

    test('a tick asked for while a pass is under way still fires what is due when it was asked', async () => {
      const sids = await createTasks(3, 'wait', 60);
      // Hold the engine's look at the due timers, as a slow database would, while the clock moves.
      const db = a.db as { all: typeof a.db.all };
      const original = db.all;
      let held = 0;
      db.all = async function (this: unknown, sql: string, params?: unknown[]) {
        if (sql.includes('FROM timers WHERE due_at <=')) {
          held++;
          await sleep(200);
        }
        return original.call(a.db, sql, params as never);
      } as typeof db.all;
      try {
        const early = a.taskRouter.engine.tick(); // a poll: looks before the clock moves
        await sleep(20);
        clock.advance(60_000);
        const asked = await a.taskRouter.engine.tick(); // what POST /Clock does after moving it
        assert.equal(await early, 0);
        assert.equal(asked, 3, 'the tick asked for after the clock moved fired the three TTLs');
        assert.ok(held >= 2);
      } finally {
        db.all = original;
      }
      assert.deepEqual(await statusOf(sids), ['canceled', 'canceled', 'canceled']);
    });

    test('a timer that fails to fire does not hold back the others, and is tried again later', async () => {
      const sids = await createTasks(5, 'wait', 60);
      const lifecycle = a.taskRouter.engine.lifecycle;
      const fire = lifecycle.fire;
      const broken = sids[0];
      lifecycle.fire = async function (tx, timer) {
        if (timer.ref_sid === broken) throw new Error('simulated failure');
        return fire.call(this, tx, timer);
      };
      const errors: unknown[] = [];
      // The engine reports through the logger it is given (the server's, or the console's).
      const engine = a.taskRouter.engine;
      const log = engine.log;
      engine.log = Object.assign(Object.create(log), { error: (...args: unknown[]) => void errors.push(args) });
      try {
        clock.advance(60_000);
        const fired = await a.taskRouter.engine.tick();
        assert.equal(fired, 4, 'the four other TTLs fired');
        assert.deepEqual(await statusOf(sids), ['pending', 'canceled', 'canceled', 'canceled', 'canceled']);
        assert.ok(errors.length >= 1, 'the failure was reported');
        const left = await a.db.all<{ due_at: number }>("SELECT due_at FROM timers WHERE kind = 'ttl' AND ref_sid = ?", [broken]);
        assert.equal(left.length, 1, 'the failed timer is kept');
        assert.ok(Number(left[0].due_at) > clock.now(), 'and put off, not retried at once');
        assert.equal(await a.taskRouter.engine.tick(), 0, 'not retried in a tight loop');
      } finally {
        lifecycle.fire = fire;
        engine.log = log;
      }
      clock.advance(60_000);
      assert.equal(await a.taskRouter.engine.tick(), 1, 'tried again once the failure is gone');
      assert.deepEqual(await statusOf(sids), sids.map(() => 'canceled'));
      assert.deepEqual(await eventsFor('task.canceled', sids), sids.map(() => 1));
    });

    test("an engine's polling fires timers another engine set", async () => {
      const poller = await start('auto');
      try {
        const sids = await createTasks(4, 'wait', 30); // set through A, which never ticks
        clock.advance(30_000);
        const until = Date.now() + 5_000;
        while ((await statusOf(sids)).some((s) => s !== 'canceled')) {
          assert.ok(Date.now() < until, 'the poller fired them within a few seconds');
          await sleep(50);
        }
        assert.deepEqual(await eventsFor('task.canceled', sids), sids.map(() => 1));
      } finally {
        await poller.close();
      }
    });
  });
}
