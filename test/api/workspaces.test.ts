import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';

for (const backend of backends()) {
  describe(`workspaces (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    test('create gives the default activities and task channels Twilio creates', async () => {
      const tr = t.client.taskrouter.v1;
      const ws = await tr.workspaces.create({ friendlyName: 'Support', eventCallbackUrl: 'https://example.com/events', eventsFilter: 'task.created,task.canceled' });
      assert.match(ws.sid, /^WS[0-9a-f]{32}$/);
      assert.equal(ws.friendlyName, 'Support');
      assert.equal(ws.multiTaskEnabled, true);
      assert.equal(ws.prioritizeQueueOrder, 'FIFO');
      assert.equal(ws.eventCallbackUrl, 'https://example.com/events');
      assert.equal(ws.eventsFilter, 'task.created,task.canceled');
      assert.equal(ws.defaultActivityName, 'Offline');
      assert.equal(ws.timeoutActivityName, 'Offline');
      assert.equal(ws.url, `${t.baseUrl}/taskrouter/v1/Workspaces/${ws.sid}`);
      const activities = await tr.workspaces(ws.sid).activities.list();
      assert.deepEqual(
        activities.map((a) => [a.friendlyName, a.available]).sort(),
        [['Available', true], ['Offline', false], ['Unavailable', false]],
      );
      const channels = await tr.workspaces(ws.sid).taskChannels.list();
      assert.deepEqual(channels.map((c) => c.uniqueName).sort(), ['chat', 'default', 'sms', 'video', 'voice']);
      assert.equal((await tr.workspaces(ws.sid).taskQueues.list()).length, 0);
    });

    test('Template=FIFO adds a queue for everyone and a workflow routing to it', async () => {
      const tr = t.client.taskrouter.v1;
      const ws = await tr.workspaces.create({ friendlyName: 'Fifo', template: 'FIFO' });
      const [queue] = await tr.workspaces(ws.sid).taskQueues.list();
      assert.equal(queue.targetWorkers, '1==1');
      const [workflow] = await tr.workspaces(ws.sid).workflows.list();
      assert.equal(JSON.parse(workflow.configuration).task_routing.default_filter.queue, queue.sid);
    });

    test('fetch, update, list with FriendlyName, delete', async () => {
      const tr = t.client.taskrouter.v1;
      const ws = await tr.workspaces.create({ friendlyName: 'Billing', multiTaskEnabled: false, prioritizeQueueOrder: 'LIFO' });
      assert.equal(ws.multiTaskEnabled, false);
      assert.equal(ws.prioritizeQueueOrder, 'LIFO');
      const fetched = await tr.workspaces(ws.sid).fetch();
      assert.equal(fetched.friendlyName, 'Billing');
      const available = (await tr.workspaces(ws.sid).activities.list({ friendlyName: 'Available' }))[0];
      const updated = await tr.workspaces(ws.sid).update({
        friendlyName: 'Billing 2',
        defaultActivitySid: available.sid,
        timeoutActivitySid: available.sid,
        multiTaskEnabled: true,
        eventCallbackUrl: 'https://example.com/cb',
      });
      assert.equal(updated.friendlyName, 'Billing 2');
      assert.equal(updated.defaultActivityName, 'Available');
      assert.equal(updated.timeoutActivitySid, available.sid);
      assert.equal(updated.multiTaskEnabled, true);
      const listed = await tr.workspaces.list({ friendlyName: 'Billing 2' });
      assert.deepEqual(listed.map((w) => w.sid), [ws.sid]);
      assert.equal(await tr.workspaces(ws.sid).remove(), true);
      await assert.rejects(tr.workspaces(ws.sid).fetch(), { status: 404, code: 20404 });
    });

    test('deleting a workspace removes everything in it', async () => {
      const tr = t.client.taskrouter.v1;
      const ws = await tr.workspaces.create({ friendlyName: 'Doomed', template: 'FIFO' });
      await tr.workspaces(ws.sid).workers.create({ friendlyName: 'alice' });
      await tr.workspaces(ws.sid).remove();
      for (const table of ['activities', 'task_channels', 'task_queues', 'workflows', 'workers', 'worker_channels']) {
        const row = await t.server.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE workspace_sid = ?`, [ws.sid]);
        assert.equal(Number(row?.n), 0, table);
      }
    });

    test('URLs follow the Host a request came by', async () => {
      const res = await t.http('GET', '/v1/Workspaces?PageSize=1', { headers: { host: 'taskrouter.ashburn.us1.twilio.com' } });
      assert.equal(res.status, 200);
      assert.equal(res.body.meta.url, 'https://taskrouter.ashburn.us1.twilio.com/v1/Workspaces?PageSize=1&Page=0');
      const proxied = await t.http('GET', '/taskrouter/v1/Workspaces?PageSize=1', { headers: { 'x-forwarded-proto': 'https', host: 'sy.example.org' } });
      assert.equal(proxied.body.meta.first_page_url, 'https://sy.example.org/taskrouter/v1/Workspaces?PageSize=1&Page=0');
    });
  });
}
