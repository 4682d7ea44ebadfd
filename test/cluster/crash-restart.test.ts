/**
 * A server killed (SIGKILL) in the middle of routing and started again on the same store: every
 * task and reservation is in one legal, mutually consistent state, nothing acknowledged is lost,
 * and the timers that were pending still fire, exactly once each.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  advance,
  call,
  eventViolations,
  HttpError,
  invariantViolations,
  lanes,
  postgresStore,
  sleep,
  sqliteStore,
  startNode,
  setupWorkspace,
  tr,
  type Node,
  type Store,
} from './support.ts';

const RESERVATION_TIMEOUT = 60;
const TTL = 200;
const WORKERS = 12;

interface Backend {
  name: string;
  open(): Promise<Store>;
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-crash-'));
      const store = sqliteStore(join(dir, 'crash.db'));
      const dispose = store.dispose;
      store.dispose = async () => {
        await dispose();
        rmSync(dir, { recursive: true, force: true });
      };
      return store;
    },
  },
];
const url = process.env.TEST_DATABASE_URL;
if (url) backends.push({ name: 'postgres', open: () => postgresStore(url) });
else console.log('NOTE: TEST_DATABASE_URL is not set: the PostgreSQL pass of the crash-restart test did NOT run (SQLite did).');

/** A tiny deterministic choice per SID, so a run's decisions do not depend on timing. */
const pick = (sid: string, salt: number) => createHash('sha1').update(`${salt}:${sid}`).digest().readUInt32BE(0) % 100;

for (const backend of backends) {
  describe(`crash and restart (${backend.name})`, () => {
    const nodes: Node[] = [];
    let store: Store | undefined;
    after(async () => {
      for (const n of nodes) await n.kill('SIGKILL');
      await store?.dispose();
    });

    test('a server killed under load comes back consistent, and its pending timers fire once', { timeout: 240_000 }, async () => {
      const started = Date.now();
      store = await backend.open();
      const first = await startNode(`${backend.name}-start`, store.env, { SWITCHYARD_CLOCK_CONTROL: '1' });
      nodes.push(first);
      const ws = await setupWorkspace(first.baseUrl, {
        name: 'crash',
        queues: [{ name: 'Everyone', target: '1==1', maxReserved: 2, type: 'any' }],
        workers: WORKERS,
        skills: () => ['sms'],
        capacity: (i) => 2 + (i % 3),
        reservationTimeout: RESERVATION_TIMEOUT,
      });
      const base = tr(ws.sid);

      // What the clients were told: all of it must survive the crashes.
      const acked = {
        tasks: new Set<string>(),
        accepted: new Set<string>(), // reservation SIDs
        rejected: new Set<string>(),
        wrapped: new Set<string>(), // task SIDs
        completed: new Set<string>(), // task SIDs
      };
      const ignored = new Set<string>();

      /** Creates, accepts, rejects, wraps and completes on `node` until `killAt()` says so, then SIGKILLs it. */
      async function loadThenKill(node: Node, killAt: (since: number, tasksBefore: number) => boolean) {
        const unexpected: string[] = [];
        let killed = false;
        const note = (what: string, err: unknown) => {
          if (killed) return; // requests cut by the kill are expected to fail
          if (err instanceof HttpError && (err.status === 410 || err.status === 400)) return; // lost a race: legal
          unexpected.push(`${what}: ${(err as Error).message}`);
        };
        const creators = lanes(4, async (lane) => {
          if (killed) return false;
          try {
            const t = await call(node.baseUrl, 'POST', `${base}/Tasks`, {
              WorkflowSid: ws.workflowSid,
              TaskChannel: 'sms',
              Timeout: TTL,
              Attributes: JSON.stringify({ type: 'any', lane }),
            });
            if (!killed) acked.tasks.add(t.sid);
          } catch (err) {
            note('create', err);
          }
          await sleep(15);
          return !killed;
        });
        const agents = lanes(WORKERS, async (i) => {
          if (killed) return false;
          const worker = ws.workers[i].sid;
          try {
            const page = await call(node.baseUrl, 'GET', `${base}/Workers/${worker}/Reservations?ReservationStatus=pending&PageSize=50`);
            const todo = page.reservations.filter((r: any) => !ignored.has(r.sid));
            await Promise.all(
              todo.map(async (r: any) => {
                const roll = pick(r.sid, 7);
                try {
                  if (roll < 15) {
                    ignored.add(r.sid); // left pending: its timeout must fire after the restart
                  } else if (roll < 35) {
                    await call(node.baseUrl, 'POST', `${base}/Workers/${worker}/Reservations/${r.sid}`, { ReservationStatus: 'rejected' });
                    if (!killed) acked.rejected.add(r.sid);
                  } else {
                    await call(node.baseUrl, 'POST', `${base}/Tasks/${r.task_sid}/Reservations/${r.sid}`, { ReservationStatus: 'accepted' });
                    if (!killed) acked.accepted.add(r.sid);
                    const then = pick(r.sid, 11);
                    if (then < 8) return; // stays assigned
                    if (then < 30) {
                      await call(node.baseUrl, 'POST', `${base}/Tasks/${r.task_sid}`, { AssignmentStatus: 'wrapping' });
                      if (!killed) acked.wrapped.add(r.task_sid);
                      if (then < 14) return; // stays wrapping
                    }
                    await call(node.baseUrl, 'POST', `${base}/Tasks/${r.task_sid}`, { AssignmentStatus: 'completed', Reason: 'done' });
                    if (!killed) acked.completed.add(r.task_sid);
                  }
                } catch (err) {
                  note(`reservation ${r.sid}`, err);
                }
              }),
            );
            if (todo.length === 0) await sleep(30);
          } catch (err) {
            note('poll', err);
            await sleep(30);
          }
          return !killed;
        });
        // Kill it mid-way, while requests are in flight.
        const since = Date.now();
        const tasksBefore = acked.tasks.size;
        while (!killAt(Date.now() - since, acked.tasks.size - tasksBefore) && unexpected.length === 0 && Date.now() - since < 30_000) await sleep(10);
        node.child.kill('SIGKILL');
        killed = true;
        await node.exited;
        await Promise.all([creators, agents]);
        assert.deepEqual(unexpected, [], `no request failed unexpectedly before the kill; the server said:\n${node.output()}`);
        assert.ok(acked.tasks.size > tasksBefore, 'there was load before the kill');
      }

      // Three crashes at different moments: after a number of tasks, after a time, early on.
      const killPoints = [(_: number, n: number) => n >= 100, (ms: number, n: number) => ms >= 900 && n >= 5, (_: number, n: number) => n >= 25];
      let node = first;
      for (const [round, killAt] of killPoints.entries()) {
        await loadThenKill(node, killAt);
        node = await startNode(`${backend.name}-restart${round + 1}`, store.env, { SWITCHYARD_CLOCK_CONTROL: '1' });
        nodes.push(node);
        await checkAcked(`after crash ${round + 1}`);
        await check(`after crash ${round + 1}`);
      }
      const second = node;
      const loadSeconds = (Date.now() - started) / 1000;

      /** Nothing acknowledged is lost. */
      async function checkAcked(when: string) {
        const rows = await store!.all<{ sid: string; assignment_status: string }>('SELECT sid, assignment_status FROM tasks WHERE workspace_sid = ?', [ws.sid]);
        const taskStatus = new Map(rows.map((r) => [r.sid, r.assignment_status]));
        const resRows = await store!.all<{ sid: string; reservation_status: string }>('SELECT sid, reservation_status FROM reservations WHERE workspace_sid = ?', [ws.sid]);
        const resStatus = new Map(resRows.map((r) => [r.sid, r.reservation_status]));
        for (const sid of acked.tasks) assert.ok(taskStatus.has(sid), `${when}: acknowledged task ${sid} survived`);
        for (const sid of acked.accepted)
          assert.ok(['accepted', 'wrapping', 'completed'].includes(resStatus.get(sid)!), `${when}: accepted reservation ${sid} is ${resStatus.get(sid)}`);
        for (const sid of acked.rejected) assert.equal(resStatus.get(sid), 'rejected', `${when}: rejected reservation ${sid}`);
        for (const sid of acked.wrapped) assert.ok(['wrapping', 'completed'].includes(taskStatus.get(sid)!), `${when}: wrapped task ${sid} is ${taskStatus.get(sid)}`);
        for (const sid of acked.completed) assert.equal(taskStatus.get(sid), 'completed', `${when}: completed task ${sid}`);
      }

      const rows = await store.all<{ sid: string; assignment_status: string }>('SELECT sid, assignment_status FROM tasks WHERE workspace_sid = ?', [ws.sid]);
      const taskStatus = new Map(rows.map((r) => [r.sid, r.assignment_status]));
      const resRows = await store.all<{ sid: string; reservation_status: string }>('SELECT sid, reservation_status FROM reservations WHERE workspace_sid = ?', [ws.sid]);

      /** Every task in one legal state, consistent with its reservations, counters, timers and events. */
      async function check(when: string) {
        const problems = await store!.snapshot(async (q) => [...(await invariantViolations(q, ws.sid)), ...(await eventViolations(q, ws.sid))]);
        assert.deepEqual(problems, [], `invariants ${when}`);
      }

      // The restarted server serves the same state.
      const listed = await call(second.baseUrl, 'GET', `${base}/Tasks?PageSize=1000`);
      assert.equal(listed.tasks.length, rows.length);
      for (const t of listed.tasks) assert.equal(t.assignment_status, taskStatus.get(t.sid));

      const states = (s: string) => rows.filter((r) => r.assignment_status === s).length;
      const mix = `tasks ${rows.length}: pending ${states('pending')}, reserved ${states('reserved')}, assigned ${states('assigned')}, wrapping ${states('wrapping')}, completed ${states('completed')}`;
      const pendingRes = resRows.filter((r) => r.reservation_status === 'pending').map((r) => r.sid);
      const open = rows.filter((r) => r.assignment_status === 'pending' || r.assignment_status === 'reserved').map((r) => r.sid);
      const held = rows.filter((r) => r.assignment_status === 'assigned' || r.assignment_status === 'wrapping');
      assert.ok(pendingRes.length > 0, `some reservations were pending at the crash (${mix})`);
      assert.ok(open.length > 0, `some tasks were waiting at the crash (${mix})`);

      // Past the reservation timeout: each pending reservation times out, once.
      await advance(second, RESERVATION_TIMEOUT + 1);
      const countEvents = async (type: string, sids: string[]) => {
        const evs = await store!.all<{ resource_sid: string }>('SELECT resource_sid FROM events WHERE workspace_sid = ? AND event_type = ?', [ws.sid, type]);
        const counts = new Map<string, number>();
        for (const e of evs) counts.set(e.resource_sid, (counts.get(e.resource_sid) ?? 0) + 1);
        return sids.map((s) => counts.get(s) ?? 0);
      };
      const timedOut = await store.all<{ sid: string; reservation_status: string }>(
        `SELECT sid, reservation_status FROM reservations WHERE sid IN (${pendingRes.map(() => '?').join(', ')})`,
        pendingRes,
      );
      for (const r of timedOut) assert.equal(r.reservation_status, 'timeout', `reservation ${r.sid} timed out`);
      assert.deepEqual(await countEvents('reservation.timeout', pendingRes), pendingRes.map(() => 1), 'one reservation.timeout each');
      await check('after the reservation timeouts');

      // Past the TTL: every task still waiting is canceled, once; assigned work is left alone.
      await advance(second, TTL - RESERVATION_TIMEOUT);
      const after2 = await store.all<{ sid: string; assignment_status: string; reason: string | null }>(
        'SELECT sid, assignment_status, reason FROM tasks WHERE workspace_sid = ?',
        [ws.sid],
      );
      const now = new Map(after2.map((r) => [r.sid, r]));
      for (const sid of open) {
        assert.equal(now.get(sid)?.assignment_status, 'canceled', `waiting task ${sid} canceled`);
        assert.equal(now.get(sid)?.reason, 'Task TTL Exceeded');
      }
      for (const t of held) assert.equal(now.get(t.sid)?.assignment_status, t.assignment_status, `held task ${t.sid} untouched`);
      assert.equal(after2.filter((r) => r.assignment_status === 'pending' || r.assignment_status === 'reserved').length, 0, 'nothing left waiting');
      assert.deepEqual(await countEvents('task.canceled', open), open.map(() => 1), 'one task.canceled each');
      const canceledTotal = after2.filter((r) => r.assignment_status === 'canceled').length;
      const canceledEvents = (await store.all<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE workspace_sid = ? AND event_type = 'task.canceled'", [ws.sid]))[0].n;
      assert.equal(Number(canceledEvents), canceledTotal, 'as many task.canceled events as canceled tasks');
      const leftTimers = await store.all<{ kind: string; n: number }>('SELECT kind, COUNT(*) AS n FROM timers WHERE workspace_sid = ? GROUP BY kind', [ws.sid]);
      assert.deepEqual(
        leftTimers.filter((t) => t.kind !== 'cleanup' && t.kind !== 'assigned'),
        [],
        'only the cleanup timers of closed tasks and the 24-hour limits of assigned ones are left',
      );
      await check('after the TTLs');

      // Nothing fires twice.
      const again = await advance(second, 1);
      assert.equal(again.timers_fired, 0);
      await check('at the end');
      await second.kill('SIGTERM');
      console.log(
        `crash-restart (${backend.name}): 3 crashes in ${loadSeconds.toFixed(1)} s of load, leaving ${mix}; ` +
          `${pendingRes.length} pending reservations timed out and ${open.length} waiting tasks canceled after the restart; ` +
          `${((Date.now() - started) / 1000).toFixed(1)} s in all`,
      );
    });
  });
}
