import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Committed } from '../../src/taskrouter/engine/commits.ts';
import { emit } from '../../src/taskrouter/engine/events.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { makeWorkspace } from './routing-helpers.ts';

/** Nothing listens there: timers are manual, so nothing is sent; the rows are only queued. */
const NOWHERE = 'http://127.0.0.1:9/callbacks';

/**
 * The engine's post-commit bus (Engine.bus): what each commit says it queued comes from that
 * transaction alone, a change that rolled back says nothing, and a change is answered only after
 * its subscribers have finished.
 */
for (const backend of backends()) {
  describe(`engine bus: committed events (${backend.name})`, () => {
    let t: TestServer;
    const heard: Committed[] = [];
    before(async () => {
      t = await startServer(backend);
      t.server.taskRouter.engine.bus.on('committed', (e) => void heard.push(e));
    });
    after(() => t.close());

    const of = (wsSid: string | null) => heard.filter((e) => e.workspaceSid === wsSid);
    const queuedRows = async (table: 'deliveries' | 'assignment_callbacks', wsSid: string) =>
      Number((await t.server.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE workspace_sid = ?`, [wsSid]))?.n);

    test('a commit tells whether it queued event callbacks: none without an EventCallbackUrl, some with one', async () => {
      const f = await makeWorkspace(t);
      const queue = await f.queue('everyone');
      const workflow = await f.workflow({ filters: [], default_filter: { queue: queue.sid } });
      await f.task({ workflowSid: workflow.sid, attributes: '{}' });
      assert.ok(of(f.wsSid).length > 0, 'the routing commits were published');
      assert.ok(of(f.wsSid).every((e) => !e.queued.eventCallbacks && !e.queued.assignmentCallbacks));
      assert.equal(await queuedRows('deliveries', f.wsSid), 0);

      await f.w.update({ eventCallbackUrl: NOWHERE });
      heard.length = 0;
      await f.task({ workflowSid: workflow.sid, attributes: '{}' });
      assert.deepEqual(
        of(f.wsSid).map((e) => e.queued),
        [{ eventCallbacks: true, assignmentCallbacks: false }],
        'one batch, which queued task.created and the rest',
      );
      assert.ok((await queuedRows('deliveries', f.wsSid)) > 0);
    });

    test('a reservation whose workflow has an AssignmentCallbackUrl: the commit says it queued one', async () => {
      const f = await makeWorkspace(t);
      const queue = await f.queue('everyone');
      const workflow = await f.workflow({ filters: [], default_filter: { queue: queue.sid } }, { assignmentCallbackUrl: NOWHERE });
      await f.worker('alice');
      heard.length = 0;
      const task = await f.task({ workflowSid: workflow.sid, attributes: '{}' });
      assert.equal((await f.pending(task.sid)).length, 1);
      assert.deepEqual(
        of(f.wsSid).map((e) => e.queued),
        [{ eventCallbacks: false, assignmentCallbacks: true }],
      );
      assert.equal(await queuedRows('assignment_callbacks', f.wsSid), 1);
    });

    test('a change that rolls back publishes nothing; the same change committed is published with what it queued', async () => {
      const f = await makeWorkspace(t);
      await f.w.update({ eventCallbackUrl: NOWHERE });
      const engine = t.server.taskRouter.engine;
      const event = (tx: Parameters<typeof emit>[0], ws: Parameters<typeof emit>[1]) =>
        emit(tx, ws, t.clock.now(), { type: 'workspace.updated', description: 'test', resourceType: 'workspace', resourceSid: ws.sid, data: {} });
      const before = await queuedRows('deliveries', f.wsSid);
      heard.length = 0;
      await assert.rejects(
        engine.inWorkspace(t.account.accountSid, f.wsSid, async (tx, ws) => {
          await event(tx, ws);
          throw new Error('refused after queueing');
        }),
        /refused after queueing/,
      );
      assert.deepEqual(of(f.wsSid), [], 'a rolled-back transaction is never published');
      assert.equal(await queuedRows('deliveries', f.wsSid), before);

      await engine.inWorkspace(t.account.accountSid, f.wsSid, (tx, ws) => event(tx, ws));
      assert.deepEqual(of(f.wsSid), [{ workspaceSid: f.wsSid, queued: { eventCallbacks: true, assignmentCallbacks: false } }]);
      assert.equal(await queuedRows('deliveries', f.wsSid), before + 1);
    });

    test('creating a workspace (no lock) is published without a workspace, with what it queued', async () => {
      heard.length = 0;
      await t.client.taskrouter.v1.workspaces.create({ friendlyName: `bus ${Math.random()}`, eventCallbackUrl: NOWHERE });
      assert.deepEqual(of(null), [{ workspaceSid: null, queued: { eventCallbacks: true, assignmentCallbacks: false } }]);
      heard.length = 0;
      await t.client.taskrouter.v1.workspaces.create({ friendlyName: `bus ${Math.random()}` });
      assert.deepEqual(of(null), [{ workspaceSid: null, queued: { eventCallbacks: false, assignmentCallbacks: false } }]);
    });

    test('a change is answered only once its subscribers have finished', async () => {
      const f = await makeWorkspace(t);
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      let entered!: () => void;
      const called = new Promise<void>((r) => (entered = r));
      const off = t.server.taskRouter.engine.bus.on('committed', async (e) => {
        if (e.workspaceSid !== f.wsSid) return;
        entered();
        await gate;
      });
      try {
        let answered = false;
        const change = t.server.taskRouter.engine.inWorkspace(t.account.accountSid, f.wsSid, async () => 'done').then((v) => {
          answered = true;
          return v;
        });
        await called;
        // Every promise callback that could run without the subscriber has run by the next turn.
        await new Promise((r) => setImmediate(r));
        assert.equal(answered, false, 'the caller waits for the subscriber');
        open();
        assert.equal(await change, 'done');
      } finally {
        off();
      }
    });
  });
}
