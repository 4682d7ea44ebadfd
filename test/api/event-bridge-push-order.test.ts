/**
 * When pushes leave (docs/decisions.md, "Event-bridge pushes trail their replies"): after the
 * reply of the call that caused them, and only to sockets that were open when their events
 * committed. A long push delay makes each order certain rather than likely.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { makeWorkspace, type Fixture } from './routing-helpers.ts';
import { connectWorker, EB_PATH, envelope, nextEvent, release, within, workerToken, type SdkReservation, type SdkWorker } from './event-bridge-support.ts';

/** Long enough that the test's next step always happens before the push leaves. */
const LONG_DELAY_MS = 1_000;

interface Frames {
  ws: WebSocket;
  /** Event frames received so far (heartbeats and `init` left out). */
  events: { event_type: string; payload: any }[];
  /** The next event frame. */
  next(): Promise<{ event_type: string; payload: any }>;
}

function socket(t: TestServer, token: string): Promise<Frames> {
  const ws = new WebSocket(`${t.baseUrl.replace('http', 'ws')}${EB_PATH}?token=${token}&closeExistingSessions=false&clientVersion=2.1.1`);
  const events: Frames['events'] = [];
  let read = 0;
  const waiting: (() => void)[] = [];
  ws.on('message', (d) => {
    const text = d.toString();
    if (!text.trim()) return;
    const frame = JSON.parse(text);
    if (frame.event_type === 'init') return;
    events.push(frame);
    for (const w of waiting.splice(0)) w();
  });
  const next = async () => {
    while (read >= events.length) await within(new Promise<void>((r) => waiting.push(r)), 'next pushed event');
    return events[read++];
  };
  return within(
    new Promise((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', function first() {
        ws.off('message', first);
        resolve({ ws, events, next });
      });
    }),
    'socket and its init',
  );
}

/** The path the SDK puts in its envelope (lib/util/Routes.js). */
const workerUrl = (f: Fixture, workerSid: string) => `Workspaces/${f.wsSid}/Workers/${workerSid}`;

for (const backend of backends()) {
  describe(`event bridge: when pushes leave (${backend.name})`, () => {
    describe('with a long push delay', () => {
      let t: TestServer;
      const sockets: WebSocket[] = [];
      before(async () => {
        t = await startServer(backend, { eventBridge: { pushDelayMs: LONG_DELAY_MS } });
        t.clock.set(Date.now());
      });
      after(async () => {
        for (const ws of sockets) ws.close();
        await t.close();
      });

      /** Offline alice in a new workspace, her token, and a socket of hers (closed after the suite). */
      async function aliceOnline() {
        const f = await makeWorkspace(t);
        const alice = await f.worker('alice', {}, { activitySid: f.act.offline });
        const token = workerToken(t, f.wsSid, alice.sid);
        const open = async () => {
          const s = await socket(t, token);
          sockets.push(s.ws);
          return s;
        };
        return { f, alice, token, open, first: await open() };
      }

      test('a change made through the envelope is answered before it is pushed', async () => {
        const { f, alice, token, first: s } = await aliceOnline();
        const res = await envelope(t, { url: workerUrl(f, alice.sid), method: 'POST', params: { ActivitySid: f.act.available }, token });
        const answered = performance.now();
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(s.events, [], 'nothing pushed before the reply');
        const pushed = await s.next();
        // A lower bound only (a slow machine makes it longer, never shorter): the push waited out the delay after the reply.
        assert.ok(performance.now() - answered >= LONG_DELAY_MS / 2, `pushed ${Math.round(performance.now() - answered)} ms after the reply`);
        assert.equal(pushed.event_type, 'worker.activity.update');
        assert.equal(pushed.payload.activity_sid, f.act.available);
      });

      test('a socket opened after an event committed never hears it; the sockets open then do, and both hear what follows', async () => {
        const { f, alice, open, first } = await aliceOnline();
        await f.w.workers(alice.sid).update({ attributes: JSON.stringify({ step: 1 }) });
        // Committed, not yet pushed (the delay): this socket opens in between.
        const second = await open();
        const one = await first.next();
        assert.equal(one.event_type, 'worker.attributes.update');
        assert.deepEqual(JSON.parse(one.payload.attributes), { step: 1 });
        await f.w.workers(alice.sid).update({ attributes: JSON.stringify({ step: 2 }) });
        for (const s of [first, second]) {
          const two = await s.next();
          assert.equal(two.event_type, 'worker.attributes.update');
          assert.deepEqual(JSON.parse(two.payload.attributes), { step: 2 }, 'the newer socket’s first push is the later change');
        }
        assert.equal(second.events.length, 1, 'the newer socket heard only the later change');
      });
    });

    describe('with the default delay, through the official SDK', () => {
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

      // Twilio's own spec: the `failed` listener is added in the transferInitiated handler, which
      // the SDK fires at once only if the transfer's reply came before its push. Repeated, as the
      // order it checks was lost about one time in ten when pushes left at once.
      test('a transfer refused at once: transferInitiated comes first and its failed listener hears the failure, every time', async () => {
        const f = await makeWorkspace(t, { multiTaskEnabled: true });
        const queue = await f.queue('everyone');
        const workflow = await f.workflow({ default_filter: { queue: queue.sid } });
        const alice = await f.worker('alice');
        const bob = await f.worker('bob', {}, { activitySid: f.act.offline });
        const a = (await connectWorker(t.baseUrl, workerToken(t, f.wsSid, alice.sid))).worker;
        const b = (await connectWorker(t.baseUrl, workerToken(t, f.wsSid, bob.sid))).worker;
        sdkWorkers.push(a, b);
        for (let round = 1; round <= 5; round++) {
          const created = nextEvent<SdkReservation>(a, 'reservationCreated');
          const task = await f.task({ workflowSid: workflow.sid, attributes: JSON.stringify({ round }) });
          const reservation = await created;
          await reservation.accept();
          await f.w.workers(bob.sid).update({ activitySid: f.act.available });
          b.once('reservationCreated', (offer: SdkReservation) => void offer.reject());
          const failed = new Promise<string>((resolve) => {
            reservation.task.on('transferInitiated', (outgoing: { on(e: string, fn: (x: { status: string }) => void): void }) =>
              outgoing.on('failed', (x) => resolve(x.status)),
            );
          });
          await (reservation.task as unknown as { transfer(to: string): Promise<unknown> }).transfer(bob.sid);
          assert.equal(await within(failed, `round ${round}: the transfer's failed event`), 'failed');
          await f.w.workers(bob.sid).update({ activitySid: f.act.offline });
          await f.w.tasks(task.sid).update({ assignmentStatus: 'completed', reason: 'done' });
        }
      });
    });
  });
}
