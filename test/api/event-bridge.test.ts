/**
 * The event bridge, driven by Twilio's official worker SDK (twilio-taskrouter 2.x) unmodified:
 * connecting, the REST calls it tunnels through the POST envelope, and the events pushed to it,
 * including those caused by changes made through the public REST API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { makeWorkspace, type Fixture } from './routing-helpers.ts';
import { connectWorker, nextEvent, release, workerToken, type SdkReservation, type SdkWorker } from './event-bridge-support.ts';

for (const backend of backends()) {
  describe(`event bridge: the official worker SDK (${backend.name})`, () => {
    let t: TestServer;
    const workers: SdkWorker[] = [];
    before(async () => {
      t = await startServer(backend);
      // Tokens are minted with the real time; the server's clock starts there too.
      t.clock.set(Date.now());
    });
    after(async () => {
      for (const w of workers) release(w);
      await t.close();
    });

    /** A workspace with one queue for everyone and a workflow into it, and a worker offline. */
    async function setup(attributes: Record<string, unknown> = { skills: ['sms'] }) {
      const f = await makeWorkspace(t);
      const queue = await f.queue('everyone');
      const workflow = await f.workflow({ default_filter: { queue: queue.sid } });
      const alice = await f.worker('alice', attributes, { activitySid: f.act.offline });
      return { f, queue, workflow, alice };
    }

    async function connect(f: Fixture, workerSid: string, options = {}) {
      const c = await connectWorker(t.baseUrl, workerToken(t, f.wsSid, workerSid), options);
      workers.push(c.worker);
      return c.worker;
    }

    /** Makes the worker available through the SDK and waits for the push that confirms it. */
    async function goAvailable(worker: SdkWorker, f: Fixture) {
      const pushed = nextEvent(worker, 'activityUpdated');
      await worker.activities.get(f.act.available)!.setAsCurrent();
      await pushed;
    }

    test('ready: the SDK initialises from the server: worker, activities, channels', async () => {
      const { f, alice } = await setup({ skills: ['sms'], contact_uri: 'client:alice' });
      const worker = await connect(f, alice.sid);
      assert.equal(worker.sid, alice.sid);
      assert.equal(worker.workspaceSid, f.wsSid);
      assert.equal(worker.accountSid, t.account.accountSid);
      assert.equal(worker.friendlyName, 'alice');
      assert.deepEqual(worker.attributes, { skills: ['sms'], contact_uri: 'client:alice' });
      assert.equal(worker.activity.sid, f.act.offline);
      assert.equal(worker.activity.name, 'Offline');
      assert.equal(worker.activity.available, false);
      assert.deepEqual([...worker.activities.values()].map((a) => a.name).sort(), ['Available', 'Offline', 'Unavailable']);
      const channels = [...worker.channels.values()];
      assert.ok(channels.some((c) => c.taskChannelUniqueName === 'default' && c.capacity === 1));
      assert.equal(worker.reservations.size, 0);
    });

    test('an activity change through the SDK is seen over REST, and pushed back as activityUpdated', async () => {
      const { f, alice } = await setup();
      const worker = await connect(f, alice.sid);
      const pushed = nextEvent<SdkWorker>(worker, 'activityUpdated');
      const activity = await worker.activities.get(f.act.available)!.setAsCurrent();
      assert.equal(activity.sid, f.act.available);
      assert.equal(activity.isCurrent, true);
      const rest = await f.w.workers(alice.sid).fetch();
      assert.equal(rest.activitySid, f.act.available);
      assert.equal(rest.available, true);
      const updated = await pushed;
      assert.equal(updated.activity.sid, f.act.available);
      assert.equal(worker.available, true);
    });

    test('a routed task arrives as reservationCreated; accept, wrap up and complete through the SDK', async () => {
      const { f, workflow, alice } = await setup();
      const worker = await connect(f, alice.sid);
      await goAvailable(worker, f);

      const created = nextEvent<SdkReservation>(worker, 'reservationCreated');
      const task = await f.task({ workflowSid: workflow.sid, attributes: JSON.stringify({ customer: 'Ada', channelType: 'sms' }) });
      const reservation = await created;
      assert.equal(reservation.status, 'pending');
      assert.equal(reservation.workerSid, alice.sid);
      assert.equal(reservation.task.sid, task.sid);
      assert.deepEqual(reservation.task.attributes, { customer: 'Ada', channelType: 'sms' });
      assert.equal(reservation.task.status, 'reserved');
      assert.equal(reservation.task.taskChannelUniqueName, 'default');
      assert.equal(reservation.task.queueName, 'everyone');
      assert.ok(reservation.timeout > 0, 'the offer carries its timeout');
      assert.equal(worker.reservations.get(reservation.sid), reservation);

      const acceptedEvent = nextEvent<SdkReservation>(reservation, 'accepted');
      const accepted = await reservation.accept();
      assert.equal(accepted.status, 'accepted');
      await acceptedEvent;
      assert.equal(reservation.task.status, 'assigned');
      assert.equal((await f.w.tasks(task.sid).fetch()).assignmentStatus, 'assigned');
      assert.equal((await f.w.tasks(task.sid).reservations(reservation.sid).fetch()).reservationStatus, 'accepted');

      const wrapupEvent = nextEvent(reservation, 'wrapup');
      const taskWrapup = nextEvent(reservation.task, 'wrapup');
      await reservation.task.wrapUp({ reason: 'talked it through' });
      await Promise.all([wrapupEvent, taskWrapup]);
      assert.equal(reservation.status, 'wrapping');
      const wrapping = await f.w.tasks(task.sid).fetch();
      assert.equal(wrapping.assignmentStatus, 'wrapping');
      assert.equal(wrapping.reason, 'talked it through');

      const taskCompleted = nextEvent(reservation.task, 'completed');
      const resCompleted = nextEvent(reservation, 'completed');
      await reservation.task.complete('resolved');
      await Promise.all([taskCompleted, resCompleted]);
      assert.equal(reservation.task.status, 'completed');
      assert.equal(reservation.status, 'completed');
      assert.equal(worker.reservations.has(reservation.sid), false, 'a completed reservation leaves the map');
      const done = await f.w.tasks(task.sid).fetch();
      assert.equal(done.assignmentStatus, 'completed');
      assert.equal(done.reason, 'resolved');
      assert.equal((await f.w.tasks(task.sid).reservations(reservation.sid).fetch()).reservationStatus, 'completed');
    });

    test('reject through the SDK: the rejected event, and the task back in the queue', async () => {
      const { f, workflow, alice } = await setup();
      const worker = await connect(f, alice.sid);
      await goAvailable(worker, f);
      const created = nextEvent<SdkReservation>(worker, 'reservationCreated');
      const task = await f.task({ workflowSid: workflow.sid, attributes: '{"n":1}' });
      const reservation = await created;
      const rejectedEvent = nextEvent<SdkReservation>(reservation, 'rejected');
      const rejected = await reservation.reject({ activitySid: f.act.unavailable });
      assert.equal(rejected.status, 'rejected');
      assert.equal((await rejectedEvent).status, 'rejected');
      assert.equal(worker.reservations.has(reservation.sid), false);
      assert.equal((await f.w.tasks(task.sid).reservations(reservation.sid).fetch()).reservationStatus, 'rejected');
      assert.equal((await f.w.tasks(task.sid).fetch()).assignmentStatus, 'pending');
      assert.equal((await f.w.workers(alice.sid).fetch()).activitySid, f.act.unavailable);
    });

    test('REST changes are pushed: worker attributes (attributesUpdated), task attributes (task updated)', async () => {
      const { f, workflow, alice } = await setup();
      const worker = await connect(f, alice.sid);
      const attrs = nextEvent<SdkWorker>(worker, 'attributesUpdated');
      await f.w.workers(alice.sid).update({ attributes: JSON.stringify({ skills: ['sms', 'chat'], level: 3 }) });
      const updated = await attrs;
      assert.deepEqual(updated.attributes, { skills: ['sms', 'chat'], level: 3 });
      assert.deepEqual(worker.attributes, { skills: ['sms', 'chat'], level: 3 });

      await goAvailable(worker, f);
      const created = nextEvent<SdkReservation>(worker, 'reservationCreated');
      const task = await f.task({ workflowSid: workflow.sid, attributes: '{"topic":"billing"}' });
      const reservation = await created;
      const taskUpdated = nextEvent(reservation.task, 'updated');
      await f.w.tasks(task.sid).update({ attributes: JSON.stringify({ topic: 'refund', vip: true }) });
      await taskUpdated;
      assert.deepEqual(reservation.task.attributes, { topic: 'refund', vip: true });
    });

    test('a reservation accepted over REST reaches the SDK as accepted', async () => {
      const { f, workflow, alice } = await setup();
      const worker = await connect(f, alice.sid);
      await goAvailable(worker, f);
      const created = nextEvent<SdkReservation>(worker, 'reservationCreated');
      const task = await f.task({ workflowSid: workflow.sid });
      const reservation = await created;
      const accepted = nextEvent<SdkReservation>(reservation, 'accepted');
      await f.w.tasks(task.sid).reservations(reservation.sid).update({ reservationStatus: 'accepted' });
      assert.equal((await accepted).status, 'accepted');
      assert.equal(reservation.task.status, 'assigned');
    });

    test('a reservation that times out (manual clock) is pushed as timeout', async () => {
      const { f, workflow, alice } = await setup();
      const worker = await connect(f, alice.sid);
      await goAvailable(worker, f);
      const created = nextEvent<SdkReservation>(worker, 'reservationCreated');
      await f.task({ workflowSid: workflow.sid });
      const reservation = await created;
      const timedOut = nextEvent<SdkReservation>(reservation, 'timeout');
      const offline = nextEvent<SdkWorker>(worker, 'activityUpdated');
      t.clock.advance(121_000);
      await t.server.taskRouter.engine.tick();
      assert.equal((await timedOut).status, 'timeout');
      // The workspace's timeout activity (Offline) follows, as its own push.
      assert.equal((await offline).activity.sid, f.act.offline);
    });

    test('worker.createTask() goes through the envelope and is routed to the worker', async () => {
      const { f, queue, workflow, alice } = await setup();
      const worker = await connect(f, alice.sid);
      await goAvailable(worker, f);
      const created = nextEvent<SdkReservation>(worker, 'reservationCreated');
      const sid = await worker.createTask('+15550001111', '+15550002222', workflow.sid, queue.sid, { attributes: { purpose: 'callback' } });
      const task = await f.w.tasks(sid).fetch();
      assert.deepEqual(JSON.parse(task.attributes), { purpose: 'callback', outbound_to: '+15550001111', from: '+15550002222' });
      assert.equal(task.routingTarget, alice.sid);
      const reservation = await created;
      assert.equal(reservation.task.sid, sid);
    });

    test('a task deleted under the agent (REST DELETE, or by the system 24 hours after acceptance) completes the reservation the SDK holds', async () => {
      const { f, workflow, alice } = await setup();
      const worker = await connect(f, alice.sid);
      await goAvailable(worker, f);
      // Accepted, then deleted over REST; then wrapping, then deleted by the 24-hour limit.
      for (const way of ['rest', 'system'] as const) {
        const created = nextEvent<SdkReservation>(worker, 'reservationCreated');
        const task = await f.task({ workflowSid: workflow.sid });
        const reservation = await created;
        const accepted = nextEvent(reservation, 'accepted');
        await reservation.accept();
        await accepted;
        if (way === 'system') {
          const wrapping = nextEvent(reservation, 'wrapup');
          await reservation.task.wrapUp({ reason: 'done talking' });
          await wrapping;
        }
        const completed = nextEvent<SdkReservation>(reservation, 'completed');
        if (way === 'rest') await f.w.tasks(task.sid).remove();
        else {
          t.clock.advance(86_400_000 + 1000);
          await t.server.taskRouter.engine.tick();
        }
        assert.equal((await completed).status, 'completed', way);
        assert.equal(worker.reservations.size, 0, `${way}: no ghost reservation left in the SDK`);
        await assert.rejects(f.w.tasks(task.sid).fetch(), (e: { status?: number }) => e.status === 404);
      }
      // Tokens are minted on real time: the later tests need the server clock back there.
      t.clock.set(Date.now());
    });

    test('setAttributes and RejectPendingReservations through the SDK', async () => {
      const { f, workflow, alice } = await setup();
      const worker = await connect(f, alice.sid);
      const updated = await worker.setAttributes({ skills: ['chat'], languages: ['en', 'fr'] });
      assert.deepEqual(updated.attributes, { skills: ['chat'], languages: ['en', 'fr'] });
      assert.deepEqual(JSON.parse((await f.w.workers(alice.sid).fetch()).attributes), { skills: ['chat'], languages: ['en', 'fr'] });

      await goAvailable(worker, f);
      const created = nextEvent<SdkReservation>(worker, 'reservationCreated');
      const task = await f.task({ workflowSid: workflow.sid });
      const reservation = await created;
      const rejected = nextEvent<SdkReservation>(reservation, 'rejected');
      await worker.activities.get(f.act.unavailable)!.setAsCurrent({ rejectPendingReservations: true });
      await rejected;
      assert.equal((await f.w.tasks(task.sid).reservations(reservation.sid).fetch()).reservationStatus, 'rejected');
    });
  });
}
