import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';

for (const backend of backends()) {
  describe(`task queues and workflows (${backend.name})`, () => {
    let t: TestServer;
    let ws: string;
    before(async () => {
      t = await startServer(backend);
      ws = (await t.client.taskrouter.v1.workspaces.create({ friendlyName: 'QW', multiTaskEnabled: false })).sid;
    });
    after(() => t.close());

    test('task queues: create with defaults and with every parameter, update, fetch, delete', async () => {
      const tr = t.client.taskrouter.v1.workspaces(ws);
      const plain = await tr.taskQueues.create({ friendlyName: 'Everyone' });
      assert.equal(plain.targetWorkers, '1==1');
      assert.equal(plain.maxReservedWorkers, 1);
      assert.equal(plain.taskOrder, 'FIFO');
      assert.equal(plain.reservationActivitySid, null);
      const [busy] = await tr.activities.list({ friendlyName: 'Unavailable' });
      const [avail] = await tr.activities.list({ friendlyName: 'Available' });
      const q = await tr.taskQueues.create({
        friendlyName: 'Spanish',
        targetWorkers: "languages HAS 'es' AND level >= 2",
        maxReservedWorkers: 50,
        taskOrder: 'LIFO',
        reservationActivitySid: busy.sid,
        assignmentActivitySid: avail.sid,
      });
      assert.equal(q.maxReservedWorkers, 50);
      assert.equal(q.taskOrder, 'LIFO');
      assert.equal(q.reservationActivityName, 'Unavailable');
      assert.equal(q.assignmentActivityName, 'Available');
      assert.equal(q.links.reservation_activity, `${t.baseUrl}/taskrouter/v1/Workspaces/${ws}/Activities/${busy.sid}`);
      const updated = await tr.taskQueues(q.sid).update({ targetWorkers: "languages HAS 'es'", maxReservedWorkers: 3, friendlyName: 'Español' });
      assert.equal(updated.targetWorkers, "languages HAS 'es'");
      assert.equal(updated.maxReservedWorkers, 3);
      assert.equal((await tr.taskQueues(q.sid).fetch()).friendlyName, 'Español');
      assert.equal(await tr.taskQueues(plain.sid).remove(), true);
      await assert.rejects(tr.taskQueues(plain.sid).fetch(), { status: 404, code: 20404 });
    });

    test('task queue list filters: FriendlyName, EvaluateWorkerAttributes, WorkerSid, Ordering', async () => {
      const tr = t.client.taskrouter.v1.workspaces(ws);
      const sales = await tr.taskQueues.create({ friendlyName: 'Sales', targetWorkers: "skills HAS 'sales'" });
      const vip = await tr.taskQueues.create({ friendlyName: 'VIP', targetWorkers: 'level > 5' });
      assert.deepEqual((await tr.taskQueues.list({ friendlyName: 'Sales' })).map((q) => q.sid), [sales.sid]);
      const forSeller = await tr.taskQueues.list({ evaluateWorkerAttributes: JSON.stringify({ skills: ['sales'], level: 1 }) });
      assert.ok(forSeller.some((q) => q.sid === sales.sid));
      assert.ok(!forSeller.some((q) => q.sid === vip.sid));
      const worker = await tr.workers.create({ friendlyName: 'vip-agent', attributes: JSON.stringify({ level: 9 }) });
      const forVip = await tr.taskQueues.list({ workerSid: worker.sid });
      assert.ok(forVip.some((q) => q.sid === vip.sid));
      assert.ok(!forVip.some((q) => q.sid === sales.sid));
      const byName = await tr.taskQueues.list({ ordering: 'FriendlyName:desc' });
      const names = byName.map((q) => q.friendlyName);
      assert.deepEqual(names, [...names].sort().reverse());
    });

    test('workflows: create, fetch, update, list by name, delete; queue references are kept', async () => {
      const tr = t.client.taskrouter.v1.workspaces(ws);
      const q1 = await tr.taskQueues.create({ friendlyName: 'Tier 1' });
      const q2 = await tr.taskQueues.create({ friendlyName: 'Tier 2' });
      const configuration = JSON.stringify({
        task_routing: {
          filters: [
            {
              filter_friendly_name: 'Gold',
              expression: "customer.tier == 'gold'",
              targets: [
                { queue: q1.sid, priority: 10, timeout: 30, expression: 'task.language IN worker.languages' },
                { timeout: '60', order_by: 'worker.level DESC', skip_if: 'workers.available == 0' },
                { queue: q2.sid, known_worker_sid: 'task.last_agent' },
              ],
            },
          ],
          default_filter: { queue: q2.sid },
        },
      });
      const wf = await tr.workflows.create({
        friendlyName: 'Routing',
        configuration,
        assignmentCallbackUrl: 'https://example.com/assign',
        fallbackAssignmentCallbackUrl: 'https://example.com/fallback',
        taskReservationTimeout: 45,
      });
      assert.equal(wf.configuration, configuration);
      assert.equal(wf.taskReservationTimeout, 45);
      assert.equal(wf.assignmentCallbackUrl, 'https://example.com/assign');
      assert.equal(wf.documentContentType, 'application/json');
      const plain = await tr.workflows.create({ friendlyName: 'Plain', configuration: JSON.stringify({ task_routing: { default_filter: { queue: q1.sid } } }) });
      assert.equal(plain.taskReservationTimeout, 120);
      assert.equal(plain.assignmentCallbackUrl, null);
      assert.equal((await tr.workflows(wf.sid).fetch()).friendlyName, 'Routing');
      assert.deepEqual((await tr.workflows.list({ friendlyName: 'Plain' })).map((w) => w.sid), [plain.sid]);

      // Tier 2 is routed to by `Routing`: it cannot go while that is so.
      await assert.rejects(tr.taskQueues(q2.sid).remove(), { status: 400, code: 20001 });
      const updated = await tr.workflows(wf.sid).update({
        configuration: JSON.stringify({ task_routing: { default_filter: { queue: q1.sid } } }),
        reEvaluateTasks: 'true',
        assignmentCallbackUrl: '',
      });
      assert.equal(updated.assignmentCallbackUrl, null);
      assert.equal(await tr.taskQueues(q2.sid).remove(), true);
      await assert.rejects(tr.taskQueues(q1.sid).remove(), { status: 400, code: 20001 });
      await tr.workflows(wf.sid).remove();
      await tr.workflows(plain.sid).remove();
      assert.equal(await tr.taskQueues(q1.sid).remove(), true);
    });
  });
}
