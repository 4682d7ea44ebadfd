/**
 * Sessions of one worker through the official SDK, with its connection flags as it sends them:
 * setWorkerOfflineIfDisconnected (true unless set to false; the SDK leaves it out when not set)
 * and closeExistingSessions (a new session closes the older ones once; they reconnect by
 * themselves and must not take over again).
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { makeWorkspace } from './routing-helpers.ts';
import { connectWorker, nextEvent, release, workerToken, type SdkWorker } from './event-bridge-support.ts';

/** The SDK's socket layer: it emits `connected` each time a socket of its own opens (reconnects included). */
const signaling = (w: SdkWorker) => (w as unknown as { _signaling: EventEmitter })._signaling;

for (const backend of backends()) {
  describe(`event bridge: sessions and their flags through the official SDK (${backend.name})`, () => {
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

    async function connect(token: string, options = {}) {
      const c = await connectWorker(t.baseUrl, token, options);
      sdkWorkers.push(c.worker);
      return c.worker;
    }

    test('setWorkerOfflineIfDisconnected left out (the SDK default: true) moves the worker Offline when its session ends, other sockets or not; false keeps it', async () => {
      const f = await makeWorkspace(t);
      const alice = await f.worker('alice');
      const bob = await f.worker('bob');
      const a = await connect(workerToken(t, f.wsSid, alice.sid));
      const b = await connect(workerToken(t, f.wsSid, bob.sid), { setWorkerOfflineIfDisconnected: false });
      assert.equal((await f.w.workers(alice.sid).fetch()).activitySid, f.act.available);
      release(a);
      release(b);
      await t.server.eventBridge.disconnected(alice.sid);
      await t.server.eventBridge.disconnected(bob.sid);
      const aliceNow = await f.w.workers(alice.sid).fetch();
      assert.equal(aliceNow.activityName, 'Offline', 'an agent who closes the tab gets no more offers');
      assert.equal(aliceNow.available, false);
      assert.equal((await f.w.workers(bob.sid).fetch()).activitySid, f.act.available);

      // A session dropped without disconnect() keeps its socket open: the one that ends still
      // counts, even with the same token (Twilio's own suite shares one among its Worker objects).
      await f.w.workers(alice.sid).update({ activitySid: f.act.available });
      const shared = workerToken(t, f.wsSid, alice.sid, { ttl: 3000 });
      const lingering = await connect(shared);
      const ending = await connect(shared);
      const offline = nextEvent<SdkWorker>(lingering, 'activityUpdated');
      release(ending);
      assert.equal((await offline).activity.name, 'Offline');
    });

    test('closeExistingSessions: a new session closes the old one once; the old one reconnects by itself and does not take over again', async () => {
      const f = await makeWorkspace(t);
      const alice = await f.worker('alice', {}, { activitySid: f.act.offline });
      const older = await connect(workerToken(t, f.wsSid, alice.sid, { ttl: 3000 }), { closeExistingSessions: true, connectActivitySid: f.act.available });
      // The SDK applies its connect activity after `ready`.
      assert.equal((await nextEvent<SdkWorker>(older, 'activityUpdated')).activity.sid, f.act.available);
      let olderReady = 0;
      older.on('ready', () => olderReady++);

      const closed = nextEvent<{ message: string }>(older, 'disconnected');
      const newer = await connect(workerToken(t, f.wsSid, alice.sid, { ttl: 3001 }), { closeExistingSessions: true, connectActivitySid: f.act.unavailable });
      assert.equal((await nextEvent<SdkWorker>(newer, 'activityUpdated')).activity.sid, f.act.unavailable);
      assert.match((await closed).message, /closeExistingSessions/);
      let newerDropped = 0;
      let newerReady = 0;
      newer.on('disconnected', () => newerDropped++);
      newer.on('ready', () => newerReady++);

      // The older SDK reconnects on its own (after its 0.8–1 s backoff), same token, same flag.
      await nextEvent(signaling(older), 'connected');
      // Whatever the server did with that socket is done before a push it sends after.
      const pushed = nextEvent<SdkWorker>(newer, 'attributesUpdated');
      await f.w.workers(alice.sid).update({ attributes: '{"after":"reconnect"}' });
      assert.deepEqual((await pushed).attributes, { after: 'reconnect' });
      assert.equal(newerDropped, 0, 'the newer session was not closed by the older one coming back');
      assert.equal(newerReady, 0);
      assert.equal(olderReady, 0, 'the older session did not become a session again');
      assert.equal((await f.w.workers(alice.sid).fetch()).activitySid, f.act.unavailable, "the older session's connect activity was not applied again");
      assert.deepEqual(older.attributes, {}, 'the older session hears nothing');
    });
  });
}
