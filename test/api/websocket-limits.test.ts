/**
 * What every WebSocket endpoint is held to: a frame size fitted to what it carries (a larger frame
 * closes that socket with 1009, Message Too Big, before the server holds it), and a share of open
 * sockets per identity (the extra one is refused with 429; the others keep working). Both the
 * twilsock endpoint of the official Conversations SDK and the event bridge.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { SDK_MAX_FRAME } from '../../src/conversations/sdk/index.ts';
import { MAX_BODY } from '../../src/conversations/service/messages.ts';
import { nextEvent, type Client, type Message } from '../support/conversations-sdk.ts';
import { conversationOf, rawTwilsock, sdkFor, seenAfter, shutdownAll, statusOf } from '../support/sdk-chat.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { EB_PATH, within } from './event-bridge-support.ts';
import { makeWorkspace } from './routing-helpers.ts';

const PER_IDENTITY = 2;

/** The close code the server ends a socket with (fails after the bounded wait). */
function closeCode(ws: WebSocket): Promise<number> {
  return within(new Promise((resolve) => ws.once('close', (code) => resolve(code))), 'close');
}

/** An upgrade the server refuses: its HTTP status and body (fails if it opens). */
function refusal(url: string): Promise<{ status: number; body: any }> {
  const ws = new WebSocket(url);
  return within(
    new Promise((resolve, reject) => {
      ws.on('open', () => reject(new Error('the socket opened')));
      ws.on('error', () => undefined);
      ws.on('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
      });
    }),
    'refusal',
  );
}

/** An event-bridge socket: open once `init` arrived; every later frame is kept. */
function bridgeSocket(t: TestServer, token: string, query = ''): Promise<{ ws: WebSocket; next(): Promise<string> }> {
  const ws = new WebSocket(`${t.baseUrl.replace('http', 'ws')}${EB_PATH}?token=${encodeURIComponent(token)}${query}`);
  const frames: string[] = [];
  const waiting: ((f: string) => void)[] = [];
  const next = () => within(frames.length > 0 ? Promise.resolve(frames.shift()!) : new Promise<string>((r) => waiting.push(r)), 'next frame');
  return within(
    new Promise((resolve, reject) => {
      ws.on('error', reject);
      ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.on('message', (d) => {
        const f = d.toString();
        if (f.includes('"init"')) return resolve({ ws, next });
        const w = waiting.shift();
        if (w) w(f);
        else frames.push(f);
      });
    }),
    'init',
  );
}

/** Retries until the server has let go of a closed socket's place (bounded: each try is one upgrade). */
async function eventually<T>(open: () => Promise<T>, tries = 100): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await open();
    } catch (err) {
      if (i >= tries) throw err;
    }
  }
}

/** Twilio's error body for a refused socket. */
function assertTooMany(r: { status: number; body: any }): void {
  assert.equal(r.status, 429);
  assert.deepEqual(r.body, { code: 20429, message: r.body.message, more_info: 'https://www.twilio.com/docs/errors/20429', status: 429 });
  assert.match(r.body.message, /sockets/);
}

for (const backend of backends()) {
  describe(`WebSocket limits: frame size and sockets per identity (${backend.name})`, () => {
    let t: TestServer;
    const open: WebSocket[] = [];
    const clients: Client[] = [];
    before(async () => {
      t = await startServer(backend, { socketsPerIdentity: PER_IDENTITY });
    });
    after(async () => {
      for (const ws of open) ws.terminate();
      await shutdownAll(clients);
      await t.close();
    });

    const chatToken = async (identity: string) => (await t.server.tokens.mint(t.account.accountSid, identity, { chat: {} }, 3600)).token;
    /** A twilsock socket initialised for the identity (or refused: the status of init's reply). */
    const raw = async (identity: string) => {
      const s = await rawTwilsock(t);
      open.push(s.ws);
      return { ...s, status: statusOf(await s.call({ method: 'init', token: await chatToken(identity), registrations: [] })) };
    };

    test('twilsock: a frame over the limit closes that socket with 1009; the largest message, every character escaped, still goes through', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({});
      await cv.conversations(c.sid).participants.create({ identity: 'ada' });
      const big = await raw('ada');
      const other = await raw('ada');
      assert.deepEqual([big.status, other.status], [200, 200]);

      big.ws.send(Buffer.alloc(SDK_MAX_FRAME + 1, 0x41));
      assert.equal(await big.closed, 1009, 'Message Too Big');

      // A message of MAX_BODY characters and 16 KiB of attributes, each character written as
      // \uXXXX (6 bytes), in a tunnelled request as the SDK sends it: legal JSON any client may
      // send, so the limit must leave room for it.
      const escape = (s: string) => [...s].map((ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0')).join('');
      const body = 'é'.repeat(MAX_BODY);
      const attributes = JSON.stringify({ note: 'ü'.repeat(16 * 1024 - 11) });
      const payload = `{"body":"${escape(body)}","attributes":"${escape(attributes)}"}`;
      const service = (await cv.conversations(c.sid).fetch()).chatServiceSid;
      const header = { method: 'message', active_grant: 'ip_messaging', payload_type: 'application/json; charset=utf-8', http_request: { host: 'aim.us1.twilio.com', path: `/Client/v2/Services/${service}/Conversations/${c.sid}/Messages`, method: 'POST', params: {}, headers: {} } };
      assert.ok(Buffer.byteLength(payload) > 100_000, `a big frame: ${Buffer.byteLength(payload)} bytes`);
      const reply = await other.call(header, payload);
      assert.equal((reply.header.http_status as { code: number }).code, 201, reply.payload);
      const stored = await cv.conversations(c.sid).messages(JSON.parse(reply.payload).sid).fetch();
      assert.equal(stored.body, body);
      assert.equal(stored.attributes, attributes);
      assert.equal(other.ws.readyState, WebSocket.OPEN);
    });

    test(`twilsock: at most ${PER_IDENTITY} open sockets per identity; the extra one is refused with 429 and the others keep working`, async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({});
      await cv.conversations(c.sid).participants.create({ identity: 'bea' });
      const first = await sdkFor(t, await chatToken('bea'), clients);
      const second = await sdkFor(t, await chatToken('bea'), clients);
      assert.equal((await raw('bea')).status, 429);
      // Someone else is not counted against bea.
      assert.equal((await raw('cy')).status, 200);

      const [atFirst, atSecond] = [await conversationOf(t, first, c.sid), await conversationOf(t, second, c.sid)];
      const heard = nextEvent<Message>(atSecond, 'messageAdded');
      const m = await seenAfter<Message>(t, atFirst, 'messageAdded', () => true, () => cv.conversations(c.sid).messages.create({ author: 'system', body: 'still here?' }));
      assert.equal(m.body, 'still here?');
      assert.equal((await heard).body, 'still here?');

      // A closed socket gives its place back.
      await first.shutdown();
      clients.splice(clients.indexOf(first), 1);
      const third = await eventually(async () => {
        const s = await raw('bea');
        if (s.status !== 200) throw new Error(`init ${s.status}`);
        return s;
      });
      assert.equal(third.ws.readyState, WebSocket.OPEN);
      assert.equal((await raw('bea')).status, 429);
    });

    test('event bridge: a frame over the limit closes that socket with 1009; a small frame does not', async () => {
      const f = await makeWorkspace(t);
      const w = await f.worker('dee');
      const token = (await t.server.tokens.mint(t.account.accountSid, w.sid, { task_router: { workspace_sid: f.wsSid, worker_sid: w.sid, role: 'worker' } }, 3600)).token;
      t.server.eventBridge.heartbeatMs = 20;
      const big = await bridgeSocket(t, token);
      const small = await bridgeSocket(t, token);
      open.push(big.ws, small.ws);

      const closed = closeCode(big.ws);
      big.ws.send('x'.repeat(64 * 1024));
      assert.equal(await closed, 1009, 'Message Too Big');

      small.ws.send('{}');
      await small.next();
      await small.next(); // heartbeats keep arriving after it
      assert.equal(small.ws.readyState, WebSocket.OPEN);
    });

    test(`event bridge: at most ${PER_IDENTITY} open sockets per worker; the extra one is refused with 429 and the others keep working`, async () => {
      const f = await makeWorkspace(t);
      const w = await f.worker('eve');
      const other = await f.worker('fay');
      const tokenOf = async (sid: string) => (await t.server.tokens.mint(t.account.accountSid, sid, { task_router: { workspace_sid: f.wsSid, worker_sid: sid, role: 'worker' } }, 3600)).token;
      t.server.eventBridge.heartbeatMs = 20;
      const a = await bridgeSocket(t, await tokenOf(w.sid));
      const b = await bridgeSocket(t, await tokenOf(w.sid));
      open.push(a.ws, b.ws);
      assertTooMany(await refusal(`${t.baseUrl.replace('http', 'ws')}${EB_PATH}?token=${encodeURIComponent(await tokenOf(w.sid))}`));
      open.push((await bridgeSocket(t, await tokenOf(other.sid))).ws);

      // The two keep hearing the server.
      assert.equal(await a.next(), ' ');
      assert.equal(await b.next(), ' ');
      a.ws.close();
      const again = await tokenOf(w.sid);
      const c = await eventually(() => bridgeSocket(t, again));
      open.push(c.ws);

      // The SDK's closeExistingSessions replaces the others (sessions of other tokens): let in at the limit, it closes them.
      const closed = [closeCode(b.ws), closeCode(c.ws)];
      open.push((await bridgeSocket(t, await tokenOf(w.sid), '&closeExistingSessions=true')).ws);
      assert.deepEqual(await Promise.all(closed), [4001, 4001]);
    });
  });
}
