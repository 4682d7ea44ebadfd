import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { backends, startReceiver, startServer, type ReceivedRequest, type Receiver, type TestServer } from '../support/server.ts';

/**
 * The configuration events of TaskRouter's event reference (activity.*, task-channel.*, task-queue.*,
 * workflow.*, workspace.*): each is in the Events resource and POSTed, signed, to the workspace's
 * EventCallbackUrl, with the fields the reference documents for it.
 */
for (const backend of backends()) {
  describe(`configuration events (${backend.name})`, () => {
    let t: TestServer;
    let r: Receiver;
    before(async () => {
      t = await startServer(backend, { callbacks: { eventMaxAttempts: 3, eventTimeoutMs: 300 } });
      r = await startReceiver();
    });
    after(async () => {
      await r.close();
      await t.close();
    });

    const tr = () => t.client.taskrouter.v1;
    let n = 0;
    async function workspace(extra: { eventsFilter?: string; template?: string } = {}) {
      const ws = await tr().workspaces.create({ friendlyName: `Config events ${++n}`, eventCallbackUrl: `${r.url}/events/${n}`, ...extra });
      return { ws, w: tr().workspaces(ws.sid) };
    }

    const valid = (q: ReceivedRequest) => twilio.validateRequest(t.account.authToken, String(q.headers['x-twilio-signature']), q.url, q.params);
    const callbacks = (wsSid: string, type: string) => r.requests.filter((q) => q.params.WorkspaceSid === wsSid && q.params.EventType === type);

    /**
     * The one event of this type about this resource: in the Events resource (snake_case event data)
     * and as a signed callback (the reference's PascalCase parameters), carrying `fields`.
     */
    async function expectEvent(
      { ws, w }: Awaited<ReturnType<typeof workspace>>,
      type: string,
      resource: { type: string; sid: string },
      fields: Record<string, string>,
    ) {
      await t.server.deliveries.flush();
      const logged = (await w.events.list({ eventType: type })).filter((e) => e.resourceSid === resource.sid);
      assert.equal(logged.length, 1, `one ${type} for ${resource.sid} in the Events resource`);
      const [e] = logged;
      assert.equal(e.resourceType, resource.type);
      assert.equal(e.workspaceSid, ws.sid);
      assert.match(e.resourceUrl, new RegExp(`/v1/Workspaces/${ws.sid}(/[A-Za-z]+/${resource.sid})?$`));
      const data = e.eventData as Record<string, string>;
      const sent = callbacks(ws.sid, type).filter((q) => q.params.ResourceSid === resource.sid);
      assert.equal(sent.length, 1, `one ${type} callback for ${resource.sid}`);
      const [q] = sent;
      assert.ok(valid(q), `${type}: a valid X-Twilio-Signature`);
      assert.equal(q.params.Sid, e.sid);
      assert.equal(q.params.ResourceType, resource.type);
      assert.equal(q.params.AccountSid, t.account.accountSid);
      assert.equal(q.params.EventDescription, e.description);
      for (const [name, value] of Object.entries(fields)) {
        assert.equal(q.params[name], value, `${type} callback ${name}`);
        assert.equal(data[snake(name)], value, `${type} event_data ${snake(name)}`);
      }
      return { event: e, callback: q };
    }

    test('activity.created, activity.updated, activity.deleted', async () => {
      const s = await workspace();
      const { w } = s;
      const a = await w.activities.create({ friendlyName: 'Lunch', available: false });
      const res = { type: 'activity', sid: a.sid };
      await expectEvent(s, 'activity.created', res, { ActivitySid: a.sid, ActivityName: 'Lunch', ActivityAvailable: 'false' });
      await w.activities(a.sid).update({ friendlyName: 'Long lunch' });
      await expectEvent(s, 'activity.updated', res, { ActivitySid: a.sid, ActivityName: 'Long lunch', ActivityAvailable: 'false' });

      // A refused change is no change: nothing is recorded or sent.
      const [offline] = await w.activities.list({ friendlyName: 'Offline' });
      await assert.rejects(w.activities(offline.sid).remove(), (err: { status: number }) => err.status === 400);
      await t.server.deliveries.flush();
      assert.equal((await w.events.list({ eventType: 'activity.deleted' })).length, 0);

      await w.activities(a.sid).remove();
      await expectEvent(s, 'activity.deleted', res, { ActivitySid: a.sid, ActivityName: 'Long lunch', ActivityAvailable: 'false' });
    });

    test('task-channel.created, task-channel.updated, task-channel.deleted', async () => {
      const s = await workspace();
      const { w } = s;
      const c = await w.taskChannels.create({ friendlyName: 'Email', uniqueName: 'email' });
      const res = { type: 'taskchannel', sid: c.sid };
      const fields = (name: string, optimized: string) => ({
        TaskChannelSid: c.sid,
        TaskChannelName: name,
        TaskChannelUniqueName: 'email',
        TaskChannelOptimizedRouting: optimized,
      });
      await expectEvent(s, 'task-channel.created', res, fields('Email', 'false'));
      await w.taskChannels(c.sid).update({ friendlyName: 'E-mail', channelOptimizedRouting: true });
      await expectEvent(s, 'task-channel.updated', res, fields('E-mail', 'true'));
      // Pertaining to the channel: the TaskChannel filter finds them.
      assert.deepEqual(
        (await w.events.list({ taskChannel: 'email' })).map((e) => e.eventType).sort(),
        ['task-channel.created', 'task-channel.updated'],
      );
      await w.taskChannels(c.sid).remove();
      await expectEvent(s, 'task-channel.deleted', res, fields('E-mail', 'true'));
    });

    test('task-queue.created, task-queue.updated, task-queue.expression.updated, task-queue.deleted', async () => {
      const s = await workspace();
      const { w } = s;
      const q = await w.taskQueues.create({ friendlyName: 'Sales', targetWorkers: "skills HAS 'sales'" });
      const res = { type: 'taskqueue', sid: q.sid };
      await expectEvent(s, 'task-queue.created', res, { TaskQueueSid: q.sid, TaskQueueName: 'Sales', TaskQueueTargetExpression: "skills HAS 'sales'" });

      await w.taskQueues(q.sid).update({ friendlyName: 'Sales EU' });
      await expectEvent(s, 'task-queue.updated', res, { TaskQueueSid: q.sid, TaskQueueName: 'Sales EU', TaskQueueTargetExpression: "skills HAS 'sales'" });
      assert.equal((await w.events.list({ eventType: 'task-queue.expression.updated' })).length, 0, 'the expression did not change');

      await w.taskQueues(q.sid).update({ targetWorkers: "skills HAS 'eu'" });
      await expectEvent(s, 'task-queue.expression.updated', res, { TaskQueueSid: q.sid, TaskQueueTargetExpression: "skills HAS 'eu'" });
      assert.equal((await w.events.list({ eventType: 'task-queue.updated' })).length, 2, 'an update, whatever changed');
      // Pertaining to the queue: the TaskQueueSid filter finds them.
      assert.equal((await w.events.list({ taskQueueSid: q.sid })).length, 4);

      await w.taskQueues(q.sid).remove();
      await expectEvent(s, 'task-queue.deleted', res, { TaskQueueSid: q.sid, TaskQueueName: 'Sales EU', TaskQueueTargetExpression: "skills HAS 'eu'" });
    });

    test('workflow.created, workflow.updated, workflow.deleted', async () => {
      const s = await workspace();
      const { w } = s;
      const q = await w.taskQueues.create({ friendlyName: 'All', targetWorkers: '1 == 1' });
      const configuration = JSON.stringify({ task_routing: { default_filter: { queue: q.sid } } });
      const wf = await w.workflows.create({ friendlyName: 'Route all', configuration });
      const res = { type: 'workflow', sid: wf.sid };
      await expectEvent(s, 'workflow.created', res, { WorkflowSid: wf.sid, WorkflowName: 'Route all' });
      await w.workflows(wf.sid).update({ friendlyName: 'Route everything', taskReservationTimeout: 60 });
      await expectEvent(s, 'workflow.updated', res, { WorkflowSid: wf.sid, WorkflowName: 'Route everything' });
      // Pertaining to the workflow: the WorkflowSid filter finds them.
      assert.deepEqual((await w.events.list({ workflowSid: wf.sid })).map((e) => e.eventType).sort(), ['workflow.created', 'workflow.updated']);
      await w.workflows(wf.sid).remove();
      await expectEvent(s, 'workflow.deleted', res, { WorkflowSid: wf.sid, WorkflowName: 'Route everything' });
    });

    test('workspace.created (with what it is created with), workspace.updated, workspace.deleted', async () => {
      const s = await workspace({ template: 'FIFO' });
      const { ws, w } = s;
      const res = { type: 'workspace', sid: ws.sid };
      await expectEvent(s, 'workspace.created', res, { WorkspaceSid: ws.sid, WorkspaceName: ws.friendlyName });
      // What the workspace starts with was created too: its activities, channels and the template's queue and workflow.
      for (const a of await w.activities.list()) await expectEvent(s, 'activity.created', { type: 'activity', sid: a.sid }, { ActivityName: a.friendlyName });
      for (const c of await w.taskChannels.list())
        await expectEvent(s, 'task-channel.created', { type: 'taskchannel', sid: c.sid }, { TaskChannelUniqueName: c.uniqueName });
      const [queue] = await w.taskQueues.list();
      await expectEvent(s, 'task-queue.created', { type: 'taskqueue', sid: queue.sid }, { TaskQueueName: 'Sample Queue', TaskQueueTargetExpression: '1==1' });
      const [workflow] = await w.workflows.list();
      await expectEvent(s, 'workflow.created', { type: 'workflow', sid: workflow.sid }, { WorkflowName: 'Default Fifo Workflow' });
      const first = r.requests.find((q) => q.params.WorkspaceSid === ws.sid)!;
      assert.equal(first.params.EventType, 'workspace.created', 'the workspace comes before what is in it');

      await w.update({ friendlyName: `${ws.friendlyName} renamed` });
      const { callback } = await expectEvent(s, 'workspace.updated', res, { WorkspaceSid: ws.sid, WorkspaceName: `${ws.friendlyName} renamed` });
      assert.equal(callback.params.WorkspaceName, `${ws.friendlyName} renamed`, 'the name as it is after the update');

      // The workspace's events go with it; its callback is still sent, after everything queued before it.
      const before = r.requests.length;
      await w.activities.create({ friendlyName: 'Last words' });
      await w.remove();
      await t.server.deliveries.flush();
      const gone = r.requests.slice(before);
      assert.deepEqual(gone.map((q) => q.params.EventType), ['activity.created', 'workspace.deleted']);
      const [, deleted] = gone;
      assert.ok(valid(deleted), 'a valid X-Twilio-Signature');
      assert.equal(deleted.params.ResourceType, 'workspace');
      assert.equal(deleted.params.ResourceSid, ws.sid);
      assert.equal(deleted.params.WorkspaceSid, ws.sid);
      assert.equal(deleted.params.WorkspaceName, `${ws.friendlyName} renamed`);
      assert.match(deleted.params.Sid, /^EV[0-9a-f]{32}$/);
      await assert.rejects(w.events.list(), (err: { status: number }) => err.status === 404);
      assert.equal(Number((await t.server.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM deliveries WHERE workspace_sid = ?', [ws.sid]))!.n), 0);
    });

    test('EventsFilter applies to configuration events; the log keeps everything', async () => {
      const { ws, w } = await workspace({ eventsFilter: 'activity.created,workflow.deleted' });
      await w.activities.create({ friendlyName: 'Break' });
      const q = await w.taskQueues.create({ friendlyName: 'Q' });
      await w.taskQueues(q.sid).update({ friendlyName: 'Q2' });
      await t.server.deliveries.flush();
      const sent = r.requests.filter((x) => x.params.WorkspaceSid === ws.sid).map((x) => x.params.EventType);
      assert.deepEqual(sent, ['activity.created', 'activity.created', 'activity.created', 'activity.created']);
      const logged = new Set((await w.events.list()).map((e) => e.eventType));
      for (const type of ['workspace.created', 'task-channel.created', 'task-queue.created', 'task-queue.updated']) assert.ok(logged.has(type), type);
    });
  });
}

function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
