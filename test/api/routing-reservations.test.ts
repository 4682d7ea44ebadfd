import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { advance, expectError, makeWorkspace } from './routing-helpers.ts';

/** The reservation state machine, both reservation endpoints, and the worker side of it. */
for (const backend of backends()) {
  describe(`routing: reservations (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    /** One queue for everyone, a 30 s reservation timeout, `n` available agents (agent0 longest idle). */
    async function setup(n = 2, opts: { multiTaskEnabled?: boolean; maxReservedWorkers?: number } = {}) {
      const f = await makeWorkspace(t, { multiTaskEnabled: opts.multiTaskEnabled });
      const q = await f.queue('Q', '1==1', { maxReservedWorkers: opts.maxReservedWorkers ?? 1 });
      const wf = await f.workflow({ default_filter: { queue: q.sid } }, { taskReservationTimeout: 30 });
      const agents = [];
      for (let i = 0; i < n; i++) agents.push(await f.worker(`agent${i}`));
      return { f, q, wf, agents };
    }

    test('pending → accepted: the task is assigned, the channel counts it, a reservation.accepted event', async () => {
      const { f, wf, agents } = await setup(1);
      const task = await f.task({ workflowSid: wf.sid, taskChannel: 'chat' });
      const [res] = await f.pending(task.sid);
      const accepted = await f.w.workers(agents[0].sid).reservations(res.sid).update({ reservationStatus: 'accepted' });
      assert.equal(accepted.reservationStatus, 'accepted');
      assert.equal(await f.status(task.sid), 'assigned');
      assert.equal((await f.w.workers(agents[0].sid).workerChannels('chat').fetch()).assignedTasks, 1);
      assert.ok((await f.events(task.sid)).some((e) => e.event_type === 'reservation.accepted' && e.data.ReservationSid === res.sid));
      // Accepting again is a no-op, not an error.
      assert.equal((await f.w.tasks(task.sid).reservations(res.sid).update({ reservationStatus: 'accepted' })).reservationStatus, 'accepted');
    });

    test('pending → rejected with WorkerActivitySid moves the worker; the task goes to the next worker', async () => {
      const { f, wf, agents } = await setup(2);
      const task = await f.task({ workflowSid: wf.sid });
      const [first] = await f.pending(task.sid);
      assert.equal(first.workerSid, agents[0].sid);
      const rejected = await f.w.tasks(task.sid).reservations(first.sid).update({ reservationStatus: 'rejected', workerActivitySid: f.act.unavailable });
      assert.equal(rejected.reservationStatus, 'rejected');
      const w0 = await f.w.workers(agents[0].sid).fetch();
      assert.equal(w0.activitySid, f.act.unavailable);
      assert.equal(w0.available, false);
      const [second] = await f.pending(task.sid);
      assert.equal(second.workerSid, agents[1].sid);
      assert.equal(await f.status(task.sid), 'reserved');
      // Without WorkerActivitySid a multitasking worker keeps its activity.
      await f.w.tasks(task.sid).reservations(second.sid).update({ reservationStatus: 'rejected' });
      assert.equal((await f.w.workers(agents[1].sid).fetch()).activitySid, f.act.available);
      assert.equal(await f.status(task.sid), 'pending', 'nobody left to offer it to');
      await expectError(
        f.w.tasks(task.sid).reservations(second.sid).update({ reservationStatus: 'rejected', workerActivitySid: 'WA' + '0'.repeat(32) }),
        400,
        20001,
      );
    });

    test("pending → timeout: the worker goes to the workspace's timeout activity, the task to the next worker", async () => {
      const { f, wf, agents } = await setup(2);
      const missed = await f.w.activities.create({ friendlyName: 'Missed', available: false });
      await t.client.taskrouter.v1.workspaces(f.wsSid).update({ timeoutActivitySid: missed.sid });
      const task = await f.task({ workflowSid: wf.sid });
      const [first] = await f.pending(task.sid);
      await advance(t, 29);
      assert.equal((await f.w.tasks(task.sid).reservations(first.sid).fetch()).reservationStatus, 'pending');
      await advance(t, 1);
      assert.equal((await f.w.tasks(task.sid).reservations(first.sid).fetch()).reservationStatus, 'timeout');
      assert.equal((await f.w.workers(agents[0].sid).fetch()).activityName, 'Missed');
      const [second] = await f.pending(task.sid);
      assert.equal(second.workerSid, agents[1].sid);
      const types = (await f.events(task.sid)).map((e) => e.event_type);
      assert.ok(types.includes('reservation.timeout'));
    });

    test('pending → canceled when the task is canceled (API and TTL); pending → rescinded when another reservation wins', async () => {
      const { f, wf } = await setup(3, { maxReservedWorkers: 2 });
      const viaApi = await f.task({ workflowSid: wf.sid });
      const offers = await f.pending(viaApi.sid);
      assert.equal(offers.length, 2);
      await f.w.tasks(viaApi.sid).update({ assignmentStatus: 'canceled' });
      assert.deepEqual((await f.reservations(viaApi.sid)).map((r) => r.reservationStatus), ['canceled', 'canceled']);

      const viaTtl = await f.task({ workflowSid: wf.sid, timeout: 20 });
      assert.equal((await f.pending(viaTtl.sid)).length, 2);
      await advance(t, 20);
      const ttlTask = await f.w.tasks(viaTtl.sid).fetch();
      assert.equal(ttlTask.assignmentStatus, 'canceled');
      assert.equal(ttlTask.reason, 'Task TTL Exceeded');
      assert.deepEqual((await f.reservations(viaTtl.sid)).map((r) => r.reservationStatus), ['canceled', 'canceled']);

      const raced = await f.task({ workflowSid: wf.sid });
      const [a, b] = await f.pending(raced.sid);
      await f.w.tasks(raced.sid).reservations(b.sid).update({ reservationStatus: 'accepted' });
      assert.equal((await f.w.tasks(raced.sid).reservations(a.sid).fetch()).reservationStatus, 'rescinded');
      assert.ok((await f.events(raced.sid)).some((e) => e.event_type === 'reservation.rescinded' && e.data.ReservationSid === a.sid));
    });

    test('accepted → wrapping → completed through the reservation moves the task too; accepted → completed directly', async () => {
      const { f, wf, agents } = await setup(1);
      const task = await f.task({ workflowSid: wf.sid });
      const [res] = await f.pending(task.sid);
      const r = f.w.workers(agents[0].sid).reservations(res.sid);
      await r.update({ reservationStatus: 'accepted' });
      assert.equal((await r.update({ reservationStatus: 'wrapping' })).reservationStatus, 'wrapping');
      assert.equal(await f.status(task.sid), 'wrapping');
      assert.equal((await r.update({ reservationStatus: 'completed' })).reservationStatus, 'completed');
      assert.equal(await f.status(task.sid), 'completed');
      assert.equal((await f.w.workers(agents[0].sid).workerChannels('default').fetch()).availableCapacityPercentage, 100);

      const second = await f.task({ workflowSid: wf.sid });
      const [res2] = await f.pending(second.sid);
      await f.w.tasks(second.sid).reservations(res2.sid).update({ reservationStatus: 'accepted' });
      assert.equal((await f.w.tasks(second.sid).reservations(res2.sid).update({ reservationStatus: 'completed' })).reservationStatus, 'completed');
      assert.equal(await f.status(second.sid), 'completed');
    });

    test('task- and worker-scoped endpoints show the same reservation; list filters ReservationStatus and WorkerSid', async () => {
      const { f, wf, agents } = await setup(3, { maxReservedWorkers: 3 });
      const task = await f.task({ workflowSid: wf.sid });
      const [r0, r1, r2] = await f.pending(task.sid);
      await f.w.tasks(task.sid).reservations(r0.sid).update({ reservationStatus: 'rejected' });
      const viaTask = await f.w.tasks(task.sid).reservations(r1.sid).fetch();
      const viaWorker = await f.w.workers(agents[1].sid).reservations(r1.sid).fetch();
      assert.equal(viaTask.sid, viaWorker.sid);
      assert.equal(viaTask.workerName, 'agent1');
      assert.match(viaTask.url, new RegExp(`/Tasks/${task.sid}/Reservations/${r1.sid}$`));
      assert.match(viaWorker.url, new RegExp(`/Workers/${agents[1].sid}/Reservations/${r1.sid}$`));
      await expectError(f.w.workers(agents[0].sid).reservations(r1.sid).fetch(), 404, 20404);
      const other = await f.task({ workflowSid: wf.sid });
      await expectError(f.w.tasks(other.sid).reservations(r1.sid).fetch(), 404, 20404);

      const sids = (xs: { sid: string }[]) => xs.map((x) => x.sid).sort();
      assert.deepEqual(sids(await f.w.tasks(task.sid).reservations.list({ reservationStatus: 'pending' })), sids([r1, r2]));
      assert.deepEqual(sids(await f.w.tasks(task.sid).reservations.list({ reservationStatus: 'rejected' })), [r0.sid]);
      assert.deepEqual(sids(await f.w.tasks(task.sid).reservations.list({ workerSid: agents[2].sid })), [r2.sid]);
      assert.deepEqual(sids(await f.w.tasks(task.sid).reservations.list({ workerSid: agents[2].sid, reservationStatus: 'rejected' })), []);
      assert.deepEqual(sids(await f.w.workers(agents[0].sid).reservations.list({ reservationStatus: 'rejected' })), [r0.sid]);
      assert.deepEqual(sids(await f.w.workers(agents[0].sid).reservations.list({ reservationStatus: 'pending' })), sids(await f.pending(other.sid)));
      assert.equal((await f.w.workers(agents[1].sid).reservations.list()).length, 1);
    });

    test('a reservation that is over cannot be accepted or rejected (410); other impossible moves are 400', async () => {
      const { f, wf } = await setup(3, { maxReservedWorkers: 2 });
      const task = await f.task({ workflowSid: wf.sid });
      const [a, b] = await f.pending(task.sid);
      await f.w.tasks(task.sid).reservations(a.sid).update({ reservationStatus: 'accepted' });
      await expectError(f.w.tasks(task.sid).reservations(b.sid).update({ reservationStatus: 'accepted' }), 410, 20001, /rescinded/);
      await expectError(f.w.tasks(task.sid).reservations(b.sid).update({ reservationStatus: 'rejected' }), 410, 20001);
      await expectError(f.w.tasks(task.sid).reservations(a.sid).update({ reservationStatus: 'rejected' }), 400, 20001);
      await expectError(f.w.tasks(task.sid).reservations(a.sid).update({ reservationStatus: 'pending' }), 400, 20001);

      const timed = await f.task({ workflowSid: wf.sid });
      const offers = await f.pending(timed.sid);
      await advance(t, 30);
      for (const r of offers) {
        assert.equal((await f.w.tasks(timed.sid).reservations(r.sid).fetch()).reservationStatus, 'timeout');
        await expectError(f.w.tasks(timed.sid).reservations(r.sid).update({ reservationStatus: 'accepted' }), 410, 20001, /timeout/);
      }

      const fresh = await setup(1);
      const early = await fresh.f.task({ workflowSid: fresh.wf.sid });
      const [p] = await fresh.f.pending(early.sid);
      for (const to of ['completed', 'wrapping', 'timeout', 'rescinded', 'canceled'] as const)
        await expectError(fresh.f.w.tasks(early.sid).reservations(p.sid).update({ reservationStatus: to }), 400, 20001);
      assert.equal((await fresh.f.w.tasks(early.sid).reservations(p.sid).fetch()).reservationStatus, 'pending');
    });

    test('voice Instructions (conference, dequeue, call, redirect) are 400 saying they are not supported; accept and reject work', async () => {
      const { f, wf } = await setup(2);
      const task = await f.task({ workflowSid: wf.sid });
      const [res] = await f.pending(task.sid);
      for (const instruction of ['conference', 'dequeue', 'call', 'redirect'])
        await expectError(f.w.tasks(task.sid).reservations(res.sid).update({ instruction }), 400, 20001, /not supported/);
      await expectError(f.w.tasks(task.sid).reservations(res.sid).update({ instruction: 'teleport' }), 400, 20001);
      assert.equal((await f.w.tasks(task.sid).reservations(res.sid).fetch()).reservationStatus, 'pending', 'nothing happened');
      assert.equal((await f.w.tasks(task.sid).reservations(res.sid).update({ instruction: 'reject' })).reservationStatus, 'rejected');
      const [next] = await f.pending(task.sid);
      assert.equal((await f.w.tasks(task.sid).reservations(next.sid).update({ instruction: 'accept' })).reservationStatus, 'accepted');
      assert.equal(await f.status(task.sid), 'assigned');
    });

    test('If-Match on a reservation update: stale is 412, current works', async () => {
      const { f, wf } = await setup(1);
      const task = await f.task({ workflowSid: wf.sid });
      const [res] = await f.pending(task.sid);
      const path = `/taskrouter/v1/Workspaces/${f.wsSid}/Tasks/${task.sid}/Reservations/${res.sid}`;
      const etag = (await t.http('GET', path)).headers.get('etag')!;
      await expectError(f.w.tasks(task.sid).reservations(res.sid).update({ reservationStatus: 'accepted', ifMatch: String(Number(etag) + 5) }), 412, 20412);
      assert.equal((await f.w.tasks(task.sid).reservations(res.sid).update({ reservationStatus: 'accepted', ifMatch: etag })).reservationStatus, 'accepted');
    });

    test('with several offers the task goes back to pending only when the last of them ends unaccepted', async () => {
      const { f, wf } = await setup(2, { maxReservedWorkers: 2 });
      const task = await f.task({ workflowSid: wf.sid });
      const [a, b] = await f.pending(task.sid);
      await f.w.tasks(task.sid).reservations(a.sid).update({ reservationStatus: 'rejected' });
      assert.equal(await f.status(task.sid), 'reserved', 'one offer is still out');
      await f.w.tasks(task.sid).reservations(b.sid).update({ reservationStatus: 'rejected' });
      assert.equal(await f.status(task.sid), 'pending');
    });

    test('max assignment count: the 1,000th offer ending unaccepted cancels the task instead of offering it again', async () => {
      const { f, wf, agents } = await setup(3);
      const task = await f.task({ workflowSid: wf.sid });
      const [first] = await f.pending(task.sid);
      // 998 earlier offers, as if they had come and gone: this one is the 999th.
      await t.server.db.run('UPDATE tasks SET assignment_count = 999 WHERE sid = ?', [task.sid]);
      await f.w.tasks(task.sid).reservations(first.sid).update({ reservationStatus: 'rejected' });
      const [second] = await f.pending(task.sid);
      assert.equal(second.workerSid, agents[1].sid, 'the 1,000th offer is still made');
      await f.w.tasks(task.sid).reservations(second.sid).update({ reservationStatus: 'rejected' });
      const after = await f.w.tasks(task.sid).fetch();
      assert.equal(after.assignmentStatus, 'canceled');
      assert.match(after.reason ?? '', /Max assignment count exceeded/);
      assert.deepEqual(await f.w.workers(agents[2].sid).reservations.list(), [], 'no 1,001st offer');
    });

    for (const multiTaskEnabled of [true, false]) {
      test(`worker update with an unavailable ActivitySid and RejectPendingReservations rejects its offers (multitasking ${multiTaskEnabled})`, async () => {
        const { f, wf, agents } = await setup(2, { multiTaskEnabled });
        const task = await f.task({ workflowSid: wf.sid });
        const [res] = await f.pending(task.sid);
        assert.equal(res.workerSid, agents[0].sid);
        await expectError(
          f.w.workers(agents[0].sid).update({ activitySid: f.act.available, rejectPendingReservations: true }),
          400,
          20001,
        );
        assert.equal((await f.w.tasks(task.sid).reservations(res.sid).fetch()).reservationStatus, 'pending', 'refused: nothing changed');
        const updated = await f.w.workers(agents[0].sid).update({ activitySid: f.act.offline, rejectPendingReservations: true });
        assert.equal(updated.activitySid, f.act.offline);
        assert.equal((await f.w.tasks(task.sid).reservations(res.sid).fetch()).reservationStatus, 'rejected');
        assert.equal((await f.w.workers(agents[0].sid).fetch()).activitySid, f.act.offline, 'the worker stays in the activity it asked for');
        const [next] = await f.pending(task.sid);
        assert.equal(next?.workerSid, agents[1].sid);
      });
    }
  });
}
