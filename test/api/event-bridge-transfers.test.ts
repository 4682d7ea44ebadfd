/**
 * task.transfer() through the official SDK, for a messaging task (no call to move): the v2
 * Transfers routes, TT... transfers, the task.transfer-* events, the transferee's reservation
 * carrying its transfer, and what accepting, rejecting and canceling leave behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { makeWorkspace, type Fixture } from './routing-helpers.ts';
import { connectWorker, envelope, nextEvent, release, workerToken, type SdkReservation, type SdkWorker } from './event-bridge-support.ts';

/** What the SDK's Transfer objects carry (lib/core/transfer/Transfer.js). */
interface SdkTransfer {
  sid: string;
  status: string;
  mode: string;
  type: string;
  to: string;
  workerSid: string;
  reservationSid: string;
  transferFailedReason?: string | null;
  once(event: string, fn: (...args: any[]) => void): unknown;
  cancel(): Promise<SdkTransfer>;
}
type Transfers = { incoming: SdkTransfer | null; outgoing: SdkTransfer | null };
const transfersOf = (r: SdkReservation) => (r.task as unknown as { transfers: Transfers }).transfers;
const transferOf = (r: SdkReservation) => (r as unknown as { transfer?: SdkTransfer }).transfer;
const transfer = (r: SdkReservation, to: string, options: Record<string, unknown> = {}) =>
  (r.task as unknown as { transfer(to: string, o: Record<string, unknown>): Promise<unknown> }).transfer(to, options);

for (const backend of backends()) {
  describe(`event bridge: task transfers through the official SDK (${backend.name})`, () => {
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

    async function connect(f: Fixture, workerSid: string) {
      const c = await connectWorker(t.baseUrl, workerToken(t, f.wsSid, workerSid));
      sdkWorkers.push(c.worker);
      return c.worker;
    }

    /** alice holds an accepted chat task (she alone is available when it arrives); bob and carol are connected, offline. */
    async function held(opts: { multiTask?: boolean } = {}) {
      const f = await makeWorkspace(t, { multiTaskEnabled: opts.multiTask ?? true });
      const queue = await f.queue('everyone');
      const workflow = await f.workflow({ default_filter: { queue: queue.sid } });
      const alice = await f.worker('alice');
      const bob = await f.worker('bob', {}, { activitySid: f.act.offline });
      const carol = await f.worker('carol', {}, { activitySid: f.act.offline });
      const [a, b, c] = [await connect(f, alice.sid), await connect(f, bob.sid), await connect(f, carol.sid)];
      const created = nextEvent<SdkReservation>(a, 'reservationCreated');
      const task = await f.task({ workflowSid: workflow.sid, attributes: '{"channelType":"chat"}' });
      const reservation = await created;
      const accepted = nextEvent(reservation, 'accepted');
      await reservation.accept();
      await accepted;
      return { f, queue, task, reservation, alice, bob, carol, a, b, c };
    }

    test('to a worker: transferInitiated (TT…, warm), the transferee’s reservation carries it with the task reserved; rejected, the transfer fails and the task is assigned again', async () => {
      const { f, task, reservation, alice, bob, b } = await held();
      await f.w.workers(bob.sid).update({ activitySid: f.act.available });
      const initiated = nextEvent<SdkTransfer>(reservation.task, 'transferInitiated');
      const incoming = nextEvent<SdkReservation>(b, 'reservationCreated');
      const returned = await transfer(reservation, bob.sid);
      assert.equal(returned, reservation.task, 'transfer() resolves with the task');
      const outgoing = await initiated;
      assert.match(outgoing.sid, /^TT[0-9a-f]{32}$/);
      assert.equal(outgoing.status, 'initiated');
      assert.equal(transfersOf(reservation).outgoing, outgoing);
      const offer = await incoming;
      for (const tr of [transferOf(offer)!, transfersOf(offer).incoming!]) {
        assert.equal(tr.sid, outgoing.sid);
        assert.equal(tr.workerSid, alice.sid);
        assert.equal(tr.reservationSid, reservation.sid);
        assert.equal(tr.to, bob.sid);
        assert.equal(tr.mode, 'WARM');
        assert.equal(tr.type, 'WORKER');
        assert.equal(tr.status, 'initiated');
      }
      assert.equal(offer.task.sid, task.sid);
      assert.equal(offer.task.status, 'reserved');
      assert.equal(await f.status(task.sid), 'reserved');

      const failed = nextEvent<SdkTransfer>(outgoing, 'failed');
      const rejected = nextEvent<SdkReservation>(offer, 'rejected');
      await offer.reject();
      // As Twilio's own spec does: the reply comes before the pushes the call caused, so a listener
      // added once it resolves still hears the task given back.
      const updated = nextEvent<{ status: string }>(reservation.task, 'updated');
      assert.equal(transferOf(await rejected)!.status, 'failed');
      assert.equal((await failed).status, 'failed');
      assert.equal((await updated).status, 'assigned');
      assert.equal(await f.status(task.sid), 'assigned');
      assert.equal(reservation.status, 'accepted', 'alice still holds it');
      const types = (await f.events(task.sid)).map((e) => e.event_type).filter((e) => e.startsWith('task.transfer'));
      assert.deepEqual(types, ['task.transfer-initiated', 'task.transfer-failed']);
    });

    test('cancel(): the offer is canceled and the task is the holder’s again; canceling twice is a 400 in Twilio’s words', async () => {
      const { f, task, reservation, bob, b } = await held();
      await f.w.workers(bob.sid).update({ activitySid: f.act.available });
      const incoming = nextEvent<SdkReservation>(b, 'reservationCreated');
      await transfer(reservation, bob.sid);
      const offer = await incoming;
      const offerCanceled = nextEvent<SdkReservation>(offer, 'canceled');
      const outgoing = transfersOf(reservation).outgoing!;
      const canceled = await outgoing.cancel();
      assert.equal(canceled, outgoing);
      assert.equal(canceled.status, 'canceled');
      assert.equal(transferOf(await offerCanceled)!.status, 'canceled');
      await assert.rejects(outgoing.cancel(), (e: Error) => {
        assert.equal(e.message, `Request failed with status code 400. Transfer ${canceled.sid} is already canceled . Cannot cancel transfer.`);
        return true;
      });
      assert.equal(await f.status(task.sid), 'assigned');
      assert.equal((await f.w.tasks(task.sid).reservations(offer.sid).fetch()).reservationStatus, 'canceled');
      // Bob's capacity came back: the worker channel holds nothing.
      const channel = (await f.w.workers(bob.sid).workerChannels.list()).find((c) => c.taskChannelUniqueName === 'default')!;
      assert.equal(channel.availableCapacityPercentage, 100);
    });

    test('accepted warm, both hold the task and each completes alone; accepted cold, the holder’s reservation completes', async () => {
      for (const mode of ['WARM', 'COLD']) {
        const { f, task, reservation, bob, b } = await held();
        await f.w.workers(bob.sid).update({ activitySid: f.act.available });
        const incoming = nextEvent<SdkReservation>(b, 'reservationCreated');
        await transfer(reservation, bob.sid, { mode });
        const offer = await incoming;
        const completedTransfer = nextEvent<SdkTransfer>(transfersOf(reservation).outgoing!, 'completed');
        const aliceDone = mode === 'COLD' ? nextEvent<SdkReservation>(reservation, 'completed') : undefined;
        await offer.accept();
        assert.equal((await completedTransfer).status, 'complete', mode);
        assert.equal(await f.status(task.sid), 'assigned');
        if (aliceDone) {
          await aliceDone;
          assert.equal((await f.w.tasks(task.sid).reservations(reservation.sid).fetch()).reservationStatus, 'completed');
        } else {
          // Alice leaves first: her reservation alone completes, Bob keeps the task.
          await f.w.tasks(task.sid).reservations(reservation.sid).update({ reservationStatus: 'completed' });
          assert.equal((await f.w.tasks(task.sid).reservations(offer.sid).fetch()).reservationStatus, 'accepted');
          assert.equal(await f.status(task.sid), 'assigned');
        }
        await f.w.tasks(task.sid).update({ assignmentStatus: 'completed' });
        assert.equal((await f.w.tasks(task.sid).reservations(offer.sid).fetch()).reservationStatus, 'completed');
        const types = (await f.events(task.sid)).map((e) => e.event_type).filter((e) => e.startsWith('task.transfer'));
        assert.deepEqual(types, ['task.transfer-initiated', 'task.transfer-completed']);
      }
    });

    test('to a queue: the best available member gets it; a rejection tries the next (attemptFailed); with nobody left it fails', async () => {
      const { f, queue, task, reservation, bob, carol, b, c } = await held();
      await f.w.workers(bob.sid).update({ activitySid: f.act.available });
      t.clock.advance(1000);
      await f.w.workers(carol.sid).update({ activitySid: f.act.available });
      const toBob = nextEvent<SdkReservation>(b, 'reservationCreated');
      await transfer(reservation, queue.sid);
      const outgoing = transfersOf(reservation).outgoing!;
      const first = await toBob;
      assert.equal(transferOf(first)!.type, 'QUEUE');
      assert.equal(transferOf(first)!.to, queue.sid);
      const attempt = nextEvent<SdkTransfer>(outgoing, 'attemptFailed');
      const toCarol = nextEvent<SdkReservation>(c, 'reservationCreated');
      await first.reject();
      assert.equal((await attempt).status, 'initiated');
      const second = await toCarol;
      assert.equal(transferOf(second)!.sid, outgoing.sid);
      const failed = nextEvent<SdkTransfer>(outgoing, 'failed');
      await second.reject();
      assert.equal((await failed).status, 'failed');
      assert.equal(await f.status(task.sid), 'assigned');
    });

    test('refused: to someone who cannot take it now (fails at once), of a reservation not accepted, twice at once; a task being transferred cannot be canceled', async () => {
      const { f, task, reservation, bob, carol } = await held();
      // Bob is offline: the transfer fails at once, and says why.
      const failed = nextEvent<SdkTransfer>(reservation.task, 'transferInitiated').then((o) => (o.status === 'failed' ? o : nextEvent<SdkTransfer>(o, 'failed')));
      await transfer(reservation, bob.sid);
      const outgoing = await failed;
      assert.equal(outgoing.status, 'failed');
      assert.match(String(transfersOf(reservation).outgoing!.transferFailedReason), /cannot take/);
      assert.equal(await f.status(task.sid), 'assigned');

      await f.w.workers(carol.sid).update({ activitySid: f.act.available });
      await transfer(reservation, carol.sid);
      await assert.rejects(transfer(reservation, bob.sid), /status code 400\. Task \S+ is already being transferred/);
      // Carol's offer is pending: only an accepted reservation can be transferred on.
      const [offer] = await f.pending(task.sid);
      assert.equal(offer.workerSid, carol.sid);
      const onward = await envelope(
        t,
        { url: `Workspaces/${f.wsSid}/Workers/${carol.sid}/Transfers`, method: 'POST', params: { TaskSid: task.sid, ReservationSid: offer.sid, To: bob.sid }, token: workerToken(t, f.wsSid, carol.sid) },
        'v2',
      );
      assert.equal(onward.status, 400);
      assert.match(onward.body.message, /Only an accepted Reservation/);
      await assert.rejects(f.w.tasks(task.sid).update({ assignmentStatus: 'canceled' }), (e: { status?: number; message?: string }) => {
        assert.equal(e.status, 400);
        assert.match(e.message ?? '', /being transferred/);
        return true;
      });
      await assert.rejects(transfer(reservation, 'XX123'), /status code 400/);
    });
  });
}
