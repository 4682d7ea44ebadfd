import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';

for (const backend of backends()) {
  describe(`activities and task channels (${backend.name})`, () => {
    let t: TestServer;
    let ws: string;
    before(async () => {
      t = await startServer(backend);
      ws = (await t.client.taskrouter.v1.workspaces.create({ friendlyName: 'AC' })).sid;
    });
    after(() => t.close());

    test('activities: create, fetch, update, list with filters, delete', async () => {
      const acts = t.client.taskrouter.v1.workspaces(ws).activities;
      const lunch = await acts.create({ friendlyName: 'Lunch' });
      assert.equal(lunch.available, false, 'Available defaults to false');
      const busy = await acts.create({ friendlyName: 'Ready for VIPs', available: true });
      assert.equal(busy.available, true);
      assert.equal((await acts(lunch.sid).fetch()).friendlyName, 'Lunch');
      const renamed = await acts(lunch.sid).update({ friendlyName: 'Break' });
      assert.equal(renamed.friendlyName, 'Break');
      assert.equal(renamed.available, false);
      assert.deepEqual((await acts.list({ friendlyName: 'break' })).map((a) => a.sid), [lunch.sid]);
      const available = await acts.list({ available: 'true' });
      assert.deepEqual(available.map((a) => a.friendlyName).sort(), ['Available', 'Ready for VIPs']);
      assert.equal((await acts.list({ available: 'false' })).length, 3);
      assert.equal(await acts(lunch.sid).remove(), true);
      await assert.rejects(acts(lunch.sid).fetch(), { status: 404, code: 20404 });
    });

    test('an activity in use cannot be deleted, and stays', async () => {
      const tr = t.client.taskrouter.v1.workspaces(ws);
      const away = await tr.activities.create({ friendlyName: 'Away' });
      const worker = await tr.workers.create({ friendlyName: 'bob', activitySid: away.sid });
      await assert.rejects(tr.activities(away.sid).remove(), { status: 400, code: 20001 });
      assert.equal((await tr.activities(away.sid).fetch()).sid, away.sid);
      const queue = await tr.taskQueues.create({ friendlyName: 'Q-away', reservationActivitySid: away.sid });
      await tr.workers(worker.sid).remove();
      await assert.rejects(tr.activities(away.sid).remove(), { status: 400, code: 20001 });
      await tr.taskQueues(queue.sid).remove();
      assert.equal(await tr.activities(away.sid).remove(), true);
      const wsRow = await t.client.taskrouter.v1.workspaces(ws).fetch();
      await assert.rejects(tr.activities(wsRow.defaultActivitySid).remove(), { status: 400, code: 20001 });
    });

    test('task channels: create, fetch by SID or unique name, update, list, delete', async () => {
      const chans = t.client.taskrouter.v1.workspaces(ws).taskChannels;
      const email = await chans.create({ friendlyName: 'E-mail', uniqueName: 'email', channelOptimizedRouting: true });
      assert.equal(email.uniqueName, 'email');
      assert.equal(email.channelOptimizedRouting, true);
      assert.equal((await chans('email').fetch()).sid, email.sid);
      assert.equal((await chans(email.sid).fetch()).uniqueName, 'email');
      const updated = await chans('email').update({ friendlyName: 'Email', channelOptimizedRouting: false });
      assert.equal(updated.friendlyName, 'Email');
      assert.equal(updated.channelOptimizedRouting, false);
      assert.equal((await chans.list()).length, 6);
      await assert.rejects(chans.create({ friendlyName: 'dup', uniqueName: 'email' }), { status: 400, code: 20001 });
      assert.equal(await chans('email').remove(), true);
      await assert.rejects(chans(email.sid).fetch(), { status: 404, code: 20404 });
      await assert.rejects(chans('default').remove(), { status: 400, code: 20001 });
    });

    test('a new task channel gives every existing worker a channel of that kind', async () => {
      const tr = t.client.taskrouter.v1.workspaces(ws);
      const worker = await tr.workers.create({ friendlyName: 'carol' });
      await tr.taskChannels.create({ friendlyName: 'Fax', uniqueName: 'fax' });
      const fax = await tr.workers(worker.sid).workerChannels('fax').fetch();
      assert.equal(fax.taskChannelUniqueName, 'fax');
      assert.equal(fax.configuredCapacity, 1);
      await tr.taskChannels('fax').remove();
      await assert.rejects(tr.workers(worker.sid).workerChannels('fax').fetch(), { status: 404, code: 20404 });
    });
  });
}
