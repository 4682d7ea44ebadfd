/**
 * The event bridge's doors: which tokens open a socket or an envelope, what one worker may not
 * do to another's work, bad envelopes (a Twilio-style error, never a 500), heartbeats, and the
 * two connection flags (closeExistingSessions, setWorkerOfflineIfDisconnected).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { makeWorkspace } from './routing-helpers.ts';
import { connectWorker, EB_PATH, envelope, nextEvent, release, within, workerToken, Worker, sdkOptions, type SdkReservation, type SdkWorker } from './event-bridge-support.ts';

/** Opens a raw socket: resolves with it and its first frame, or rejects with the HTTP status that refused it. */
function rawSocket(t: TestServer, query: string): Promise<{ ws: WebSocket; frames: string[]; next(): Promise<string> }> {
  const ws = new WebSocket(`${t.baseUrl.replace('http', 'ws')}${EB_PATH}?${query}`);
  const frames: string[] = [];
  const waiting: ((f: string) => void)[] = [];
  ws.on('message', (d) => {
    const f = d.toString();
    const w = waiting.shift();
    if (w) w(f);
    else frames.push(f);
  });
  const next = () => within(frames.length > 0 ? Promise.resolve(frames.shift()!) : new Promise<string>((r) => waiting.push(r)), 'next frame');
  return within(
    new Promise((resolve, reject) => {
      ws.on('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(new Error(`HTTP ${res.statusCode} ${Buffer.concat(chunks).toString()}`)));
      });
      ws.on('error', reject);
      ws.on('open', () => resolve({ ws, frames, next }));
    }),
    'socket',
  );
}

for (const backend of backends()) {
  describe(`event bridge: access, bad input and connection flags (${backend.name})`, () => {
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

    async function setup() {
      const f = await makeWorkspace(t);
      const queue = await f.queue('everyone');
      const workflow = await f.workflow({ default_filter: { queue: queue.sid } });
      const alice = await f.worker('alice', {}, { activitySid: f.act.offline });
      const bob = await f.worker('bob', {}, { activitySid: f.act.offline });
      return { f, queue, workflow, alice, bob };
    }

    async function connect(wsSid: string, workerSid: string, options = {}) {
      const c = await connectWorker(t.baseUrl, workerToken(t, wsSid, workerSid), options);
      sdkWorkers.push(c.worker);
      return c.worker;
    }

    test('the socket opens with init first (channel, account, workspace, token lifetime in ms), then heartbeats', async () => {
      const { f, alice } = await setup();
      t.server.eventBridge.heartbeatMs = 20;
      try {
        const s = await rawSocket(t, `token=${workerToken(t, f.wsSid, alice.sid, { ttl: 600 })}&closeExistingSessions=false&clientVersion=2.1.1`);
        const init = JSON.parse(await s.next());
        assert.equal(init.event_type, 'init');
        assert.equal(init.payload.channel_id, alice.sid);
        assert.equal(init.payload.account_sid, t.account.accountSid);
        assert.equal(init.payload.workspace_sid, f.wsSid);
        assert.ok(init.payload.token_lifetime > 590_000 && init.payload.token_lifetime <= 600_000, `token_lifetime ${init.payload.token_lifetime}`);
        assert.equal(await s.next(), ' ');
        assert.equal(await s.next(), ' ');
        s.ws.close();
      } finally {
        t.server.eventBridge.heartbeatMs = 10_000;
      }
    });

    test('forged, expired, foreign and grantless tokens are refused: 401 on the socket and on the envelope', async () => {
      const { f, alice } = await setup();
      const url = `Workspaces/${f.wsSid}/Workers/${alice.sid}`;
      const refused = async (token: string, code: number) => {
        await assert.rejects(rawSocket(t, `token=${token}&closeExistingSessions=false`), (e: Error) => {
          assert.match(e.message, /^HTTP 401 /);
          assert.equal(JSON.parse(e.message.replace(/^HTTP 401 /, '')).code, code);
          return true;
        });
        const res = await envelope(t, { url, method: 'GET', token });
        assert.equal(res.status, 401);
        assert.equal(res.body.code, code);
        assert.equal(typeof res.body.message, 'string');
      };
      await refused(workerToken(t, f.wsSid, alice.sid, { secret: 'not-the-secret' }), 20101);
      await refused(workerToken(t, f.wsSid, alice.sid).replace(/\.[^.]*$/, '.AAAA'), 20101);
      await refused(workerToken(t, f.wsSid, alice.sid, { apiKey: 'SK' + '0'.repeat(32) }), 20101);
      await refused('', 20101);
      // Another account's own key, naming this account's worker.
      const other = await t.newAccount();
      await refused(workerToken(t, f.wsSid, alice.sid, { accountSid: other.account.accountSid, apiKey: other.account.apiKey, secret: other.account.apiSecret }), 20101);
      // A worker that is not in the workspace the grant names.
      await refused(workerToken(t, f.wsSid, 'WK' + 'f'.repeat(32)), 20101);

      const expiring = workerToken(t, f.wsSid, alice.sid, { ttl: 60 });
      const ok = await envelope(t, { url, method: 'GET', token: expiring });
      assert.equal(ok.status, 200, 'valid until it expires');
      t.clock.advance(61_000);
      await refused(expiring, 20104);

      // The official SDK, given a forged token, reports an error instead of becoming ready.
      const sdk = new Worker(workerToken(t, f.wsSid, alice.sid, { secret: 'nope' }), { ...sdkOptions(t.baseUrl), logLevel: 'silent' } as never);
      sdkWorkers.push(sdk);
      let ready = false;
      sdk.on('ready', () => (ready = true));
      await nextEvent(sdk, 'error');
      release(sdk);
      assert.equal(ready, false);
    });

    test("another worker's reservation, task or worker through the envelope is refused with 403", async () => {
      const { f, workflow, alice, bob } = await setup();
      await f.w.workers(bob.sid).update({ activitySid: f.act.available });
      const task = await f.task({ workflowSid: workflow.sid });
      const [res] = await f.pending(task.sid);
      assert.equal(res.workerSid, bob.sid);
      const token = workerToken(t, f.wsSid, alice.sid);
      const forbidden = async (url: string, method: string, params?: unknown) => {
        const r = await envelope(t, { url, method, params, token });
        assert.equal(r.status, 403, `${method} ${url}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, 20403);
        assert.match(r.body.message, /not/);
      };
      await forbidden(`Workspaces/${f.wsSid}/Workers/${bob.sid}/Reservations/${res.sid}`, 'POST', { ReservationStatus: 'accepted' });
      await forbidden(`Workspaces/${f.wsSid}/Workers/${alice.sid}/Reservations/${res.sid}`, 'POST', { ReservationStatus: 'accepted' });
      await forbidden(`Workspaces/${f.wsSid}/Workers/${alice.sid}/Reservations/${res.sid}`, 'GET');
      await forbidden(`Workspaces/${f.wsSid}/Workers/${bob.sid}`, 'POST', { ActivitySid: f.act.offline });
      await forbidden(`Workspaces/${f.wsSid}/Workers/${bob.sid}`, 'GET');
      await forbidden(`Workspaces/${f.wsSid}/Tasks/${task.sid}`, 'POST', { AssignmentStatus: 'canceled' });
      await forbidden(`Workspaces/${f.wsSid}/Tasks/${task.sid}`, 'GET');
      const other = await makeWorkspace(t);
      await forbidden(`Workspaces/${other.wsSid}/Activities`, 'GET', { PageSize: 1000 });
      // Nothing changed.
      assert.equal((await f.w.tasks(task.sid).reservations(res.sid).fetch()).reservationStatus, 'pending');
      assert.equal((await f.w.tasks(task.sid).fetch()).assignmentStatus, 'reserved');
      assert.equal((await f.w.workers(bob.sid).fetch()).activitySid, f.act.available);
      // Bob's own token may.
      const mine = await envelope(t, { url: `Workspaces/${f.wsSid}/Workers/${bob.sid}/Reservations/${res.sid}`, method: 'POST', params: { ReservationStatus: 'accepted' }, token: workerToken(t, f.wsSid, bob.sid) });
      assert.equal(mine.status, 200);
      assert.equal(mine.body.payload.reservation_status, 'accepted');
      assert.equal(mine.body.payload.task.assignment_status, 'assigned');
    });

    test('bad envelopes get a 4xx with a message and a Twilio code, never a 500', async () => {
      const { f, alice } = await setup();
      const token = workerToken(t, f.wsSid, alice.sid);
      const me = `Workspaces/${f.wsSid}/Workers/${alice.sid}`;
      const bad = async (body: string | object, status: number, message: RegExp, apiVersion = 'v1') => {
        const res =
          typeof body === 'string'
            ? await t.http('POST', EB_PATH, { body, headers: { 'content-type': 'application/x-www-form-urlencoded', apiversion: apiVersion }, auth: null })
            : await envelope(t, body as never, apiVersion);
        assert.equal(res.status, status, JSON.stringify(res.body));
        assert.match(res.body.message, message);
        assert.equal(typeof res.body.code, 'number');
        assert.equal(res.body.status, status);
      };
      await bad('{"url": "x", ', 400, /not valid JSON/);
      await bad('', 400, /empty/);
      await bad('[1,2]', 400, /JSON object/);
      await bad('100%', 400, /not valid JSON/);
      await bad({ method: 'GET', token }, 400, /no url/);
      await bad({ url: `${me}/HoldWorkerParticipant`, method: 'POST', params: {}, token }, 404, /not an event-bridge route/, 'v2');
      await bad({ url: `${me}/Transfers`, method: 'POST', params: {}, token }, 400, /TaskSid/, 'v2');
      await bad({ url: me, method: 'DELETE', token }, 404, /not an event-bridge route/);
      await bad({ url: me, method: 'POST', params: 'ActivitySid=x', token }, 400, /params must be an object/);
      await bad({ url: me, method: 'POST', params: { ActivitySid: 'WAnot-a-sid' }, token }, 400, /ActivitySid/);
      await bad({ url: me, method: 'POST', params: { ActivitySid: 'WA' + '0'.repeat(32) }, token }, 400, /ActivitySid/);
      await bad({ url: me, method: 'POST', params: { Attributes: ['not', 'an', 'object'] }, token }, 400, /Attributes/);
      await bad({ url: me, method: 'POST', params: { Attributes: 'x\u0000y' }, token }, 400, /NUL/);
      await bad({ url: `${me}/Reservations/WR${'0'.repeat(32)}`, method: 'POST', params: { ReservationStatus: 'accepted' }, token }, 404, /not found/);
      await bad({ url: `${me}/Reservations`, method: 'GET', params: { Active: 'maybe' }, token }, 400, /Active/, 'v2');
      await bad({ url: `Workspaces/${f.wsSid}/Tasks`, method: 'POST', params: { WorkflowSid: 'WW' + '0'.repeat(32), RoutingTarget: alice.sid, Attributes: { a: 1 } }, token }, 400, /Workflow/);
      await bad({ url: `Workspaces/${f.wsSid}/Tasks/WT${'0'.repeat(32)}`, method: 'GET', token }, 404, /not found/);
      // Attributes with characters a form parser would choke on arrive intact.
      const ok = await envelope(t, { url: me, method: 'POST', params: { Attributes: { note: '100% & a=b', nested: { x: [1, 2] } } }, token });
      assert.equal(ok.status, 200);
      assert.deepEqual(JSON.parse(ok.body.payload.attributes), { note: '100% & a=b', nested: { x: [1, 2] } });
      assert.equal(typeof ok.body.payload.date_updated, 'number', 'epoch seconds');
    });

    test('lists are {contents, after_sid} and page with PageSize / AfterSid', async () => {
      const { f, alice } = await setup();
      const token = workerToken(t, f.wsSid, alice.sid);
      const url = `Workspaces/${f.wsSid}/Activities`;
      const first = await envelope(t, { url, method: 'GET', params: { PageSize: 2 }, token });
      assert.equal(first.status, 200);
      assert.equal(first.body.payload.contents.length, 2);
      assert.equal(first.body.payload.after_sid, first.body.payload.contents[1].sid);
      const rest = await envelope(t, { url, method: 'GET', params: { PageSize: 2, AfterSid: first.body.payload.after_sid }, token });
      assert.equal(rest.body.payload.contents.length, 1);
      assert.equal(rest.body.payload.after_sid, null);
      const names = [...first.body.payload.contents, ...rest.body.payload.contents].map((a: { friendly_name: string }) => a.friendly_name).sort();
      assert.deepEqual(names, ['Available', 'Offline', 'Unavailable']);
      const reservations = await envelope(t, { url: `Workspaces/${f.wsSid}/Workers/${alice.sid}/Reservations`, method: 'GET', params: { Active: 'true', PageSize: 1000 }, token }, 'v2');
      assert.deepEqual(reservations.body.payload, { contents: [], after_sid: null });
    });

    test('closeExistingSessions=true closes the worker’s other sockets; the new session gets the pushes', async () => {
      const { f, alice } = await setup();
      await f.w.workers(alice.sid).update({ activitySid: f.act.available });
      // The older session asked to go offline when disconnected: being replaced is not a disconnection.
      // Sessions are told apart by their token: the older one has its own.
      const old = await rawSocket(t, `token=${workerToken(t, f.wsSid, alice.sid, { ttl: 3000 })}&closeExistingSessions=false&setWorkerOfflineIfDisconnected=true`);
      assert.equal(JSON.parse(await old.next()).event_type, 'init');
      const closed = new Promise<{ code: number; reason: string }>((resolve) => old.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
      const fresh = await connect(f.wsSid, alice.sid, { closeExistingSessions: true, setWorkerOfflineIfDisconnected: false });
      const { code, reason } = await within(closed, 'old socket closed');
      assert.equal(code, 4001);
      assert.match(reason, /closeExistingSessions/);
      const pushed = nextEvent<SdkWorker>(fresh, 'attributesUpdated');
      await f.w.workers(alice.sid).update({ attributes: '{"after":"takeover"}' });
      assert.deepEqual((await pushed).attributes, { after: 'takeover' });
      release(fresh);
      await within(t.server.eventBridge.disconnected(alice.sid), 'alice disconnected');
      assert.equal((await f.w.workers(alice.sid).fetch()).activitySid, f.act.available, 'neither socket moved the worker offline');
    });

    test('without closeExistingSessions, every socket of the worker gets the pushes', async () => {
      const { f, alice } = await setup();
      const one = await connect(f.wsSid, alice.sid);
      const two = await connect(f.wsSid, alice.sid);
      const both = Promise.all([nextEvent<SdkWorker>(one, 'attributesUpdated'), nextEvent<SdkWorker>(two, 'attributesUpdated')]);
      await f.w.workers(alice.sid).update({ attributes: '{"n":2}' });
      const [a, b] = await both;
      assert.deepEqual([a.attributes, b.attributes], [{ n: 2 }, { n: 2 }]);
      release(one);
      release(two);
    });

    test('setWorkerOfflineIfDisconnected=true: the worker goes Offline when its last socket closes; false, it stays', async () => {
      const { f, workflow, alice, bob } = await setup();
      const a = await connect(f.wsSid, alice.sid, { setWorkerOfflineIfDisconnected: true });
      const b = await connect(f.wsSid, bob.sid, { setWorkerOfflineIfDisconnected: false });
      for (const w of [a, b]) {
        const pushed = nextEvent(w, 'activityUpdated');
        await w.activities.get(f.act.available)!.setAsCurrent();
        await pushed;
      }
      // Alice holds an offer when she drops: it stays hers until it times out.
      const created = nextEvent<SdkReservation>(a, 'reservationCreated');
      const task = await f.task({ workflowSid: workflow.sid });
      const offer = await created;
      release(a);
      release(b);
      await within(Promise.all([t.server.eventBridge.disconnected(alice.sid), t.server.eventBridge.disconnected(bob.sid)]), 'both disconnected');
      const aliceNow = await f.w.workers(alice.sid).fetch();
      assert.equal(aliceNow.activitySid, f.act.offline);
      assert.equal(aliceNow.available, false);
      assert.equal((await f.w.workers(bob.sid).fetch()).activitySid, f.act.available);
      assert.equal((await f.w.tasks(task.sid).reservations(offer.sid).fetch()).reservationStatus, 'pending');
      const events = await t.server.db.all<{ event_type: string }>(
        "SELECT event_type FROM events WHERE worker_sid = ? AND event_type = 'worker.activity.update' ORDER BY seq",
        [alice.sid],
      );
      assert.equal(events.length, 2, 'available, then offline: an ordinary, evented activity change');
    });
  });
}
