import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { advance, expectError, makeWorkspace, type Fixture } from './routing-helpers.ts';

/** The task state machine and the Tasks resource, through the official client. */
for (const backend of backends()) {
  describe(`routing: tasks (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    /**
     * A workspace where tasks with `{"park": true}` wait in an empty queue (pending) and every other
     * task is reserved at once by one agent with room for 50 tasks on every channel used here.
     */
    async function staffed() {
      const f = await makeWorkspace(t);
      const parked = await f.queue('Parked', "team == 'nobody'");
      const staffedQ = await f.queue('Staffed', "team == 'a'");
      const workflow = await f.workflow({
        filters: [{ filter_friendly_name: 'park', expression: 'park == true', targets: [{ queue: parked.sid }] }],
        default_filter: { queue: staffedQ.sid },
      });
      const agent = await f.worker('agent', { team: 'a' }, { capacity: { default: 50, chat: 50 } });
      return { f, parked, staffedQ, workflow, agent };
    }

    type State = 'pending' | 'reserved' | 'assigned' | 'wrapping' | 'completed' | 'canceled';

    /** A task brought to the given state through the API. */
    async function taskIn(s: Awaited<ReturnType<typeof staffed>>, state: State) {
      const { f, workflow } = s;
      const task = await f.task({ workflowSid: workflow.sid, attributes: JSON.stringify({ park: state === 'pending' || state === 'canceled' }) });
      if (state === 'canceled') await f.w.tasks(task.sid).update({ assignmentStatus: 'canceled' });
      if (['assigned', 'wrapping', 'completed'].includes(state)) {
        const [res] = await f.pending(task.sid);
        await f.w.tasks(task.sid).reservations(res.sid).update({ reservationStatus: 'accepted' });
      }
      if (state === 'wrapping') await f.w.tasks(task.sid).update({ assignmentStatus: 'wrapping' });
      if (state === 'completed') await f.w.tasks(task.sid).update({ assignmentStatus: 'completed' });
      assert.equal(await f.status(task.sid), state);
      return task;
    }

    test('pending → canceled through the API records the Reason and a task.canceled event', async () => {
      const s = await staffed();
      const task = await taskIn(s, 'pending');
      const canceled = await s.f.w.tasks(task.sid).update({ assignmentStatus: 'canceled', reason: 'customer hung up' });
      assert.equal(canceled.assignmentStatus, 'canceled');
      assert.equal(canceled.reason, 'customer hung up');
      const ev = (await s.f.events(task.sid)).find((e) => e.event_type === 'task.canceled');
      assert.ok(ev, 'task.canceled recorded');
      assert.equal(ev.data.TaskCanceledReason, 'customer hung up');
    });

    test('reserved → canceled: the pending reservation becomes canceled and the worker gets its capacity back', async () => {
      const s = await staffed();
      const { f, agent } = s;
      await f.w.workers(agent.sid).workerChannels('default').update({ capacity: 1 });
      const task = await taskIn(s, 'reserved');
      const waiting = await f.task({ workflowSid: s.workflow.sid });
      assert.equal(waiting.assignmentStatus, 'pending', 'the agent is full');
      const [res] = await f.pending(task.sid);
      await f.w.tasks(task.sid).update({ assignmentStatus: 'canceled', reason: 'gone' });
      assert.equal((await f.w.tasks(task.sid).reservations(res.sid).fetch()).reservationStatus, 'canceled');
      assert.equal(await f.status(task.sid), 'canceled');
      const [next] = await f.pending(waiting.sid);
      assert.equal(next?.workerSid, agent.sid, 'the freed agent is offered the waiting task at once');
      const types = (await f.events(task.sid)).map((e) => e.event_type);
      assert.ok(types.includes('reservation.canceled'));
    });

    test('assigned → wrapping → completed, and assigned → completed directly', async () => {
      const s = await staffed();
      const { f, agent } = s;
      const a = await taskIn(s, 'assigned');
      const wrapping = await f.w.tasks(a.sid).update({ assignmentStatus: 'wrapping', reason: 'call ended' });
      assert.equal(wrapping.assignmentStatus, 'wrapping');
      const [ra] = await f.reservations(a.sid);
      assert.equal(ra.reservationStatus, 'wrapping');
      const done = await f.w.tasks(a.sid).update({ assignmentStatus: 'completed', reason: 'resolved' });
      assert.equal(done.assignmentStatus, 'completed');
      assert.equal(done.reason, 'resolved');
      assert.equal((await f.reservations(a.sid))[0].reservationStatus, 'completed');

      const b = await taskIn(s, 'assigned');
      const direct = await f.w.tasks(b.sid).update({ assignmentStatus: 'completed' });
      assert.equal(direct.assignmentStatus, 'completed');
      assert.equal((await f.reservations(b.sid))[0].reservationStatus, 'completed');
      const ch = await f.w.workers(agent.sid).workerChannels('default').fetch();
      assert.equal(ch.assignedTasks, 0);
      assert.equal(ch.availableCapacityPercentage, 100);
      const types = (await f.events(a.sid)).map((e) => e.event_type);
      for (const type of ['task.wrapup', 'reservation.wrapup', 'task.completed', 'reservation.completed']) assert.ok(types.includes(type), type);
    });

    const illegal: [State, State][] = [
      ['pending', 'completed'],
      ['pending', 'wrapping'],
      ['pending', 'assigned'],
      ['pending', 'reserved'],
      ['reserved', 'assigned'],
      ['reserved', 'completed'],
      ['reserved', 'wrapping'],
      ['reserved', 'pending'],
      ['assigned', 'canceled'],
      ['assigned', 'pending'],
      ['assigned', 'reserved'],
      ['wrapping', 'canceled'],
      ['wrapping', 'assigned'],
      ['wrapping', 'pending'],
      ['completed', 'canceled'],
      ['completed', 'pending'],
      ['completed', 'wrapping'],
      ['canceled', 'pending'],
      ['canceled', 'completed'],
      ['canceled', 'reserved'],
    ];
    test(`every illegal AssignmentStatus move (${illegal.length}) is 400 / 20001 and changes nothing`, async () => {
      const s = await staffed();
      const { f } = s;
      for (const [from, to] of illegal) {
        const task = await taskIn(s, from);
        const before = await f.w.tasks(task.sid).fetch();
        const etag = await f.etag(task.sid);
        const reservationsBefore = (await f.reservations(task.sid)).map((r) => r.reservationStatus);
        await expectError(
          f.w.tasks(task.sid).update({ assignmentStatus: to as 'pending', attributes: JSON.stringify({ changed: true }), priority: 7 }),
          400,
          20001,
          new RegExp(`${from}.*${to}`),
        );
        const after = await f.w.tasks(task.sid).fetch();
        assert.equal(after.assignmentStatus, from, `${from} → ${to}`);
        assert.equal(after.attributes, before.attributes, `${from} → ${to} left attributes alone`);
        assert.equal(after.priority, before.priority);
        assert.equal(await f.etag(task.sid), etag, `${from} → ${to} left the version alone`);
        assert.deepEqual((await f.reservations(task.sid)).map((r) => r.reservationStatus), reservationsBefore);
      }
    });

    test('updating attributes and priority: new values, a new version, a task.updated event', async () => {
      const s = await staffed();
      const { f } = s;
      const task = await taskIn(s, 'assigned');
      const etag = await f.etag(task.sid);
      const updated = await f.w.tasks(task.sid).update({ attributes: JSON.stringify({ park: false, note: 'vip' }), priority: 42 });
      assert.equal(JSON.parse(updated.attributes).note, 'vip');
      assert.equal(updated.priority, 42);
      assert.equal(updated.assignmentStatus, 'assigned', 'an assigned task stays assigned');
      assert.equal(Number(await f.etag(task.sid)), Number(etag) + 1);
      const ev = (await f.events(task.sid)).filter((e) => e.event_type === 'task.updated');
      assert.equal(ev.length, 1);
      assert.equal(ev[0].data.TaskPriority, 42);
    });

    test('If-Match on update and delete: a stale ETag is 412 / 20412 and changes nothing, the current one works', async () => {
      const s = await staffed();
      const { f } = s;
      const task = await taskIn(s, 'pending');
      const etag = await f.etag(task.sid);
      await f.w.tasks(task.sid).update({ priority: 1 });
      await expectError(f.w.tasks(task.sid).update({ priority: 2, ifMatch: etag }), 412, 20412);
      assert.equal((await f.w.tasks(task.sid).fetch()).priority, 1);
      const current = await f.etag(task.sid);
      assert.equal((await f.w.tasks(task.sid).update({ priority: 3, ifMatch: current })).priority, 3);
      await expectError(f.w.tasks(task.sid).remove({ ifMatch: current }), 412, 20412);
      assert.equal(await f.status(task.sid), 'pending', 'still there');
      assert.equal(await f.w.tasks(task.sid).remove({ ifMatch: await f.etag(task.sid) }), true);
      await expectError(f.w.tasks(task.sid).fetch(), 404, 20404);
    });

    for (const state of ['pending', 'reserved', 'assigned', 'wrapping', 'completed', 'canceled'] as const) {
      test(`deleting a ${state} task frees the worker's capacity and hands it the next waiting task`, async () => {
        const s = await staffed();
        const { f, agent } = s;
        await f.w.workers(agent.sid).workerChannels('default').update({ capacity: 1 });
        const task = await taskIn(s, state);
        const waiting = await f.task({ workflowSid: s.workflow.sid });
        const holds = state === 'reserved' || state === 'assigned' || state === 'wrapping';
        assert.equal(waiting.assignmentStatus, holds ? 'pending' : 'reserved');
        await f.w.tasks(task.sid).remove();
        await expectError(f.w.tasks(task.sid).fetch(), 404, 20404);
        const [r] = await f.pending(waiting.sid);
        assert.equal(r?.workerSid, agent.sid, 'the agent has the waiting task');
        const ch = await f.w.workers(agent.sid).workerChannels('default').fetch();
        assert.equal(ch.assignedTasks, 0);
        assert.equal((await f.events(task.sid)).at(-1)?.event_type, 'task.deleted');
        // The worker can be deleted once its only offer is withdrawn: nothing dangles.
        await f.w.tasks(waiting.sid).remove();
        assert.equal(await f.w.workers(agent.sid).remove(), true);
      });
    }

    test('list filters: AssignmentStatus (repeated), WorkflowSid/Name, TaskQueueSid/Name, EvaluateTaskAttributes, RoutingTarget, Ordering, HasAddons', async () => {
      const s = await staffed();
      const { f, workflow, parked, staffedQ, agent } = s;
      const other = await f.workflow({ default_filter: { queue: parked.sid } }, { friendlyName: 'Other' });
      const p1 = await f.task({ workflowSid: workflow.sid, attributes: JSON.stringify({ park: true, lang: 'en' }), priority: 5 });
      t.clock.advance(1000);
      const p2 = await f.task({ workflowSid: other.sid, attributes: JSON.stringify({ lang: 'es' }), priority: 5 });
      t.clock.advance(1000);
      const r1 = await f.task({ workflowSid: workflow.sid, attributes: JSON.stringify({ lang: 'es' }), priority: 9 });
      t.clock.advance(1000);
      const a1 = await f.task({ workflowSid: workflow.sid, attributes: JSON.stringify({ lang: 'en' }), priority: 1 });
      await f.w.tasks(a1.sid).reservations((await f.pending(a1.sid))[0].sid).update({ reservationStatus: 'accepted' });
      const c1 = await f.task({ workflowSid: workflow.sid, routingTarget: agent.sid, priority: 0 });
      await f.w.tasks(c1.sid).update({ assignmentStatus: 'canceled' });
      const sids = (list: { sid: string }[]) => list.map((x) => x.sid).sort();
      const sorted = (...xs: { sid: string }[]) => xs.map((x) => x.sid).sort();

      assert.deepEqual(sids(await f.w.tasks.list({ assignmentStatus: ['pending'] })), sorted(p1, p2));
      assert.deepEqual(sids(await f.w.tasks.list({ assignmentStatus: ['pending', 'assigned'] })), sorted(p1, p2, a1));
      assert.deepEqual(sids(await f.w.tasks.list({ assignmentStatus: ['reserved', 'canceled'] })), sorted(r1, c1));
      assert.deepEqual(sids(await f.w.tasks.list({ workflowSid: other.sid })), sorted(p2));
      assert.deepEqual(sids(await f.w.tasks.list({ workflowName: 'Other' })), sorted(p2));
      assert.deepEqual(sids(await f.w.tasks.list({ taskQueueSid: parked.sid })), sorted(p1, p2));
      assert.deepEqual(sids(await f.w.tasks.list({ taskQueueName: 'Staffed' })), sorted(r1, a1, c1));
      assert.equal(staffedQ.sid, (await f.w.tasks(r1.sid).fetch()).taskQueueSid);
      assert.deepEqual(sids(await f.w.tasks.list({ evaluateTaskAttributes: "lang == 'es'" })), sorted(p2, r1));
      assert.deepEqual(sids(await f.w.tasks.list({ evaluateTaskAttributes: "lang == 'es'", assignmentStatus: ['pending'] })), sorted(p2));
      assert.deepEqual(sids(await f.w.tasks.list({ routingTarget: agent.sid })), sorted(c1));
      const ordered = await f.w.tasks.list({ ordering: 'Priority:desc,DateCreated:asc' });
      assert.deepEqual(ordered.map((x) => x.sid), [r1.sid, p1.sid, p2.sid, a1.sid, c1.sid]);
      const newest = await f.w.tasks.list({ ordering: 'DateCreated:desc' });
      assert.equal(newest[newest.length - 1].sid, p1.sid);
      assert.deepEqual(await f.w.tasks.list({ hasAddons: true }), []);
      assert.equal((await f.w.tasks.list({ hasAddons: false })).length, 5);
      await expectError(f.w.tasks.list({ ordering: 'Sid:sideways' }), 400, 20001);
      await expectError(f.w.tasks.list({ evaluateTaskAttributes: 'lang ==' }), 400, 20001);
      await expectError(f.w.tasks.list({ assignmentStatus: ['lost' as 'pending'] }), 400, 20001);
    });

    test('create: Priority and Timeout are kept; the TTL cancels a task still waiting', async () => {
      const s = await staffed();
      const task = await s.f.task({ workflowSid: s.workflow.sid, attributes: JSON.stringify({ park: true }), priority: 17, timeout: 90 });
      assert.equal(task.assignmentStatus, 'pending');
      const fetched = await s.f.w.tasks(task.sid).fetch();
      assert.equal(fetched.priority, 17);
      assert.equal(fetched.timeout, 90);
      await advance(t, 89);
      assert.equal(await s.f.status(task.sid), 'pending');
      await advance(t, 1);
      const after = await s.f.w.tasks(task.sid).fetch();
      assert.equal(after.assignmentStatus, 'canceled');
      assert.equal(after.reason, 'Task TTL Exceeded');
    });

    test('create: TaskChannel by unique name and by SID; an unknown channel is 400', async () => {
      const s = await staffed();
      const { f } = s;
      const chat = (await f.w.taskChannels.list()).find((c) => c.uniqueName === 'chat')!;
      const byName = await f.task({ workflowSid: s.workflow.sid, taskChannel: 'chat' });
      const bySid = await f.task({ workflowSid: s.workflow.sid, taskChannel: chat.sid });
      for (const x of [byName, bySid]) {
        const fetched = await f.w.tasks(x.sid).fetch();
        assert.equal(fetched.taskChannelSid, chat.sid);
        assert.equal(fetched.taskChannelUniqueName, 'chat');
      }
      const plain = await f.w.tasks((await f.task({ workflowSid: s.workflow.sid })).sid).fetch();
      assert.equal(plain.taskChannelUniqueName, 'default');
      await expectError(f.task({ workflowSid: s.workflow.sid, taskChannel: 'carrier_pigeon' }), 400, 20001);
    });

    test('create: VirtualStartTime is shown and orders the queue (an older virtual start goes first)', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Q');
      const wf = await f.workflow({ default_filter: { queue: q.sid } });
      const first = await f.task({ workflowSid: wf.sid });
      t.clock.advance(5000);
      const virtualStart = new Date(t.clock.now() - 3600_000);
      const backdated = await f.task({ workflowSid: wf.sid, virtualStartTime: virtualStart });
      assert.equal((await f.w.tasks(backdated.sid).fetch()).virtualStartTime.toISOString(), virtualStart.toISOString());
      const agent = await f.worker('agent');
      const [res] = await f.w.workers(agent.sid).reservations.list();
      assert.equal(res.taskSid, backdated.sid, 'the task that virtually started an hour ago is older than the one created 5 s earlier');
      assert.equal(await f.status(first.sid), 'pending');
      await expectError(f.task({ workflowSid: wf.sid, virtualStartTime: new Date(t.clock.now() + 60_000) }), 400, 20001);
    });

    test('create: RoutingTarget=WK goes to that worker only, and IgnoreCapacity lets it past a full channel', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Q');
      const wf = await f.workflow({ default_filter: { queue: q.sid } });
      const idle = await f.worker('idle');
      const busy = await f.worker('busy');
      // Fill both agents' default channel (capacity 1).
      const fill1 = await f.task({ workflowSid: wf.sid });
      const fill2 = await f.task({ workflowSid: wf.sid });
      assert.deepEqual([(await f.pending(fill1.sid))[0].workerSid, (await f.pending(fill2.sid))[0].workerSid], [idle.sid, busy.sid]);
      await f.w.tasks(fill1.sid).remove();
      // idle is free again; a task routed to busy still goes to busy, past its full channel.
      const direct = await f.task({ workflowSid: wf.sid, routingTarget: busy.sid });
      const fetched = await f.w.tasks(direct.sid).fetch();
      assert.equal(fetched.routingTarget, busy.sid);
      assert.equal(fetched.ignoreCapacity, true, 'IgnoreCapacity defaults to true for a worker target');
      const [res] = await f.pending(direct.sid);
      assert.equal(res?.workerSid, busy.sid);
      // With IgnoreCapacity=false the full channel is respected: the task waits for busy, idle is not offered it.
      const respectful = await f.task({ workflowSid: wf.sid, routingTarget: busy.sid, ignoreCapacity: false });
      assert.equal(respectful.assignmentStatus, 'pending');
      assert.equal((await f.w.tasks(respectful.sid).fetch()).ignoreCapacity, false);
      await expectError(f.task({ workflowSid: wf.sid, routingTarget: 'WK' + '0'.repeat(32) }), 400, 20001);
    });

    test('a worker coming online takes the best waiting task, then (full) only the waiting tasks that ignore capacity', async () => {
      const f = await makeWorkspace(t, { multiTaskEnabled: true });
      const q = await f.queue('Q');
      const wf = await f.workflow({ default_filter: { queue: q.sid } });
      const agent = await f.worker('agent', {}, { activitySid: f.act.offline });
      const backlog = [];
      for (let i = 0; i < 4; i++) {
        backlog.push(await f.task({ workflowSid: wf.sid }));
        t.clock.advance(1000);
      }
      const urgent = await f.task({ workflowSid: wf.sid, ignoreCapacity: true });
      t.clock.advance(1000);
      const later = await f.task({ workflowSid: wf.sid });
      await f.w.workers(agent.sid).update({ activitySid: f.act.available });
      const held = (await f.w.workers(agent.sid).reservations.list()).map((r) => r.taskSid).sort();
      assert.deepEqual(held, [backlog[0].sid, urgent.sid].sort(), 'its one slot goes to the oldest task; the task that ignores capacity comes on top');
      for (const task of [...backlog.slice(1), later]) assert.equal(await f.status(task.sid), 'pending');
    });

    test('create: a task routed to a worker outside the queue waits for that worker and is offered when it comes online', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Sales', "team == 'sales'");
      const wf = await f.workflow({ default_filter: { queue: q.sid } });
      await f.worker('seller', { team: 'sales' });
      const expert = await f.worker('expert', { team: 'support' }, { activitySid: f.act.offline });
      const task = await f.task({ workflowSid: wf.sid, routingTarget: expert.sid });
      assert.equal(task.assignmentStatus, 'pending', 'the seller is free, but the task is for the expert');
      await f.w.workers(expert.sid).update({ activitySid: f.act.available });
      assert.deepEqual((await f.pending(task.sid)).map((r) => r.workerSid), [expert.sid]);
      assert.deepEqual(await f.w.tasks.list({ routingTarget: expert.sid }).then((l) => l.map((x) => x.sid)), [task.sid]);
    });

    test('create: TaskQueueSid without a workflow puts the task straight in that queue', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Direct', "team == 'd'");
      const agent = await f.worker('agent', { team: 'd' });
      const task = await f.task({ taskQueueSid: q.sid });
      const fetched = await f.w.tasks(task.sid).fetch();
      assert.equal(fetched.workflowSid, null);
      assert.equal(fetched.taskQueueSid, q.sid);
      assert.equal(fetched.assignmentStatus, 'reserved');
      assert.equal((await f.pending(task.sid))[0].workerSid, agent.sid);
      await expectError(f.task({ taskQueueSid: 'WQ' + '0'.repeat(32) }), 400, 20001);
    });

    test('create: WorkflowSid may be omitted when the workspace has exactly one workflow, not otherwise', async () => {
      const f = await makeWorkspace(t);
      const q = await f.queue('Q');
      await expectError(f.task({}), 400, 20001, /WorkflowSid/);
      const only = await f.workflow({ default_filter: { queue: q.sid } });
      const task = await f.task({});
      assert.equal((await f.w.tasks(task.sid).fetch()).workflowSid, only.sid);
      await f.workflow({ default_filter: { queue: q.sid } });
      await expectError(f.task({}), 400, 20001, /WorkflowSid/);
    });
  });
}
