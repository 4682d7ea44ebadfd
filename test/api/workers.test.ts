import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, conformanceChecks, startServer, type TestServer } from '../support/server.ts';

for (const backend of backends()) {
  describe(`workers and worker channels (${backend.name})`, () => {
    let t: TestServer;
    let ws: string;
    before(async () => {
      t = await startServer(backend);
      ws = (await t.client.taskrouter.v1.workspaces.create({ friendlyName: 'W' })).sid;
    });
    after(() => t.close());

    test('create takes the default activity and gets a channel per task channel', async () => {
      const tr = t.client.taskrouter.v1.workspaces(ws);
      const w = await tr.workers.create({ friendlyName: 'Alice', attributes: JSON.stringify({ skills: ['sms'], level: 3 }) });
      assert.match(w.sid, /^WK[0-9a-f]{32}$/);
      assert.equal(w.activityName, 'Offline');
      assert.equal(w.available, false);
      assert.equal(w.attributes, JSON.stringify({ skills: ['sms'], level: 3 }));
      const bare = await tr.workers.create({ friendlyName: 'Bare' });
      assert.equal(bare.attributes, '{}');
      const channels = await tr.workers(w.sid).workerChannels.list();
      assert.deepEqual(channels.map((c) => c.taskChannelUniqueName).sort(), ['chat', 'default', 'sms', 'video', 'voice']);
      for (const c of channels) {
        assert.equal(c.configuredCapacity, 1);
        assert.equal(c.available, true);
        assert.equal(c.assignedTasks, 0);
        assert.equal(c.availableCapacityPercentage, 100);
      }
    });

    test('activity changes move available and date_status_changed; friendly names are unique ignoring case', async () => {
      const tr = t.client.taskrouter.v1.workspaces(ws);
      const [avail] = await tr.activities.list({ friendlyName: 'Available' });
      const w = await tr.workers.create({ friendlyName: 'Bob' });
      t.clock.advance(5000);
      const moved = await tr.workers(w.sid).update({ activitySid: avail.sid });
      assert.equal(moved.available, true);
      assert.equal(moved.activityName, 'Available');
      assert.equal(moved.dateStatusChanged.getTime() - w.dateStatusChanged.getTime(), 5000);
      t.clock.advance(5000);
      const renamed = await tr.workers(w.sid).update({ attributes: '{"a":1}' });
      assert.equal(renamed.dateStatusChanged.getTime(), moved.dateStatusChanged.getTime(), 'status date moves only with the activity');
      await assert.rejects(tr.workers.create({ friendlyName: 'BOB' }), { status: 400, code: 20001 });
      await assert.rejects(tr.workers(w.sid).update({ friendlyName: 'alice' }), { status: 400, code: 20001 });
    });

    test('ETag and If-Match guard updates and deletes', async () => {
      const tr = t.client.taskrouter.v1.workspaces(ws);
      const w = await tr.workers.create({ friendlyName: 'Etag' });
      const first = await t.http('GET', `/taskrouter/v1/Workspaces/${ws}/Workers/${w.sid}`);
      const etag = first.headers.get('etag');
      assert.equal(etag, '0');
      const updated = await tr.workers(w.sid).update({ attributes: '{"v":1}', ifMatch: etag! });
      assert.equal(updated.attributes, '{"v":1}');
      await assert.rejects(tr.workers(w.sid).update({ attributes: '{"v":2}', ifMatch: etag! }), { status: 412, code: 20412 });
      assert.equal((await tr.workers(w.sid).fetch()).attributes, '{"v":1}', 'a failed precondition changes nothing');
      await assert.rejects(tr.workers(w.sid).remove({ ifMatch: etag! }), { status: 412, code: 20412 });
      const second = await t.http('GET', `/taskrouter/v1/Workspaces/${ws}/Workers/${w.sid}`);
      assert.equal(second.headers.get('etag'), '1');
      assert.equal(await tr.workers(w.sid).remove({ ifMatch: '1' }), true);
      await assert.rejects(tr.workers(w.sid).fetch(), { status: 404, code: 20404 });
    });

    test('120 workers come back over three pages of 50', async () => {
      const other = (await t.client.taskrouter.v1.workspaces.create({ friendlyName: 'Big' })).sid;
      const tr = t.client.taskrouter.v1.workspaces(other);
      for (let i = 0; i < 120; i += 20)
        await Promise.all(Array.from({ length: 20 }, (_, j) => tr.workers.create({ friendlyName: `agent-${String(i + j).padStart(3, '0')}` })));
      const page1 = await tr.workers.page({ pageSize: 50 });
      assert.equal(page1.instances.length, 50);
      const page2 = await page1.nextPage();
      assert.ok(page2);
      assert.equal(page2.instances.length, 50);
      const page3 = await page2.nextPage();
      assert.ok(page3);
      assert.equal(page3.instances.length, 20);
      assert.equal(await page3.nextPage(), undefined);
      const back = await page3.previousPage();
      assert.deepEqual(back?.instances.map((w) => w.sid), page2.instances.map((w) => w.sid));
      const sids = [...page1.instances, ...page2.instances, ...page3.instances].map((w) => w.sid);
      assert.equal(new Set(sids).size, 120, 'no worker twice, none missing');
      const all = await tr.workers.list({ pageSize: 50 });
      assert.equal(all.length, 120);
    });

    test('list filters: ActivityName, ActivitySid, Available, FriendlyName, TargetWorkersExpression, TaskQueue, Ordering', async () => {
      const wsSid = (await t.client.taskrouter.v1.workspaces.create({ friendlyName: 'Filters' })).sid;
      const tr = t.client.taskrouter.v1.workspaces(wsSid);
      const [avail] = await tr.activities.list({ friendlyName: 'Available' });
      const es = await tr.workers.create({ friendlyName: 'Eva', activitySid: avail.sid, attributes: JSON.stringify({ languages: ['es', 'en'], level: 4 }) });
      t.clock.advance(1000);
      const en = await tr.workers.create({ friendlyName: 'Ed', attributes: JSON.stringify({ languages: ['en'], level: 1 }) });
      const spanish = await tr.taskQueues.create({ friendlyName: 'Spanish', targetWorkers: "languages HAS 'es'" });
      const sids = (ws: { sid: string }[]) => ws.map((w) => w.sid).sort();
      assert.deepEqual(sids(await tr.workers.list({ activityName: 'Available' })), [es.sid]);
      assert.deepEqual(sids(await tr.workers.list({ activitySid: avail.sid })), [es.sid]);
      assert.deepEqual(sids(await tr.workers.list({ available: 'true' })), [es.sid]);
      assert.deepEqual(sids(await tr.workers.list({ available: 'false' })), [en.sid]);
      assert.deepEqual(sids(await tr.workers.list({ friendlyName: 'ed' })), [en.sid]);
      assert.deepEqual(sids(await tr.workers.list({ targetWorkersExpression: 'level >= 2' })), [es.sid]);
      assert.deepEqual(sids(await tr.workers.list({ targetWorkersExpression: "languages HAS 'en'" })), sids([es, en]));
      assert.deepEqual(sids(await tr.workers.list({ taskQueueSid: spanish.sid })), [es.sid]);
      assert.deepEqual(sids(await tr.workers.list({ taskQueueName: 'Spanish' })), [es.sid]);
      const newestFirst = await tr.workers.list({ ordering: 'DateCreated:desc' });
      assert.deepEqual(newestFirst.map((w) => w.sid), [en.sid, es.sid]);
      await assert.rejects(tr.workers.list({ targetWorkersExpression: 'level >>> 2' }), { status: 400, code: 20001 });
    });

    test('worker channels: fetch by WC SID, TC SID or unique name; update capacity and availability', async () => {
      const tr = t.client.taskrouter.v1.workspaces(ws);
      const w = await tr.workers.create({ friendlyName: 'Chan' });
      const sms = await tr.workers(w.sid).workerChannels('sms').fetch();
      assert.match(sms.sid, /^WC[0-9a-f]{32}$/);
      assert.equal((await tr.workers(w.sid).workerChannels(sms.sid).fetch()).taskChannelUniqueName, 'sms');
      assert.equal((await tr.workers(w.sid).workerChannels(sms.taskChannelSid).fetch()).sid, sms.sid);
      const updated = await tr.workers(w.sid).workerChannels('sms').update({ capacity: 5, available: false });
      assert.equal(updated.configuredCapacity, 5);
      assert.equal(updated.available, false);
      const zero = await tr.workers(w.sid).workerChannels('chat').update({ capacity: 0 });
      assert.equal(zero.availableCapacityPercentage, 0);
      await assert.rejects(tr.workers(w.sid).workerChannels('sms').update({ capacity: 51 }), { status: 400, code: 20001 });
      await assert.rejects(tr.workers(w.sid).workerChannels('nope').fetch(), { status: 404, code: 20404 });
      assert.ok(conformanceChecks.count > 50, 'responses were checked against the spec facts');
    });
  });
}
