/**
 * Token roles through the official SDK, unmodified: `new Workspace(adminToken)` reads the
 * workspace's queues, workers and tasks (filters, ordering, paging, 400 / 404 as over REST);
 * `new Supervisor(token)` sets another worker's activity and attributes; a worker token does
 * neither, and no token renames a worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { makeWorkspace } from './routing-helpers.ts';
import WebSocket from 'ws';
import { connectWorker, EB_PATH, envelope, release, roleToken, sdkOptions, Supervisor, Workspace, type SdkWorker } from './event-bridge-support.ts';

const OPTS = { logLevel: 'silent' } as const;
/** The SDK rejects with "Request failed with status code N. <message>". */
const status = (n: number) => new RegExp(`status code ${n}\\b`);

for (const backend of backends()) {
  describe(`event bridge: token roles through the official SDK (${backend.name})`, () => {
    let t: TestServer;
    const sdkWorkers: SdkWorker[] = [];
    before(async () => {
      t = await startServer(backend);
      t.clock.set(Date.now());
    });
    after(async () => {
      for (const w of sdkWorkers) release(w);
      await t.close();
    });

    /** Two queues (support takes only workers with the skill), alice (support) and bob, both offline. */
    async function setup() {
      const f = await makeWorkspace(t);
      const sales = await f.queue('sales');
      t.clock.advance(1000);
      const support = await f.queue('support', 'skills HAS "support"');
      const alice = await f.worker('alice', { skills: ['support'], contact_uri: 'client:alice' }, { activitySid: f.act.offline });
      const bob = await f.worker('bob', { contact_uri: 'client:bob' }, { activitySid: f.act.offline });
      const workspace = (token = roleToken(t, f.wsSid, undefined, 'admin'), options = {}) =>
        new Workspace(token, { ...sdkOptions(t.baseUrl), ...OPTS, ...options } as never);
      return { f, sales, support, alice, bob, workspace };
    }

    test('new Workspace(adminToken).fetchTaskQueues: FriendlyName, WorkerSid, AfterSid, Ordering with paging; fetchTaskQueue; 400 and 404', async () => {
      const { f, sales, support, bob, workspace } = await setup();
      const ws = workspace();
      assert.deepEqual([...(await ws.fetchTaskQueues()).keys()], [sales.sid, support.sid]);
      const named = await ws.fetchTaskQueues({ FriendlyName: 'sales' });
      assert.deepEqual([...named.keys()], [sales.sid]);
      assert.equal(named.get(sales.sid)!.name, 'sales');
      assert.equal((await ws.fetchTaskQueues({ FriendlyName: 'nobody' })).size, 0);
      assert.deepEqual([...(await ws.fetchTaskQueues({ WorkerSid: bob.sid })).keys()], [sales.sid], 'bob has no support skill');
      assert.deepEqual([...(await ws.fetchTaskQueues({ AfterSid: sales.sid })).keys()], [support.sid]);
      await assert.rejects(ws.fetchTaskQueues({ AfterSid: 'WK0000000000000000000000000000000000' }), status(400));

      // sales is updated last: DateUpdated orders it after support, across pages of one.
      t.clock.advance(5000);
      await f.w.taskQueues(sales.sid).update({ targetWorkers: '1 == 1' });
      const paged = workspace(undefined, { pageSize: 1 });
      assert.deepEqual([...(await paged.fetchTaskQueues({ Ordering: 'DateUpdated:asc' })).keys()], [support.sid, sales.sid]);
      assert.deepEqual([...(await paged.fetchTaskQueues({ Ordering: 'DateUpdated:desc' })).keys()], [sales.sid, support.sid]);
      assert.equal((await paged.fetchTaskQueues()).size, 2);
      await assert.rejects(ws.fetchTaskQueues({ Ordering: 'Nonsense:asc' } as never), status(400));

      const one = await ws.fetchTaskQueue(support.sid);
      assert.equal(one.sid, support.sid);
      assert.equal(one.targetWorkers, 'skills HAS "support"');
      await assert.rejects(ws.fetchTaskQueue('WQ0000000000000000000000000000000000'), status(404));
      await assert.rejects(ws.fetchTaskQueue('WQ' + '0'.repeat(32)), status(404));
    });

    test('fetchWorkers: FriendlyName, ActivitySid, ActivityName, TargetWorkersExpression, AfterSid, MaxWorkers, Ordering with paging; fetchWorker; 400 and 404', async () => {
      const { f, alice, bob, workspace } = await setup();
      const ws = workspace();
      assert.deepEqual([...(await ws.fetchWorkers()).keys()], [alice.sid, bob.sid]);
      const byName = await ws.fetchWorkers({ FriendlyName: 'bob' });
      assert.deepEqual([...byName.keys()], [bob.sid]);
      assert.equal(byName.get(bob.sid)!.friendlyName, 'bob');
      assert.equal((await ws.fetchWorkers({ FriendlyName: 'carol' })).size, 0);
      assert.equal((await ws.fetchWorkers({ ActivitySid: f.act.offline })).size, 2);
      assert.equal((await ws.fetchWorkers({ ActivityName: 'Offline' })).size, 2);
      assert.equal((await ws.fetchWorkers({ ActivityName: 'Busy' })).size, 0);
      await assert.rejects(ws.fetchWorkers({ ActivitySid: 'WAxxx' }), status(400));
      assert.deepEqual([...(await ws.fetchWorkers({ TargetWorkersExpression: 'skills HAS "support"' })).keys()], [alice.sid]);
      assert.deepEqual([...(await ws.fetchWorkers({ AfterSid: alice.sid })).keys()], [bob.sid]);
      await assert.rejects(ws.fetchWorkers({ AfterSid: 'WK0000000000000000000000000000000000' }), status(400));
      assert.equal((await workspace(undefined, { pageSize: 2 }).fetchWorkers({ MaxWorkers: 1 })).size, 1);

      // alice's status changes last: DateStatusChanged orders her after bob, across pages of one.
      t.clock.advance(5000);
      await f.w.workers(alice.sid).update({ activitySid: f.act.unavailable });
      const paged = workspace(undefined, { pageSize: 1 });
      assert.deepEqual([...(await paged.fetchWorkers({ Ordering: 'DateStatusChanged:asc' })).keys()], [bob.sid, alice.sid]);
      assert.deepEqual([...(await paged.fetchWorkers({ Ordering: 'DateStatusChanged:desc' })).keys()], [alice.sid, bob.sid]);
      assert.equal((await paged.fetchWorkers()).size, 2);

      const fetched = await ws.fetchWorker(bob.sid);
      assert.equal(fetched.sid, bob.sid);
      assert.equal((fetched as unknown as { activityName: string }).activityName, 'Offline');
      await assert.rejects(ws.fetchWorker('WQ0000000000000000000000000000000000'), status(404));
      await assert.rejects(ws.fetchWorker('WK' + '0'.repeat(32)), status(404));
    });

    test('fetchTask: any task of the workspace for an admin token; 404 for none', async () => {
      const { f, sales, workspace } = await setup();
      const task = await f.task({ taskQueueSid: sales.sid, attributes: '{"customer":"ada"}' });
      const fetched = await workspace().fetchTask(task.sid);
      assert.equal(fetched.sid, task.sid);
      assert.deepEqual(fetched.attributes, { customer: 'ada' });
      assert.equal(fetched.status, 'pending');
      await assert.rejects(workspace().fetchTask('WT0000000000000000000000000000000000'), status(404));
    });

    test('a worker token reads no Workspace list nor another worker (403); an admin token without a worker opens no socket (401)', async () => {
      const { f, alice, bob, workspace } = await setup();
      const ws = workspace(roleToken(t, f.wsSid, alice.sid, 'worker'));
      await assert.rejects(ws.fetchWorkers(), status(403));
      await assert.rejects(ws.fetchTaskQueues(), status(403));
      await assert.rejects(ws.fetchWorker(bob.sid), status(403));
      assert.equal((await ws.fetchWorker(alice.sid)).sid, alice.sid, 'its own worker it may read');
      const admin = roleToken(t, f.wsSid, undefined, 'admin');
      const refusal = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${t.baseUrl.replace('http', 'ws')}${EB_PATH}?token=${admin}`);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => reject(new Error('an admin token without a worker opened a socket')));
        ws.on('error', () => undefined);
      });
      assert.equal(refusal, 401);
      const mine = await envelope(t, { url: `Workspaces/${f.wsSid}/Workers/${alice.sid}/Reservations`, method: 'GET', token: admin }, 'v2');
      assert.equal(mine.status, 403, 'an admin token acts for no worker: no worker routes');
      // A worker or supervisor token must name its worker.
      const res = await envelope(t, { url: `Workspaces/${f.wsSid}/Workers`, method: 'GET', token: roleToken(t, f.wsSid, undefined, 'supervisor') });
      assert.equal(res.status, 401);
    });

    test("a worker token sets its own attributes as the SDK does: its contact_uri left out (it is then known by its name) and put back, never another's", async () => {
      const { f, alice } = await setup();
      const { worker } = await connectWorker(t.baseUrl, roleToken(t, f.wsSid, alice.sid, 'worker'), { logLevel: 'silent' } as never);
      sdkWorkers.push(worker);
      const original = { ...worker.attributes };
      await worker.setAttributes({ languages: ['en'], name: 'Ms. Alice' });
      assert.deepEqual(JSON.parse((await f.w.workers(alice.sid).fetch()).attributes), { languages: ['en'], name: 'Ms. Alice' });
      await worker.setAttributes(original);
      assert.deepEqual(JSON.parse((await f.w.workers(alice.sid).fetch()).attributes), original);
      await assert.rejects(worker.setAttributes({ ...original, contact_uri: 'client:bob' }), status(403));
      // What an administrator gives with account credentials is what it may put back from then on.
      await f.w.workers(alice.sid).update({ attributes: JSON.stringify({ contact_uri: 'client:alice.smith' }) });
      await worker.setAttributes({});
      await assert.rejects(worker.setAttributes({ contact_uri: 'client:ally' }), status(403));
      await worker.setAttributes({ contact_uri: 'client:alice.smith', skills: ['support'] });
      assert.equal(JSON.parse((await f.w.workers(alice.sid).fetch()).attributes).contact_uri, 'client:alice.smith');
    });

    test('Supervisor: setWorkerAttributes and setWorkerActivity on another worker, with REST validation (400, 404); no renaming; a worker token may not', async () => {
      const { f, alice, bob } = await setup();
      const supervisor = new Supervisor(roleToken(t, f.wsSid, alice.sid, 'supervisor'), { ...sdkOptions(t.baseUrl), ...OPTS } as never);
      sdkWorkers.push(supervisor as unknown as SdkWorker);
      await new Promise((resolve, reject) => {
        supervisor.once('ready', resolve);
        supervisor.once('error', reject);
      });

      const attrs = await supervisor.setWorkerAttributes(bob.sid, { languages: ['en'], name: 'Ms. Bob' });
      assert.deepEqual(JSON.parse((attrs as unknown as { attributes: string }).attributes), { languages: ['en'], name: 'Ms. Bob' });
      assert.deepEqual(JSON.parse((await f.w.workers(bob.sid).fetch()).attributes), { languages: ['en'], name: 'Ms. Bob' });
      // Leaving contact_uri out is fine (bob is known by his name); giving him another identity is not.
      await assert.rejects(supervisor.setWorkerAttributes(bob.sid, { contact_uri: 'client:alice' }), status(403));
      const moved = await supervisor.setWorkerActivity(bob.sid, f.act.available);
      assert.equal((moved as unknown as { activity_sid: string }).activity_sid, f.act.available);
      assert.equal((await f.w.workers(bob.sid).fetch()).activitySid, f.act.available);

      await assert.rejects(supervisor.setWorkerActivity(bob.sid, 'invalid_activitySid'), (e: Error) => {
        assert.match(e.message, status(400));
        assert.match(e.message, /invalid_activitySid/);
        return true;
      });
      await assert.rejects(supervisor.setWorkerActivity('invalid_workerSid', f.act.offline), status(404));
      await assert.rejects(supervisor.setWorkerActivity('WK' + '0'.repeat(32), f.act.offline), status(404));

      // Names stay with account credentials, whoever asks.
      const token = roleToken(t, f.wsSid, alice.sid, 'supervisor');
      const rename = await envelope(t, { url: `Workspaces/${f.wsSid}/Workers/${bob.sid}`, method: 'POST', params: { FriendlyName: 'robert' }, token });
      assert.equal(rename.status, 403);
      // A worker token is refused on another worker, and nothing changed.
      const worker = roleToken(t, f.wsSid, alice.sid, 'worker');
      const refused = await envelope(t, { url: `Workspaces/${f.wsSid}/Workers/${bob.sid}`, method: 'POST', params: { ActivitySid: f.act.offline }, token: worker });
      assert.equal(refused.status, 403);
      const now = await f.w.workers(bob.sid).fetch();
      assert.equal(now.friendlyName, 'bob');
      assert.equal(now.activitySid, f.act.available);
      // A supervisor keeps its own chat identity like any worker.
      const own = await envelope(t, { url: `Workspaces/${f.wsSid}/Workers/${alice.sid}`, method: 'POST', params: { Attributes: { contact_uri: 'client:bob' } }, token });
      assert.equal(own.status, 403);
    });
  });
}
