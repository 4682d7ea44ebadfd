import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { switchyardClient } from '../../src/client.ts';
import { createServer } from '../../src/server.ts';
import { EventDeliverer } from '../../src/taskrouter/engine/delivery.ts';
import { backends, startReceiver, startServer, type ReceivedRequest, type Receiver, type TestServer } from '../support/server.ts';

for (const backend of backends()) {
  describe(`event callbacks (${backend.name})`, () => {
    let t: TestServer;
    const receivers: Receiver[] = [];
    before(async () => {
      t = await startServer(backend, { callbacks: { eventMaxAttempts: 3, eventTimeoutMs: 300 } });
    });
    after(async () => {
      for (const r of receivers) await r.close();
      await t.close();
    });

    async function receiver(answer?: Receiver['answer']) {
      const r = await startReceiver(answer);
      receivers.push(r);
      return r;
    }

    async function setup(callbackUrl: string | undefined, eventsFilter?: string) {
      const tr = t.client.taskrouter.v1;
      const ws = await tr.workspaces.create({ friendlyName: `Callbacks ${Math.random()}`, eventCallbackUrl: callbackUrl, eventsFilter });
      const w = tr.workspaces(ws.sid);
      const [available] = await w.activities.list({ friendlyName: 'Available' });
      const queue = await w.taskQueues.create({ friendlyName: 'Everyone', targetWorkers: '1 == 1' });
      const workflow = await w.workflows.create({
        friendlyName: 'All',
        configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }),
      });
      const worker = await w.workers.create({ friendlyName: 'alice', activitySid: available.sid });
      return { ws, w, queue, workflow, worker };
    }

    async function life(s: Awaited<ReturnType<typeof setup>>) {
      const task = await s.w.tasks.create({ workflowSid: s.workflow.sid, attributes: JSON.stringify({ n: 1 }), taskChannel: 'default' });
      const [res] = await s.w.tasks(task.sid).reservations.list();
      await s.w.tasks(task.sid).reservations(res.sid).update({ reservationStatus: 'accepted' });
      await s.w.tasks(task.sid).update({ assignmentStatus: 'completed' });
      return task;
    }

    const valid = (r: ReceivedRequest) => twilio.validateRequest(t.account.authToken, String(r.headers['x-twilio-signature']), r.url, r.params);
    /** The workspace's whole log, oldest first. */
    const log = async (s: { w: Awaited<ReturnType<typeof setup>>['w'] }) => (await s.w.events.list({ minutes: 60 })).reverse();

    test('every event is POSTed once, in order, form-encoded and signed with the auth token', async () => {
      const r = await receiver();
      const s = await setup(`${r.url}/twilio/events?tenant=a%20b&x=1`);
      await life(s);
      assert.equal(r.requests.length, 0, 'nothing is sent before flush under the manual clock');
      await t.server.deliveries.flush();
      const events = await log(s);
      assert.ok(events.length >= 9, `${events.length} events`);
      assert.deepEqual(r.requests.map((q) => q.params.Sid), events.map((e) => e.sid), 'the log, in order, once each');
      for (const q of r.requests) {
        assert.equal(q.method, 'POST');
        assert.match(String(q.headers['content-type']), /^application\/x-www-form-urlencoded/);
        assert.ok(valid(q), `valid X-Twilio-Signature for ${q.params.EventType}`);
        assert.equal(q.url, `${r.url}/twilio/events?tenant=a%20b&x=1`);
        assert.equal(q.headers['i-twilio-idempotency-token'], q.params.Sid);
      }
      const created = r.requests.find((q) => q.params.EventType === 'reservation.created')!.params;
      const e = events.find((x) => x.sid === created.Sid)!;
      assert.equal(created.AccountSid, t.account.accountSid);
      assert.equal(created.WorkspaceSid, s.ws.sid);
      assert.equal(created.WorkspaceName, s.ws.friendlyName);
      assert.equal(created.EventDescription, e.description);
      assert.equal(created.ResourceType, 'reservation');
      assert.equal(created.ResourceSid, e.resourceSid);
      assert.equal(created.Timestamp, String(Math.floor(e.eventDateMs / 1000)));
      assert.equal(created.TimestampMs, String(e.eventDateMs));
      assert.equal(created.WorkerSid, s.worker.sid);
      assert.equal(created.TaskQueueSid, s.queue.sid);
      assert.equal(created.TaskAttributes, JSON.stringify({ n: 1 }));
      assert.ok(!valid({ ...r.requests[0], params: { ...r.requests[0].params, EventType: 'forged' } }), 'a changed body fails validation');

      // Nothing is sent twice.
      assert.equal(await t.server.deliveries.flush(), 0);
      assert.equal(r.requests.length, events.length);
    });

    test('EventsFilter: only the listed types are sent, while the log keeps everything', async () => {
      const r = await receiver();
      const s = await setup(`${r.url}/filtered`, 'task.created,task.completed');
      await life(s);
      await life(s);
      await t.server.deliveries.flush();
      assert.deepEqual(r.requests.map((q) => q.params.EventType), ['task.created', 'task.completed', 'task.created', 'task.completed']);
      assert.ok(r.requests.every(valid));
      assert.ok((await log(s)).length > 4);
    });

    test('a receiver failing twice then succeeding gets every event exactly once, in order', async () => {
      let failures = 0;
      const r = await receiver(() => (failures++ < 2 ? { status: 500, body: 'oops', contentType: 'text/plain' } : { status: 204 }));
      const s = await setup(`${r.url}/flaky`);
      await life(s);
      const events = await log(s);

      await t.server.deliveries.flush();
      assert.equal(r.requests.length, 1, 'the first event failed; nothing behind it is sent');
      assert.equal(r.requests[0].params.Sid, events[0].sid);
      await t.server.deliveries.flush();
      assert.equal(r.requests.length, 1, 'not again before the backoff has passed');
      t.clock.advance(1_000);
      await t.server.deliveries.flush();
      assert.equal(r.requests.length, 2, 'second attempt after 1 s');
      assert.equal(r.requests[1].params.Sid, events[0].sid);
      t.clock.advance(1_999);
      await t.server.deliveries.flush();
      assert.equal(r.requests.length, 2, 'the wait doubles: 2 s');
      t.clock.advance(1);
      await t.server.deliveries.flush();
      const delivered = r.requests.slice(2);
      assert.deepEqual(delivered.map((q) => q.params.Sid), events.map((e) => e.sid), 'every event once, in order');
      assert.ok(r.requests.every(valid));
      assert.equal(Number((await t.server.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM deliveries WHERE workspace_sid = ?', [s.ws.sid]))!.n), 0);
    });

    test('an event that never gets through is given up after the last attempt, and the ones behind it go', async () => {
      let first: string | undefined;
      const r = await receiver((q) => {
        first ??= q.params.Sid;
        return q.params.Sid === first ? { status: 503 } : { status: 200, body: '{}' };
      });
      const s = await setup(`${r.url}/stuck`);
      await life(s);
      const events = await log(s);
      await t.server.deliveries.flush();
      t.clock.advance(1_000);
      await t.server.deliveries.flush();
      assert.equal(r.requests.length, 2);
      t.clock.advance(2_000);
      await t.server.deliveries.flush();
      assert.deepEqual(r.requests.slice(0, 3).map((q) => q.params.Sid), [first, first, first], 'three attempts (configured)');
      assert.deepEqual(r.requests.slice(3).map((q) => q.params.Sid), events.slice(1).map((e) => e.sid));
    });

    test('a refused connection and a receiver that does not answer in time are failures, retried later', async () => {
      const dead = await receiver();
      const deadUrl = `${dead.url}/gone`;
      await dead.close();
      receivers.splice(receivers.indexOf(dead), 1);
      const s1 = await setup(deadUrl);
      await s1.w.tasks.create({ workflowSid: s1.workflow.sid });

      const slow = await receiver(() => 'hang');
      const s2 = await setup(`${slow.url}/slow`);
      await s2.w.tasks.create({ workflowSid: s2.workflow.sid });

      const started = Date.now();
      await t.server.deliveries.flush();
      assert.ok(Date.now() - started < 5_000, 'the (configured) 300 ms timeout ended the wait');
      assert.equal(slow.requests.length, 1);
      const rows = await t.server.db.all<{ workspace_sid: string; attempts: number; next_attempt_at: number }>(
        'SELECT workspace_sid, attempts, next_attempt_at FROM deliveries WHERE workspace_sid IN (?, ?) ORDER BY seq',
        [s1.ws.sid, s2.ws.sid],
      );
      const heads = new Map<string, { attempts: number; next_attempt_at: number }>();
      for (const row of rows) if (!heads.has(row.workspace_sid)) heads.set(row.workspace_sid, row);
      for (const ws of [s1.ws.sid, s2.ws.sid]) {
        assert.equal(Number(heads.get(ws)!.attempts), 1, 'one failed attempt recorded');
        assert.equal(Number(heads.get(ws)!.next_attempt_at), t.clock.now() + 1_000);
      }
    });

    test('a slow workspace does not hold up another one', async () => {
      const slow = await receiver(() => ({ status: 500 }));
      const fine = await receiver();
      const a = await setup(`${slow.url}/a`);
      const b = await setup(`${fine.url}/b`);
      await life(a);
      await life(b);
      await t.server.deliveries.flush();
      assert.equal(slow.requests.length, 1);
      assert.deepEqual(fine.requests.map((q) => q.params.Sid), (await log(b)).map((e) => e.sid));
    });

    test('two deliverers sharing the database (two nodes) send each event once, in order', async () => {
      const r = await receiver();
      const s = await setup(`${r.url}/nodes`);
      for (let i = 0; i < 3; i++) await life(s);
      const other = new EventDeliverer(t.server.db, t.server.clock, { eventMaxAttempts: 3 });
      await Promise.all([t.server.deliveries.flush(), other.flush(), other.flush()]);
      await other.flush();
      assert.deepEqual(r.requests.map((q) => q.params.Sid), (await log(s)).map((e) => e.sid));
    });

    test('with the system clock, callbacks go out on their own after each commit', async () => {
      const store = await backend.create();
      const server = await createServer({ ...store.config });
      try {
        await server.app.listen({ port: 0, host: '127.0.0.1' });
        const address = server.app.server.address();
        const account = await server.accounts.create('auto');
        const client = switchyardClient(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, account.accountSid, account.authToken);
        const r = await receiver((q) => (q.url.endsWith('/assign') ? { status: 200, body: '{"instruction":"accept"}', contentType: 'application/json' } : { status: 204 }));
        const ws = await client.taskrouter.v1.workspaces.create({ friendlyName: 'auto', eventCallbackUrl: `${r.url}/events` });
        const w = client.taskrouter.v1.workspaces(ws.sid);
        const [available] = await w.activities.list({ friendlyName: 'Available' });
        const queue = await w.taskQueues.create({ friendlyName: 'Everyone', targetWorkers: '1 == 1' });
        const workflow = await w.workflows.create({
          friendlyName: 'All',
          assignmentCallbackUrl: `${r.url}/assign`,
          configuration: JSON.stringify({ task_routing: { default_filter: { queue: queue.sid } } }),
        });
        await w.workers.create({ friendlyName: 'alice', activitySid: available.sid });
        const task = await w.tasks.create({ workflowSid: workflow.sid });
        const seen: string[] = [];
        while (!seen.includes('reservation.accepted')) {
          const q = await r.next();
          assert.equal(twilio.validateRequest(account.authToken, String(q.headers['x-twilio-signature']), q.url, q.params), true);
          seen.push(q.params.EventType ?? 'assignment');
        }
        assert.ok(seen.includes('assignment') && seen.includes('reservation.created'));
        assert.equal((await w.tasks(task.sid).fetch()).assignmentStatus, 'assigned', 'accepted by the assignment callback');
      } finally {
        await server.close();
        await store.dispose();
      }
    });

    test('no EventCallbackUrl: nothing is queued', async () => {
      const s = await setup(undefined);
      await life(s);
      const n = await t.server.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM deliveries WHERE workspace_sid = ?', [s.ws.sid]);
      assert.equal(Number(n!.n), 0);
    });
  });
}
