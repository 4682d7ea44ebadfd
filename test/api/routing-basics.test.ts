import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';

for (const backend of backends()) {
  describe(`routing basics (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    async function setup(opts: { workers?: number } = {}) {
      const tr = t.client.taskrouter.v1;
      const ws = await tr.workspaces.create({ friendlyName: `R${Math.random()}` });
      const w = tr.workspaces(ws.sid);
      const [available] = await w.activities.list({ friendlyName: 'Available' });
      const queue = await w.taskQueues.create({ friendlyName: 'SMS', targetWorkers: "skills HAS 'sms'" });
      const workflow = await w.workflows.create({
        friendlyName: 'All to SMS',
        configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }),
        taskReservationTimeout: 30,
      });
      const agents = [];
      for (let i = 0; i < (opts.workers ?? 1); i++) {
        agents.push(await w.workers.create({ friendlyName: `agent${i}`, attributes: JSON.stringify({ skills: ['sms'] }), activitySid: available.sid }));
        t.clock.advance(1000);
      }
      return { ws, w, queue, workflow, agents, available };
    }

    test('a task is reserved at once, accepted, wrapped up and completed', async () => {
      const { w, workflow, agents, queue } = await setup();
      const task = await w.tasks.create({ workflowSid: workflow.sid, attributes: JSON.stringify({ customer: 'x' }), taskChannel: 'sms' });
      assert.equal(task.assignmentStatus, 'reserved');
      assert.equal(task.taskQueueSid, queue.sid);
      const [res] = await w.tasks(task.sid).reservations.list();
      assert.equal(res.reservationStatus, 'pending');
      assert.equal(res.workerSid, agents[0].sid);
      const accepted = await w.tasks(task.sid).reservations(res.sid).update({ reservationStatus: 'accepted' });
      assert.equal(accepted.reservationStatus, 'accepted');
      assert.equal((await w.tasks(task.sid).fetch()).assignmentStatus, 'assigned');
      const sms = await w.workers(agents[0].sid).workerChannels('sms').fetch();
      assert.equal(sms.assignedTasks, 1);
      assert.equal(sms.availableCapacityPercentage, 0);
      const wrapping = await w.tasks(task.sid).update({ assignmentStatus: 'wrapping' });
      assert.equal(wrapping.assignmentStatus, 'wrapping');
      assert.equal((await w.workers(agents[0].sid).reservations(res.sid).fetch()).reservationStatus, 'wrapping');
      const done = await w.tasks(task.sid).update({ assignmentStatus: 'completed', reason: 'done' });
      assert.equal(done.assignmentStatus, 'completed');
      assert.equal(done.reason, 'done');
      assert.equal((await w.workers(agents[0].sid).reservations(res.sid).fetch()).reservationStatus, 'completed');
      const after = await w.workers(agents[0].sid).workerChannels('sms').fetch();
      assert.equal(after.assignedTasks, 0);
      assert.equal(after.availableCapacityPercentage, 100);
    });

    test('a worker update that changes nothing routing reads (same activity) still leaves routing memory right', async () => {
      // Its row's version moves; the reservation event reports the worker from memory, which must follow.
      const { w, workflow, agents, available } = await setup();
      await w.workers(agents[0].sid).update({ activitySid: available.sid });
      const task = await w.tasks.create({ workflowSid: workflow.sid, taskChannel: 'sms' });
      // Tests run with verifyRoutingState: a memory that missed the version would refuse this commit (500).
      assert.equal(task.assignmentStatus, 'reserved');
    });

    test('a rejected task goes to the next worker, never back to the one who rejected it', async () => {
      const { w, workflow, agents } = await setup({ workers: 2 });
      const task = await w.tasks.create({ workflowSid: workflow.sid, taskChannel: 'sms' });
      const [first] = await w.tasks(task.sid).reservations.list();
      assert.equal(first.workerSid, agents[0].sid, 'the longest idle worker first');
      await w.workers(agents[0].sid).reservations(first.sid).update({ reservationStatus: 'rejected' });
      const all = await w.tasks(task.sid).reservations.list();
      const pending = all.filter((r) => r.reservationStatus === 'pending');
      assert.equal(pending.length, 1);
      assert.equal(pending[0].workerSid, agents[1].sid);
      await w.tasks(task.sid).reservations(pending[0].sid).update({ reservationStatus: 'rejected' });
      assert.equal((await w.tasks(task.sid).fetch()).assignmentStatus, 'pending');
    });

    test('a reservation times out under the controllable clock: the worker goes to the timeout activity', async () => {
      const { w, workflow, agents } = await setup({ workers: 1 });
      const task = await w.tasks.create({ workflowSid: workflow.sid, taskChannel: 'sms' });
      const [res] = await w.tasks(task.sid).reservations.list();
      t.clock.advance(29_000);
      await t.server.taskRouter.engine.tick();
      assert.equal((await w.tasks(task.sid).reservations(res.sid).fetch()).reservationStatus, 'pending');
      t.clock.advance(1_000);
      await t.server.taskRouter.engine.tick();
      assert.equal((await w.tasks(task.sid).reservations(res.sid).fetch()).reservationStatus, 'timeout');
      const worker = await w.workers(agents[0].sid).fetch();
      assert.equal(worker.activityName, 'Offline');
      assert.equal((await w.tasks(task.sid).fetch()).assignmentStatus, 'pending');
    });

    test('a task waiting past its TTL is canceled', async () => {
      const { w, workflow } = await setup({ workers: 0 });
      const task = await w.tasks.create({ workflowSid: workflow.sid, timeout: 60 });
      assert.equal(task.assignmentStatus, 'pending');
      t.clock.advance(60_000);
      await t.server.taskRouter.engine.tick();
      const after = await w.tasks(task.sid).fetch();
      assert.equal(after.assignmentStatus, 'canceled');
      assert.equal(after.reason, 'Task TTL Exceeded');
    });

    test('a worker becoming available picks up the oldest waiting task', async () => {
      const { w, workflow, available } = await setup({ workers: 0 });
      const older = await w.tasks.create({ workflowSid: workflow.sid, taskChannel: 'sms' });
      t.clock.advance(1000);
      await w.tasks.create({ workflowSid: workflow.sid, taskChannel: 'sms' });
      const worker = await w.workers.create({ friendlyName: 'late', attributes: JSON.stringify({ skills: ['sms'] }) });
      await w.workers(worker.sid).update({ activitySid: available.sid });
      const [res] = await w.workers(worker.sid).reservations.list();
      assert.equal(res.taskSid, older.sid);
    });
  });
}

for (const backend of backends()) {
  describe(`assigned tasks are not forever (${backend.name})`, () => {
    test('a task still assigned 24 hours after it was accepted is deleted by the system, freeing the worker', async () => {
      const t = await startServer(backend);
      try {
        const tr = t.client.taskrouter.v1;
        const ws = await tr.workspaces.create({ friendlyName: 'long', template: 'FIFO' });
        const w = tr.workspaces(ws.sid);
        const [available] = await w.activities.list({ friendlyName: 'Available' });
        const worker = await w.workers.create({ friendlyName: 'a', activitySid: available.sid });
        const task = await w.tasks.create({});
        const [res] = await w.tasks(task.sid).reservations.list();
        await w.tasks(task.sid).reservations(res.sid).update({ reservationStatus: 'accepted' });
        t.clock.advance(86_400_000 - 1000);
        await t.server.taskRouter.engine.tick();
        assert.equal((await w.tasks(task.sid).fetch()).assignmentStatus, 'assigned');
        t.clock.advance(1000);
        await t.server.taskRouter.engine.tick();
        await assert.rejects(w.tasks(task.sid).fetch(), { status: 404 });
        const ev = await t.server.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE task_sid = ? AND event_type = 'task.system-deleted'", [task.sid]);
        assert.equal(Number(ev?.n), 1);
        assert.equal((await w.workers(worker.sid).workerChannels('default').fetch()).assignedTasks, 0);
      } finally {
        await t.close();
      }
    });
  });
}
