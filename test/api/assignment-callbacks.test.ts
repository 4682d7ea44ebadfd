import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { backends, startReceiver, startServer, type ReceivedRequest, type Receiver, type ReceiverAnswer, type TestServer } from '../support/server.ts';

const json = (body: unknown): ReceiverAnswer => ({ status: 200, body: JSON.stringify(body), contentType: 'application/json' });

for (const backend of backends()) {
  describe(`assignment callbacks (${backend.name})`, () => {
    let t: TestServer;
    const receivers: Receiver[] = [];
    before(async () => {
      // A short timeout, so that a receiver that never answers costs 300 ms rather than Twilio's 5 s.
      t = await startServer(backend, { callbacks: { assignmentTimeoutMs: 300 } });
    });
    after(async () => {
      for (const r of receivers) await r.close();
      await t.close();
    });

    async function receiver(answer: Receiver['answer']) {
      const r = await startReceiver(answer);
      receivers.push(r);
      return r;
    }

    async function setup(opts: { url?: string; fallback?: string; workers?: number }) {
      const tr = t.client.taskrouter.v1;
      const ws = await tr.workspaces.create({ friendlyName: `Assign ${Math.random()}` });
      const w = tr.workspaces(ws.sid);
      const activities = await w.activities.list();
      const available = activities.find((a) => a.friendlyName === 'Available')!;
      const offline = activities.find((a) => a.friendlyName === 'Offline')!;
      const queue = await w.taskQueues.create({ friendlyName: 'Support', targetWorkers: "skills HAS 'support'" });
      const workflow = await w.workflows.create({
        friendlyName: 'Support',
        configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }),
        assignmentCallbackUrl: opts.url,
        fallbackAssignmentCallbackUrl: opts.fallback,
        taskReservationTimeout: 60,
      });
      const agents = [];
      for (let i = 0; i < (opts.workers ?? 1); i++) {
        agents.push(await w.workers.create({ friendlyName: `agent${i}`, attributes: JSON.stringify({ skills: ['support'], i }), activitySid: available.sid }));
        t.clock.advance(1_000);
      }
      return { ws, w, queue, workflow, agents, available, offline };
    }

    const valid = (r: ReceivedRequest) => twilio.validateRequest(t.account.authToken, String(r.headers['x-twilio-signature']), r.url, r.params);

    test('accept: the documented parameters arrive signed, and the reservation is accepted', async () => {
      const r = await receiver(() => json({ instruction: 'accept' }));
      const s = await setup({ url: `${r.url}/assign?app=1` });
      const task = await s.w.tasks.create({ workflowSid: s.workflow.sid, attributes: JSON.stringify({ topic: 'billing' }), priority: 5 });
      t.clock.advance(3_000);
      const [res] = await s.w.tasks(task.sid).reservations.list();
      assert.equal(res.reservationStatus, 'pending', 'sent after the commit, not inside it');
      assert.equal(r.requests.length, 0);
      await t.server.deliveries.flush();
      assert.equal(r.requests.length, 1);
      const q = r.requests[0];
      assert.ok(valid(q), 'valid X-Twilio-Signature');
      assert.equal(q.method, 'POST');
      assert.match(String(q.headers['content-type']), /^application\/x-www-form-urlencoded/);
      assert.deepEqual(Object.keys(q.params).sort(), [
        'AccountSid', 'ReservationSid', 'TaskAge', 'TaskAttributes', 'TaskPriority', 'TaskQueueSid', 'TaskSid', 'Timestamp',
        'WorkerAttributes', 'WorkerSid', 'WorkflowSid', 'WorkspaceSid',
      ]);
      assert.equal(q.params.AccountSid, t.account.accountSid);
      assert.equal(q.params.WorkspaceSid, s.ws.sid);
      assert.equal(q.params.WorkflowSid, s.workflow.sid);
      assert.equal(q.params.TaskQueueSid, s.queue.sid);
      assert.equal(q.params.WorkerSid, s.agents[0].sid);
      assert.equal(q.params.WorkerAttributes, JSON.stringify({ skills: ['support'], i: 0 }));
      assert.equal(q.params.TaskSid, task.sid);
      assert.equal(q.params.TaskAttributes, JSON.stringify({ topic: 'billing' }));
      assert.equal(q.params.TaskPriority, '5');
      assert.equal(q.params.TaskAge, '0', 'the age when the reservation was made');
      assert.equal(q.params.ReservationSid, res.sid);
      assert.equal(q.params.Timestamp, String(Math.floor(task.dateCreated.getTime() / 1000)));

      assert.equal((await s.w.tasks(task.sid).reservations(res.sid).fetch()).reservationStatus, 'accepted');
      assert.equal((await s.w.tasks(task.sid).fetch()).assignmentStatus, 'assigned');
      const types = (await s.w.events.list({ reservationSid: res.sid })).map((e) => e.eventType);
      assert.deepEqual(types.reverse(), ['reservation.created', 'reservation.accepted']);
      assert.equal(await t.server.deliveries.flush(), 0, 'sent once');
    });

    test('reject with activity_sid: the worker moves there and the task goes to the next worker', async () => {
      let s!: Awaited<ReturnType<typeof setup>>;
      const r = await receiver((q) => (q.params.WorkerSid === s.agents[0].sid ? json({ instruction: 'reject', activity_sid: s.offline.sid }) : json({ instruction: 'accept' })));
      s = await setup({ url: `${r.url}/assign`, workers: 2 });
      const task = await s.w.tasks.create({ workflowSid: s.workflow.sid });
      await t.server.deliveries.flush();
      assert.deepEqual(r.requests.map((q) => q.params.WorkerSid), [s.agents[0].sid, s.agents[1].sid]);
      assert.ok(r.requests.every(valid));
      const all = await s.w.tasks(task.sid).reservations.list();
      const byWorker = Object.fromEntries(all.map((x) => [x.workerSid, x.reservationStatus]));
      assert.deepEqual(byWorker, { [s.agents[0].sid]: 'rejected', [s.agents[1].sid]: 'accepted' });
      assert.equal((await s.w.workers(s.agents[0].sid).fetch()).activitySid, s.offline.sid);
      assert.equal((await s.w.tasks(task.sid).fetch()).assignmentStatus, 'assigned');
    });

    test('reject without an activity (or with one from elsewhere): the worker stays where it was', async () => {
      const r = await receiver(() => json({ instruction: 'reject', activity_sid: 'WA' + '0'.repeat(32) }));
      const s = await setup({ url: `${r.url}/assign` });
      const task = await s.w.tasks.create({ workflowSid: s.workflow.sid });
      await t.server.deliveries.flush();
      const [res] = await s.w.tasks(task.sid).reservations.list();
      assert.equal(res.reservationStatus, 'rejected');
      assert.equal((await s.w.workers(s.agents[0].sid).fetch()).activitySid, s.available.sid);
      assert.equal((await s.w.tasks(task.sid).fetch()).assignmentStatus, 'pending', 'nobody else can take it');
    });

    for (const [name, answer] of [
      ['{}', json({})],
      ['an empty 200', { status: 200 }],
      ['a 204', { status: 204 }],
      ['a voice instruction (dequeue), unsupported', json({ instruction: 'dequeue', from: '+15550100', post_work_activity_sid: 'WA' + '1'.repeat(32) })],
      ['a voice instruction (call), unsupported', json({ instruction: 'call', url: 'https://example.com/twiml', to: '+15550100' })],
      ['an unknown instruction', json({ instruction: 'teleport' })],
    ] as [string, ReceiverAnswer][]) {
      test(`defer (${name}): the reservation stays pending for the REST API`, async () => {
        const r = await receiver(() => answer);
        const fallback = await receiver(() => json({ instruction: 'accept' }));
        const s = await setup({ url: `${r.url}/assign`, fallback: `${fallback.url}/fallback` });
        const task = await s.w.tasks.create({ workflowSid: s.workflow.sid });
        await t.server.deliveries.flush();
        assert.equal(r.requests.length, 1);
        assert.equal(fallback.requests.length, 0, 'a good answer does not go to the fallback');
        const [res] = await s.w.tasks(task.sid).reservations.list();
        assert.equal(res.reservationStatus, 'pending');
        assert.equal((await s.w.tasks(task.sid).fetch()).assignmentStatus, 'reserved');
        const accepted = await s.w.tasks(task.sid).reservations(res.sid).update({ reservationStatus: 'accepted' });
        assert.equal(accepted.reservationStatus, 'accepted');
      });
    }

    for (const [name, answer] of [
      ['a 500', { status: 500, body: 'boom', contentType: 'text/plain' }],
      ['a 200 that is not JSON', { status: 200, body: 'OK', contentType: 'text/plain' }],
      ['no answer within the timeout', 'hang'],
    ] as [string, ReceiverAnswer][]) {
      test(`fallback after ${name}: tried once, its answer is carried out`, async () => {
        const r = await receiver(() => answer);
        const fallback = await receiver(() => json({ instruction: 'accept' }));
        const s = await setup({ url: `${r.url}/assign`, fallback: `${fallback.url}/fallback?f=1` });
        const task = await s.w.tasks.create({ workflowSid: s.workflow.sid });
        const started = Date.now();
        await t.server.deliveries.flush();
        assert.ok(Date.now() - started < 4_000, 'the configured timeout applies');
        assert.equal(r.requests.length, 1);
        assert.equal(fallback.requests.length, 1);
        assert.deepEqual(fallback.requests[0].params, r.requests[0].params, 'the same parameters');
        assert.ok(valid(fallback.requests[0]), 'signed for the fallback URL');
        const [res] = await s.w.tasks(task.sid).reservations.list();
        assert.equal(res.reservationStatus, 'accepted');
      });
    }

    test('both URLs fail: the reservation stays pending until its timeout', async () => {
      const r = await receiver(() => 'hang');
      const fallback = await receiver(() => ({ status: 502 }));
      const s = await setup({ url: `${r.url}/assign`, fallback: `${fallback.url}/fallback` });
      const task = await s.w.tasks.create({ workflowSid: s.workflow.sid });
      await t.server.deliveries.flush();
      assert.equal(r.requests.length + fallback.requests.length, 2, 'one try each, no retries');
      const [res] = await s.w.tasks(task.sid).reservations.list();
      assert.equal(res.reservationStatus, 'pending');
      t.clock.advance(60_000);
      await t.server.taskRouter.engine.tick();
      await t.server.deliveries.flush();
      assert.equal((await s.w.tasks(task.sid).reservations(res.sid).fetch()).reservationStatus, 'timeout');
      assert.equal(r.requests.length + fallback.requests.length, 2);
    });

    test('no fallback URL: a failed callback leaves the reservation pending', async () => {
      const r = await receiver(() => ({ status: 404 }));
      const s = await setup({ url: `${r.url}/assign` });
      const task = await s.w.tasks.create({ workflowSid: s.workflow.sid });
      await t.server.deliveries.flush();
      assert.equal(r.requests.length, 1);
      const [res] = await s.w.tasks(task.sid).reservations.list();
      assert.equal(res.reservationStatus, 'pending');
    });

    test('an answer that comes after the reservation ended changes nothing', async () => {
      const r = await receiver(() => json({ instruction: 'accept' }));
      const s = await setup({ url: `${r.url}/assign` });
      const task = await s.w.tasks.create({ workflowSid: s.workflow.sid });
      await s.w.tasks(task.sid).update({ assignmentStatus: 'canceled', reason: 'caller hung up' });
      await t.server.deliveries.flush();
      assert.equal(r.requests.length, 1, 'the callback still goes: it was due when the reservation was made');
      const [res] = await s.w.tasks(task.sid).reservations.list();
      assert.equal(res.reservationStatus, 'canceled');
      assert.equal((await s.w.tasks(task.sid).fetch()).assignmentStatus, 'canceled');
    });

    test('no AssignmentCallbackUrl: nothing is sent', async () => {
      const s = await setup({});
      await s.w.tasks.create({ workflowSid: s.workflow.sid });
      const n = await t.server.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM assignment_callbacks WHERE workspace_sid = ?', [s.ws.sid]);
      assert.equal(Number(n!.n), 0);
    });

    test('several reservations at once (MaxReservedWorkers): one callback each; the first accept wins', async () => {
      const r = await receiver(() => json({ instruction: 'accept' }));
      const s = await setup({ url: `${r.url}/assign`, workers: 3 });
      await s.w.taskQueues(s.queue.sid).update({ maxReservedWorkers: 3 });
      const task = await s.w.tasks.create({ workflowSid: s.workflow.sid });
      await t.server.deliveries.flush();
      assert.equal(r.requests.length, 3);
      assert.equal(new Set(r.requests.map((q) => q.params.ReservationSid)).size, 3);
      const statuses = (await s.w.tasks(task.sid).reservations.list()).map((x) => x.reservationStatus).sort();
      assert.deepEqual(statuses, ['accepted', 'rescinded', 'rescinded']);
    });
  });
}
