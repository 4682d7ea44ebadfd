/**
 * Three server processes on one PostgreSQL, 50 agents and 2,000 tasks pushed through all of them
 * at once: every task is completed exactly once, no worker is ever over capacity, the events add
 * up, and timers fire once each whichever node (or nodes) tick them.
 *
 * Several nodes need PostgreSQL: without TEST_DATABASE_URL this file registers no test and says so.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, test } from 'node:test';
import {
  advance,
  call,
  eventCounts,
  eventViolations,
  HttpError,
  capacityViolations,
  invariantViolations,
  lanes,
  postgresStore,
  setupWorkspace,
  sleep,
  startNode,
  tr,
  type Node,
  type Store,
} from './support.ts';

const url = process.env.TEST_DATABASE_URL;
const TASKS = Number(process.env.CLUSTER_TASKS ?? 2000);
const WORKERS = 50;
const NODES = 3;
const HEAD_START = Math.min(250, TASKS / 4);

const ENDINGS = ['reservation.rejected', 'reservation.timeout', 'reservation.canceled', 'reservation.rescinded', 'reservation.completed'];
const pick = (sid: string, salt: number) => createHash('sha1').update(`${salt}:${sid}`).digest().readUInt32BE(0) % 100;

if (!url) {
  console.log('NOTE: TEST_DATABASE_URL is not set: the several-nodes cluster test (PostgreSQL only) did NOT run.');
} else {
  describe('several nodes on one PostgreSQL', () => {
    const nodes: Node[] = [];
    let store: Store | undefined;
    after(async () => {
      await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
      await store?.dispose();
    });

    test(`${TASKS} tasks through ${NODES} nodes and ${WORKERS} agents: each completed once, nobody over capacity, events exact, timers once`, { timeout: 240_000 }, async () => {
      store = await postgresStore(url);
      const s = store;
      // All at once on the empty schema: one migrates, the others wait for it.
      const starting = Array.from({ length: NODES }, (_, i) => startNode(`node${i}`, s.env, { SWITCHYARD_CLOCK_CONTROL: '1' }));
      for (const n of await Promise.allSettled(starting)) if (n.status === 'fulfilled') nodes.push(n.value);
      for (const n of await Promise.allSettled(starting)) if (n.status === 'rejected') throw n.reason;
      assert.equal(nodes.length, NODES, 'every node started (a migration run twice would have failed one)');
      const nodeAt = (i: number) => nodes[((i % NODES) + NODES) % NODES];
      const requests = nodes.map(() => 0);
      const on = (i: number, method: 'GET' | 'POST', path: string, form?: Record<string, string | number>) => {
        requests[((i % NODES) + NODES) % NODES]++;
        return call(nodeAt(i).baseUrl, method, path, form);
      };

      const ws = await setupWorkspace(nodes[0].baseUrl, {
        name: 'cluster',
        queues: [
          { name: 'Sales', target: "skills HAS 'sales'", maxReserved: 1, type: 'sales' },
          // Several workers offered each support task at once: they race to accept it, on different nodes.
          { name: 'Support', target: "skills HAS 'support'", maxReserved: 2, type: 'support' },
          { name: 'Nobody', target: "skills HAS 'nobody'", maxReserved: 1, type: 'ttl' },
        ],
        workers: WORKERS,
        skills: (i) => [...(i % 2 === 0 || i % 5 === 0 ? ['sales'] : []), ...(i % 2 === 1 || i % 3 === 0 ? ['support'] : [])],
        capacity: (i) => 2 + (i % 3),
        reservationTimeout: 3600,
      });
      const base = tr(ws.sid);
      const capacityOf = new Map(ws.workers.map((w) => [w.sid, w.capacity]));

      // ---- the load --------------------------------------------------------------------------
      const started = Date.now();
      const deadline = started + 170_000;
      const created = new Set<string>();
      const completed = new Set<string>();
      const accepted = new Map<string, string>(); // task → reservation, as the clients saw it
      let rejected = 0;
      let wrapped = 0;
      let lostRaces = 0;
      const failures: string[] = [];
      const fail = (what: string, err: unknown) => {
        if (failures.length < 20) failures.push(`${what}: ${(err as Error).message}`);
      };
      const done = () => completed.size >= TASKS || failures.length > 0 || Date.now() > deadline;

      // The capacity and consistency invariants, sampled on consistent snapshots while it all runs.
      let samples = 0;
      const sampled: string[] = [];
      const sampler = (async () => {
        for (let round = 0; !done(); round++) {
          // Capacity on every sample (cheap); every task against its reservations on every fourth.
          const problems = await s.snapshot((q) => (round % 4 === 0 ? invariantViolations(q, ws.sid) : capacityViolations(q, ws.sid)));
          samples++;
          if (problems.length) sampled.push(...problems.slice(0, 10));
          await sleep(300);
        }
      })();

      let nextTask = 0;
      const creators = lanes(3 * NODES, async (lane) => {
        const i = nextTask++;
        if (i >= TASKS || done()) return false;
        try {
          const t = await on(lane, 'POST', `${base}/Tasks`, {
            WorkflowSid: ws.workflowSid,
            TaskChannel: 'sms',
            Attributes: JSON.stringify({ type: i % 3 === 0 ? 'support' : 'sales', n: i }),
          });
          created.add(t.sid);
        } catch (err) {
          fail(`create #${i}`, err);
        }
        return true;
      });

      const polls = ws.workers.map(() => 0);
      const agents = lanes(WORKERS, async (a) => {
        if (done()) return false;
        // The agents start once work has piled up, so that every worker is offered up to its capacity.
        if (created.size < HEAD_START) {
          await sleep(50);
          return true;
        }
        const worker = ws.workers[a].sid;
        const round = polls[a]++;
        let page;
        try {
          page = await on(a + round, 'GET', `${base}/Workers/${worker}/Reservations?ReservationStatus=pending&PageSize=50`);
        } catch (err) {
          fail(`poll ${worker}`, err);
          return false;
        }
        await Promise.all(
          page.reservations.map(async (r: any) => {
            const n = a + round + 1;
            try {
              const reject = pick(r.sid, 1) < 5;
              try {
                if (reject) await on(n, 'POST', `${base}/Workers/${worker}/Reservations/${r.sid}`, { ReservationStatus: 'rejected' });
                else await on(n, 'POST', `${base}/Tasks/${r.task_sid}/Reservations/${r.sid}`, { ReservationStatus: 'accepted' });
              } catch (err) {
                // Another worker offered the same task accepted it first: this offer was rescinded.
                if (err instanceof HttpError && err.status === 410 && /from rescinded/.test(err.message)) {
                  lostRaces++;
                  return;
                }
                throw err;
              }
              if (reject) {
                rejected++;
                return;
              }
              if (accepted.has(r.task_sid)) fail(`task ${r.task_sid}`, new Error(`accepted twice: ${accepted.get(r.task_sid)} and ${r.sid}`));
              accepted.set(r.task_sid, r.sid);
              await sleep(20 + pick(r.sid, 3)); // handling it
              if (pick(r.sid, 2) < 15) {
                await on(n + 1, 'POST', `${base}/Tasks/${r.task_sid}`, { AssignmentStatus: 'wrapping' });
                wrapped++;
              }
              await on(n + 2, 'POST', `${base}/Tasks/${r.task_sid}`, { AssignmentStatus: 'completed', Reason: 'handled' });
              if (completed.has(r.task_sid)) fail(`task ${r.task_sid}`, new Error('completed twice'));
              completed.add(r.task_sid);
            } catch (err) {
              fail(`reservation ${r.sid}`, err);
            }
          }),
        );
        if (page.reservations.length === 0) await sleep(100);
        return true;
      });
      let lastReport = Date.now();
      while (!done()) {
        await sleep(250);
        if (Date.now() - lastReport > 15_000) {
          lastReport = Date.now();
          console.log(`  … ${((Date.now() - started) / 1000).toFixed(0)} s: ${created.size} created, ${completed.size} completed`);
        }
      }
      await Promise.all([creators, agents, sampler]);
      const seconds = (Date.now() - started) / 1000;
      assert.deepEqual(failures, [], 'no request failed');
      assert.equal(completed.size, TASKS, `all ${TASKS} tasks completed within the time allowed (${created.size} created)`);
      assert.deepEqual(sampled, [], `no sampled snapshot broke an invariant (${samples} samples)`);
      assert.ok(samples >= 3, `the invariants were sampled during the run (${samples})`);
      for (const [i, n] of requests.entries()) assert.ok(n > TASKS / 2, `node${i} served its share (${n} requests)`);

      // ---- the end state -----------------------------------------------------------------------
      const byStatus = await s.all<{ assignment_status: string; n: number }>(
        'SELECT assignment_status, COUNT(*) AS n FROM tasks WHERE workspace_sid = ? GROUP BY assignment_status',
        [ws.sid],
      );
      assert.deepEqual(byStatus, [{ assignment_status: 'completed', n: TASKS }], 'every task completed, none in another state');
      const resByStatus = Object.fromEntries(
        (
          await s.all<{ reservation_status: string; n: number }>(
            'SELECT reservation_status, COUNT(*) AS n FROM reservations WHERE workspace_sid = ? GROUP BY reservation_status',
            [ws.sid],
          )
        ).map((r) => [r.reservation_status, r.n]),
      );
      assert.equal(resByStatus.completed, TASKS, 'one completed reservation per task');
      assert.deepEqual(Object.keys(resByStatus).filter((k) => !['completed', 'rejected', 'rescinded'].includes(k)), [], 'reservations only completed, rejected or rescinded');
      assert.equal(resByStatus.rejected ?? 0, rejected, 'as many rejected reservations as rejections');
      assert.ok((resByStatus.rescinded ?? 0) >= lostRaces, 'every race lost was to a rescinded reservation');
      const perTask = await s.all<{ task_sid: string; n: number }>(
        "SELECT task_sid, COUNT(*) AS n FROM reservations WHERE workspace_sid = ? AND reservation_status = 'completed' GROUP BY task_sid HAVING COUNT(*) <> 1",
        [ws.sid],
      );
      assert.deepEqual(perTask, [], 'exactly one accepted→completed reservation per task');
      const mismatched = await s.all<{ sid: string }>(
        "SELECT r.sid, r.task_sid FROM reservations r WHERE r.workspace_sid = ? AND r.reservation_status = 'completed'",
        [ws.sid],
      );
      for (const r of mismatched as { sid: string; task_sid: string }[]) assert.equal(accepted.get(r.task_sid), r.sid, `task ${r.task_sid}: the reservation its agent accepted is the completed one`);
      const counters = await s.all<{ n: number }>('SELECT COUNT(*) AS n FROM worker_channels WHERE workspace_sid = ? AND (held <> 0 OR assigned <> 0)', [ws.sid]);
      assert.equal(counters[0].n, 0, 'every capacity counter back to 0');
      const problems = await s.snapshot(async (q) => [...(await invariantViolations(q, ws.sid)), ...(await eventViolations(q, ws.sid))]);
      assert.deepEqual(problems, [], 'invariants at the end');

      // Events: exact counts, and a replay in commit order (seq, serialised by the workspace lock).
      const counts = await eventCounts(s, ws.sid);
      const reservations = Object.values(resByStatus).reduce((a, b) => a + b, 0);
      assert.equal(counts['task.created'], TASKS);
      assert.equal(counts['task.completed'], TASKS);
      assert.equal(counts['task.canceled'] ?? 0, 0);
      assert.equal(counts['task.wrapup'] ?? 0, wrapped);
      assert.equal(counts['reservation.created'], reservations);
      assert.equal(counts['reservation.accepted'], TASKS);
      assert.equal(counts['reservation.completed'], TASKS);
      assert.equal(counts['reservation.wrapup'] ?? 0, wrapped);
      assert.equal(counts['reservation.rejected'] ?? 0, rejected);
      assert.equal(counts['reservation.rescinded'] ?? 0, resByStatus.rescinded ?? 0);
      assert.equal(counts['reservation.timeout'] ?? 0, 0);
      assert.equal(counts['reservation.canceled'] ?? 0, 0);
      assert.equal(
        counts['reservation.created'],
        counts['reservation.accepted'] + (counts['reservation.rejected'] ?? 0) + (counts['reservation.rescinded'] ?? 0),
        'every reservation was accepted, rejected or rescinded',
      );
      const evs = await s.all<{ event_type: string; worker_sid: string; task_sid: string }>(
        "SELECT event_type, worker_sid, task_sid FROM events WHERE workspace_sid = ? AND resource_type = 'reservation' ORDER BY seq",
        [ws.sid],
      );
      const holding = new Map<string, number>();
      const acceptedOf = new Map<string, number>();
      const peakOf = new Map<string, number>();
      const over: string[] = [];
      for (const e of evs) {
        const delta = e.event_type === 'reservation.created' ? 1 : ENDINGS.includes(e.event_type) ? -1 : 0;
        const h = (holding.get(e.worker_sid) ?? 0) + delta;
        holding.set(e.worker_sid, h);
        peakOf.set(e.worker_sid, Math.max(peakOf.get(e.worker_sid) ?? 0, h));
        if (h > capacityOf.get(e.worker_sid)! && over.length < 10) over.push(`${e.worker_sid} held ${h} > ${capacityOf.get(e.worker_sid)}`);
        if (e.event_type === 'reservation.accepted') acceptedOf.set(e.task_sid, (acceptedOf.get(e.task_sid) ?? 0) + 1);
      }
      assert.deepEqual(over, [], 'replaying the events, no worker ever held more than its capacity');
      assert.deepEqual([...holding.values()].filter((h) => h !== 0), [], 'replaying the events, everyone ends holding nothing');
      assert.equal(acceptedOf.size, TASKS);
      assert.deepEqual([...acceptedOf.values()].filter((n) => n !== 1), [], 'replaying the events, no task was ever accepted twice');
      // With work queued, workers were kept busy up to their capacity (and not beyond, as above).
      const full = [...peakOf].filter(([w, p]) => p === capacityOf.get(w)).length;
      assert.ok(full >= WORKERS / 2, `most workers were loaded up to their capacity (${full} of ${WORKERS})`);

      console.log(
        `several nodes: ${TASKS} tasks through ${NODES} nodes in ${seconds.toFixed(1)} s (${(TASKS / seconds).toFixed(0)} tasks/s, ` +
          `${requests.reduce((a, b) => a + b, 0)} requests: ${requests.join(' / ')}); ${reservations} reservations ` +
          `(${rejected} rejected, ${resByStatus.rescinded ?? 0} rescinded, ${lostRaces} of them while their worker acted on them), ${wrapped} wrapped up; ${full} of ${WORKERS} workers reached their capacity; ${samples} snapshots sampled`,
      );

      // ---- timers: three nodes tick the same due timers at once ----------------------------------
      const ttlTasks: string[] = [];
      await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const t = await on(i, 'POST', `${base}/Tasks`, { WorkflowSid: ws.workflowSid, Timeout: 120, Attributes: JSON.stringify({ type: 'ttl' }) });
          assert.equal(t.assignment_status, 'pending');
          ttlTasks.push(t.sid);
        }),
      );
      const ticks = await Promise.all(nodes.map((n) => advance(n, 121)));
      await waitFor(async () => (await canceledCounts(s, ws.sid, ttlTasks)).every((n) => n >= 1), 10_000);
      await sleep(1500); // every poller has had its turn
      assert.deepEqual(await canceledCounts(s, ws.sid, ttlTasks), ttlTasks.map(() => 1), 'each TTL fired once: one task.canceled per task');
      const fired = ticks.reduce((a, t) => a + t.timers_fired, 0);
      assert.ok(fired <= ttlTasks.length, `the nodes' ticks fired ${fired} timers between them, no more than there were`);
      const left = await s.all<{ n: number }>(
        `SELECT COUNT(*) AS n FROM timers WHERE kind = 'ttl' AND ref_sid IN (${ttlTasks.map(() => '?').join(', ')})`,
        ttlTasks,
      );
      assert.equal(left[0].n, 0, 'no TTL timer left behind');
      const reasons = await s.all<{ reason: string; n: number }>(
        `SELECT reason, COUNT(*) AS n FROM tasks WHERE sid IN (${ttlTasks.map(() => '?').join(', ')}) GROUP BY reason`,
        ttlTasks,
      );
      assert.deepEqual(reasons, [{ reason: 'Task TTL Exceeded', n: ttlTasks.length }]);

      // ---- timers set by other nodes fire from this one's polling ---------------------------------
      const later: string[] = [];
      await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const t = await on(1 + (i % 2), 'POST', `${base}/Tasks`, { WorkflowSid: ws.workflowSid, Timeout: 3, Attributes: JSON.stringify({ type: 'ttl' }) });
          later.push(t.sid);
        }),
      );
      // The nodes that set them are gone: only node0's poller (nobody calls its clock) can fire them.
      await Promise.all([nodes[1].kill('SIGKILL'), nodes[2].kill('SIGKILL')]);
      const waited = Date.now();
      await waitFor(async () => (await canceledCounts(s, ws.sid, later)).every((n) => n >= 1), 15_000);
      const pickedUp = (Date.now() - waited) / 1000;
      await sleep(1200);
      assert.deepEqual(await canceledCounts(s, ws.sid, later), later.map(() => 1), 'each fired once, by node0 polling');
      const endProblems = await s.snapshot(async (q) => [...(await invariantViolations(q, ws.sid)), ...(await eventViolations(q, ws.sid))]);
      assert.deepEqual(endProblems, [], 'invariants after the timers');
      console.log(
        `timers: 60 TTLs fired once with 3 nodes ticking at once (their clock calls fired ${ticks.map((t) => t.timers_fired).join(' + ')}); ` +
          `30 TTLs set on node1/node2 fired by node0's polling ${pickedUp.toFixed(1)} s after those nodes were killed`,
      );
    });
  });
}

async function canceledCounts(s: Store, workspaceSid: string, sids: string[]): Promise<number[]> {
  const rows = await s.all<{ resource_sid: string; n: number }>(
    `SELECT resource_sid, COUNT(*) AS n FROM events WHERE workspace_sid = ? AND event_type = 'task.canceled'
        AND resource_sid IN (${sids.map(() => '?').join(', ')}) GROUP BY resource_sid`,
    [workspaceSid, ...sids],
  );
  const m = new Map(rows.map((r) => [r.resource_sid, Number(r.n)]));
  return sids.map((sid) => m.get(sid) ?? 0);
}

async function waitFor(cond: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await sleep(100);
  }
}
