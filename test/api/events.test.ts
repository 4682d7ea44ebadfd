import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

for (const backend of backends()) {
  describe(`events resource (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    async function setup() {
      const tr = t.client.taskrouter.v1;
      const ws = await tr.workspaces.create({ friendlyName: `Events ${Math.random()}` });
      const w = tr.workspaces(ws.sid);
      const [available] = await w.activities.list({ friendlyName: 'Available' });
      const queue = await w.taskQueues.create({ friendlyName: 'SMS', targetWorkers: "skills HAS 'sms'" });
      const workflow = await w.workflows.create({
        friendlyName: 'All to SMS',
        configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }),
      });
      const worker = await w.workers.create({ friendlyName: 'alice', attributes: JSON.stringify({ skills: ['sms'] }), activitySid: available.sid });
      return { ws, w, queue, workflow, worker, available };
    }

    /** A task's whole life: created, reserved, accepted, completed. */
    async function fullLife(s: Awaited<ReturnType<typeof setup>>) {
      const task = await s.w.tasks.create({ workflowSid: s.workflow.sid, attributes: JSON.stringify({ customer: 'c1' }), taskChannel: 'sms' });
      const [res] = await s.w.tasks(task.sid).reservations.list();
      t.clock.advance(2_000);
      await s.w.tasks(task.sid).reservations(res.sid).update({ reservationStatus: 'accepted' });
      t.clock.advance(3_000);
      await s.w.tasks(task.sid).update({ assignmentStatus: 'completed', reason: 'resolved' });
      return { task, res };
    }

    test("a task's life is recorded, newest first, with Twilio's fields and snake_case event data", async () => {
      const s = await setup();
      const { task, res } = await fullLife(s);
      const list = await s.w.events.list({ taskSid: task.sid });
      const types = list.map((e) => e.eventType).reverse();
      assert.deepEqual(types, [
        'task.created',
        'workflow.entered',
        'workflow.target-matched',
        'task-queue.entered',
        'reservation.created',
        'reservation.accepted',
        'reservation.completed',
        'task.completed',
      ]);
      for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].eventDateMs >= list[i].eventDateMs, 'newest first');

      const created = list.find((e) => e.eventType === 'reservation.created')!;
      assert.equal(created.accountSid, t.account.accountSid);
      assert.equal(created.workspaceSid, s.ws.sid);
      assert.equal(created.resourceType, 'reservation');
      assert.equal(created.resourceSid, res.sid);
      assert.match(created.resourceUrl, new RegExp(`/v1/Workspaces/${s.ws.sid}/Tasks/${task.sid}/Reservations/${res.sid}$`));
      assert.match(created.url, new RegExp(`/v1/Workspaces/${s.ws.sid}/Events/${created.sid}$`));
      assert.equal(created.source, 'twilio');
      assert.equal(created.actorType, 'workspace');
      assert.equal(created.actorSid, s.ws.sid);
      assert.equal(typeof created.eventDateMs, 'number');
      assert.equal(created.eventDate.getTime(), Math.floor(created.eventDateMs / 1000) * 1000);
      const data = created.eventData as Record<string, string>;
      assert.equal(data.task_sid, task.sid);
      assert.equal(data.reservation_sid, res.sid);
      assert.equal(data.worker_sid, s.worker.sid);
      assert.equal(data.worker_name, 'alice');
      assert.equal(data.task_queue_sid, s.queue.sid);
      assert.equal(data.workflow_sid, s.workflow.sid);
      assert.equal(data.task_channel_unique_name, 'sms');
      assert.equal(data.task_attributes, JSON.stringify({ customer: 'c1' }));
      assert.equal(data.workspace_sid, s.ws.sid);
      assert.equal(data.workspace_name, s.ws.friendlyName);
      assert.ok(Object.keys(data).every((k) => /^[a-z0-9_]+$/.test(k)), `snake_case keys: ${Object.keys(data)}`);

      const completed = list.find((e) => e.eventType === 'task.completed')!;
      assert.equal(completed.resourceType, 'task');
      assert.match(completed.resourceUrl, new RegExp(`/Tasks/${task.sid}$`));
      assert.equal((completed.eventData as Record<string, string>).task_completed_reason, 'resolved');
      assert.equal((completed.eventData as Record<string, string>).task_assignment_status, 'completed');
      assert.equal(completed.eventDateMs - created.eventDateMs, 5_000);

      const fetched = await s.w.events(created.sid).fetch();
      assert.deepEqual(fetched.toJSON(), created.toJSON());
    });

    test('every list filter narrows the log', async () => {
      const s = await setup();
      const { task, res } = await fullLife(s);
      // Another task that nobody can take, on another channel, in another queue and workflow.
      const other = await s.w.taskQueues.create({ friendlyName: 'Nobody', targetWorkers: '1 == 2' });
      const otherFlow = await s.w.workflows.create({
        friendlyName: 'To nobody',
        configuration: JSON.stringify({ task_routing: { default_filter: { queue: other.sid } } }),
      });
      const waiting = await s.w.tasks.create({ workflowSid: otherFlow.sid, taskChannel: 'voice' });

      const only = (list: { eventType: string }[]) => [...new Set(list.map((e) => e.eventType))].sort();
      const sids = (list: { sid: string }[]) => new Set(list.map((e) => e.sid));

      const created = await s.w.events.list({ eventType: 'task.created' });
      assert.deepEqual(only(created), ['task.created']);
      assert.equal(created.length, 2);

      const byTask = await s.w.events.list({ taskSid: waiting.sid });
      assert.ok(byTask.length >= 4 && byTask.every((e) => (e.eventData as { task_sid: string }).task_sid === waiting.sid));

      const byRes = await s.w.events.list({ reservationSid: res.sid });
      assert.deepEqual(only(byRes), ['reservation.accepted', 'reservation.completed', 'reservation.created']);

      const byQueue = await s.w.events.list({ taskQueueSid: other.sid });
      assert.ok(byQueue.length > 0 && byQueue.every((e) => (e.eventData as { task_queue_sid: string }).task_queue_sid === other.sid));

      // Events pertaining to the workflow: its own (workflow.created) and its task's.
      const byWorkflow = await s.w.events.list({ workflowSid: s.workflow.sid });
      assert.ok(byWorkflow.some((e) => e.eventType === 'workflow.created' && e.resourceSid === s.workflow.sid));
      assert.ok(byWorkflow.filter((e) => e.resourceType !== 'workflow').every((e) => (e.eventData as { task_sid?: string }).task_sid === task.sid));

      const byWorker = await s.w.events.list({ workerSid: s.worker.sid });
      assert.ok(only(byWorker).includes('reservation.accepted'));
      assert.ok(byWorker.every((e) => (e.eventData as { worker_sid: string }).worker_sid === s.worker.sid));

      // Events pertaining to the channel: its own (task-channel.created, with the workspace) and its task's.
      const [voiceChannel] = (await s.w.taskChannels.list()).filter((c) => c.uniqueName === 'voice');
      const voice = await s.w.events.list({ taskChannel: 'voice' });
      assert.deepEqual(sids(voice.filter((e) => e.resourceType !== 'taskchannel')), sids(byTask));
      assert.deepEqual(voice.filter((e) => e.resourceType === 'taskchannel').map((e) => e.resourceSid), [voiceChannel.sid]);
      assert.deepEqual(sids(await s.w.events.list({ taskChannel: voiceChannel.sid })), sids(voice));

      const one = await s.w.events.list({ sid: byRes[0].sid });
      assert.deepEqual(one.map((e) => e.sid), [byRes[0].sid]);

      // Combined filters are ANDed.
      assert.deepEqual(only(await s.w.events.list({ taskSid: task.sid, eventType: 'reservation.created' })), ['reservation.created']);
      assert.equal((await s.w.events.list({ taskSid: waiting.sid, reservationSid: res.sid })).length, 0);
    });

    test('the time window: the last 15 minutes by default, Minutes, StartDate and EndDate', async () => {
      const s = await setup();
      const early = await s.w.tasks.create({ workflowSid: s.workflow.sid, taskChannel: 'sms' });
      const earlyAt = t.clock.now();
      t.clock.advance(20 * MINUTE);
      const late = await s.w.tasks.create({ workflowSid: s.workflow.sid, taskChannel: 'voice' });
      const lateAt = t.clock.now();
      const taskSids = (list: { eventData: any }[]) => new Set(list.map((e) => e.eventData.task_sid).filter(Boolean));

      assert.deepEqual(taskSids(await s.w.events.list()), new Set([late.sid]), 'by default, only the last 15 minutes');
      assert.deepEqual(taskSids(await s.w.events.list({ minutes: 21 })), new Set([early.sid, late.sid]));
      assert.deepEqual(taskSids(await s.w.events.list({ minutes: 19 })), new Set([late.sid]));
      assert.deepEqual(taskSids(await s.w.events.list({ startDate: new Date(earlyAt) })), new Set([early.sid, late.sid]));
      assert.deepEqual(taskSids(await s.w.events.list({ startDate: new Date(earlyAt + 1000) })), new Set([late.sid]));
      assert.deepEqual(taskSids(await s.w.events.list({ endDate: new Date(earlyAt) })), new Set([early.sid]), 'EndDate includes its own second');
      assert.deepEqual(taskSids(await s.w.events.list({ startDate: new Date(earlyAt), endDate: new Date(lateAt - MINUTE) })), new Set([early.sid]));
      assert.deepEqual(taskSids(await s.w.events.list({ startDate: new Date(lateAt + 1000) })), new Set());

      // Raw query strings: a date alone, an offset, and nonsense.
      const day = new Date(earlyAt).toISOString().slice(0, 10);
      const raw = await t.http('GET', `/taskrouter/v1/Workspaces/${s.ws.sid}/Events?StartDate=${day}&PageSize=1000`);
      assert.equal(raw.status, 200);
      assert.ok(raw.body.events.length >= 8);
      const offset = new Date(earlyAt + 3600_000).toISOString().replace('.000Z', '+01:00');
      const withZone = await t.http('GET', `/taskrouter/v1/Workspaces/${s.ws.sid}/Events?EndDate=${encodeURIComponent(offset)}&EventType=task.created`);
      assert.deepEqual(withZone.body.events.map((e: any) => e.event_data.task_sid), [early.sid]);
      for (const bad of ['StartDate=yesterday', 'EndDate=2026-13-45T00:00:00Z', 'Minutes=0', 'Minutes=abc', 'TaskSid=WK123', 'Sid=nope', 'WorkerSid=WT' + '0'.repeat(32)]) {
        const r = await t.http('GET', `/taskrouter/v1/Workspaces/${s.ws.sid}/Events?${bad}`);
        assert.equal(r.status, 400, bad);
        assert.equal(r.body.code, 20001, bad);
      }
    });

    test('paging walks the whole log without loss or repeats', async () => {
      const s = await setup();
      await fullLife(s);
      await fullLife(s);
      const all = await s.w.events.list();
      const paged = await s.w.events.list({ pageSize: 3 });
      assert.ok(all.length > 10);
      assert.deepEqual(paged.map((e) => e.sid), all.map((e) => e.sid));
      const first = await s.w.events.page({ pageSize: 3 });
      assert.equal(first.instances.length, 3);
      assert.ok(first.nextPageUrl);
    });

    test('events older than 30 days are not shown, and the sweep removes them', async () => {
      const s = await setup();
      const { task } = await fullLife(s);
      const [old] = await s.w.events.list({ taskSid: task.sid, eventType: 'task.created' });
      t.clock.advance(30 * DAY - 10 * MINUTE);
      const fresh = await s.w.tasks.create({ workflowSid: s.workflow.sid, taskChannel: 'sms' });
      assert.equal((await s.w.events.list({ taskSid: task.sid, minutes: 43_200 })).length, 8, 'still within 30 days');
      t.clock.advance(10 * MINUTE + 1);
      assert.equal((await s.w.events.list({ taskSid: task.sid, minutes: 100_000 })).length, 0);
      assert.equal((await s.w.events.list({ taskSid: task.sid, startDate: new Date(0) })).length, 0);
      await assert.rejects(s.w.events(old.sid).fetch(), (e: { status: number }) => e.status === 404);
      assert.ok((await s.w.events.list({ taskSid: fresh.sid })).length > 0, 'recent events stay');

      const count = async () => Number((await t.server.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE task_sid = ?', [task.sid]))!.n);
      assert.equal(await count(), 8, 'hidden but not yet removed');
      const removed = await t.server.deliveries.sweep();
      assert.ok(removed >= 8);
      assert.equal(await count(), 0);
      assert.ok((await s.w.events.list({ taskSid: fresh.sid })).length > 0, 'the sweep keeps recent events');
    });

    test('another account, an unknown workspace or event: 404', async () => {
      const s = await setup();
      const [e] = await s.w.events.list();
      const other = await t.newAccount();
      await assert.rejects(other.client.taskrouter.v1.workspaces(s.ws.sid).events.list(), (err: { status: number }) => err.status === 404);
      await assert.rejects(other.client.taskrouter.v1.workspaces(s.ws.sid).events(e.sid).fetch(), (err: { status: number }) => err.status === 404);
      await assert.rejects(s.w.events('EV' + '0'.repeat(32)).fetch(), (err: { status: number }) => err.status === 404);
      const r = await t.http('GET', `/taskrouter/v1/Workspaces/WS${'0'.repeat(32)}/Events`);
      assert.equal(r.status, 404);
      assert.equal(r.body.code, 20404);
      const post = await t.http('POST', `/taskrouter/v1/Workspaces/${s.ws.sid}/Events`, { body: '' });
      assert.equal(post.status, 405);
    });
  });
}
