import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';

for (const backend of backends()) {
  describe(`explain routing (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    test('reports the matched filter, the targets tried and why each worker can or cannot take the task', async () => {
      const tr = t.client.taskrouter.v1;
      const ws = await tr.workspaces.create({ friendlyName: 'explain' });
      const w = tr.workspaces(ws.sid);
      const [available] = await w.activities.list({ friendlyName: 'Available' });
      const spanish = await w.taskQueues.create({ friendlyName: 'Spanish', targetWorkers: "languages HAS 'es'" });
      const everyone = await w.taskQueues.create({ friendlyName: 'Everyone' });
      const workflow = await w.workflows.create({
        friendlyName: 'wf',
        configuration: JSON.stringify({
          task_routing: {
            filters: [
              { filter_friendly_name: 'VIP', expression: "tier == 'vip'", targets: [{ queue: everyone.sid, timeout: 10 }] },
              {
                filter_friendly_name: 'Spanish speakers',
                expression: "language == 'es'",
                targets: [
                  { queue: spanish.sid, timeout: 30, expression: 'worker.level >= task.level' },
                  { queue: everyone.sid },
                ],
              },
            ],
            default_filter: { queue: everyone.sid },
          },
        }),
      });
      const offline = await w.workers.create({ friendlyName: 'ana', attributes: JSON.stringify({ languages: ['es'], level: 5 }) });
      const junior = await w.workers.create({ friendlyName: 'bea', attributes: JSON.stringify({ languages: ['es'], level: 1 }), activitySid: available.sid });
      t.clock.advance(1000); // bea has now been idle longest
      const english = await w.workers.create({ friendlyName: 'cal', attributes: JSON.stringify({ languages: ['en'], level: 9 }), activitySid: available.sid });
      const task = await w.tasks.create({ workflowSid: workflow.sid, attributes: JSON.stringify({ language: 'es', level: 3 }) });
      assert.equal(task.assignmentStatus, 'pending', 'nobody can take it: that is what we want explained');

      const qs = [offline, junior, english].map((x) => `WorkerSid=${x.sid}`).join('&');
      const res = await t.http('GET', `/switchyard/v1/Workspaces/${ws.sid}/Tasks/${task.sid}/Explain?${qs}`);
      assert.equal(res.status, 200);
      const e = res.body;
      assert.equal(e.routing.matched_filter, 1);
      assert.equal(e.routing.matched_filter_name, 'Spanish speakers');
      assert.equal(e.routing.current_target, 0);
      assert.equal(e.routing.task_queue_sid, spanish.sid);
      assert.equal(e.routing.target_timeout_at, new Date(Date.parse(task.dateCreated.toISOString()) + 30_000).toISOString().replace('.000', ''));
      assert.deepEqual(e.filters.map((f: { matches_now: boolean }) => f.matches_now), [false, true]);
      assert.deepEqual(
        e.history.map((h: { event_type: string }) => h.event_type),
        ['task.created', 'workflow.entered', 'workflow.target-matched', 'task-queue.entered'],
      );
      const byName = Object.fromEntries(e.workers.map((r: { friendly_name: string }) => [r.friendly_name, r]));
      assert.equal(byName.ana.eligible_now, false);
      assert.match(byName.ana.reasons.join(' '), /activity is not an available one/);
      assert.equal(byName.bea.in_task_queue, true);
      assert.match(byName.bea.reasons.join(' '), /target's expression is false/);
      assert.equal(byName.cal.in_task_queue, false);
      assert.match(byName.cal.reasons.join(' '), /target_workers expression does not select/);

      // After the target times out the task moves to Everyone, with no target expression: bea, idle longest, gets it.
      t.clock.advance(30_000);
      await t.server.taskRouter.engine.tick();
      const later = (await t.http('GET', `/switchyard/v1/Workspaces/${ws.sid}/Tasks/${task.sid}/Explain?WorkerSid=${english.sid}`)).body;
      assert.equal(later.routing.current_target, 1);
      assert.equal(later.routing.task_queue_sid, everyone.sid);
      assert.ok(later.history.some((h: { event_type: string }) => h.event_type === 'task-queue.timeout'));
      assert.ok(later.history.some((h: { event_type: string; worker_sid: string }) => h.event_type === 'reservation.created' && h.worker_sid === junior.sid));
      assert.equal(later.workers[0].in_task_queue, true, 'cal is a member of Everyone');
    });

    test('unknown task or worker is a 404, a bad WorkerSid a 400', async () => {
      const ws = await t.client.taskrouter.v1.workspaces.create({ friendlyName: 'x', template: 'FIFO' });
      const task = await t.client.taskrouter.v1.workspaces(ws.sid).tasks.create({});
      assert.equal((await t.http('GET', `/switchyard/v1/Workspaces/${ws.sid}/Tasks/WT${'0'.repeat(32)}/Explain`)).status, 404);
      assert.equal((await t.http('GET', `/switchyard/v1/Workspaces/${ws.sid}/Tasks/${task.sid}/Explain?WorkerSid=WK${'0'.repeat(32)}`)).status, 404);
      const bad = await t.http('GET', `/switchyard/v1/Workspaces/${ws.sid}/Tasks/${task.sid}/Explain?WorkerSid=nope`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 20001);
    });
  });
}
