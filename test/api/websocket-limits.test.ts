/**
 * What every WebSocket endpoint is held to: a frame size fitted to what it carries (a larger frame
 * closes that socket with 1009, Message Too Big, before the server holds it), and a share of open
 * sockets per identity (the extra one is refused with 429; the others keep working). Both the chat
 * gateway and the event bridge.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { MAX_BODY } from '../../src/conversations/service/messages.ts';
import { openChatSocket } from '../support/chat-socket.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { EB_PATH, within } from './event-bridge-support.ts';
import { makeWorkspace } from './routing-helpers.ts';

const CHAT_PATH = '/conversations/v1/Gateway/Chat';
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
    before(async () => {
      t = await startServer(backend, { socketsPerIdentity: PER_IDENTITY });
    });
    after(async () => {
      for (const ws of open) ws.terminate();
      await t.close();
    });

    const chatToken = async (identity: string) => (await t.server.tokens.mint(t.account.accountSid, identity, { chat: {} }, 3600)).token;
    const chat = async (identity: string) => {
      const s = await openChatSocket(t.baseUrl, await chatToken(identity));
      open.push(s.ws);
      return s;
    };
    const chatUrl = async (identity: string) => `${t.baseUrl.replace('http', 'ws')}${CHAT_PATH}?token=${encodeURIComponent(await chatToken(identity))}`;

    test('chat: a frame over the limit closes that socket with 1009; the largest message, every character escaped, still goes through', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({});
      await cv.conversations(c.sid).participants.create({ identity: 'ada' });
      const big = await chat('ada');
      const other = await chat('ada');

      const closed = closeCode(big.ws);
      big.ws.send(JSON.stringify({ type: 'message', conversation_sid: c.sid, body: 'x'.repeat(1024 * 1024) }));
      assert.equal(await closed, 1009, 'Message Too Big');
      assert.equal(big.frames.length, 0, 'the frame was not read as a message');

      // A message of MAX_BODY characters and 16 KiB of attributes, each character written as
      // \uXXXX (6 bytes): legal JSON any client may send, so the limit must leave room for it.
      const escape = (s: string) => [...s].map((ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0')).join('');
      const body = 'é'.repeat(MAX_BODY);
      const attributes = JSON.stringify({ note: 'ü'.repeat(16 * 1024 - 11) });
      const frame = `{"type":"message","conversation_sid":"${c.sid}","body":"${escape(body)}","attributes":"${escape(attributes)}","ref":1}`;
      assert.ok(Buffer.byteLength(frame) > 100_000, `a big frame: ${Buffer.byteLength(frame)} bytes`);
      other.ws.send(frame);
      const ack = await other.next('ack');
      assert.equal(ack.ref, 1);
      const stored = await cv.conversations(c.sid).messages(ack.message_sid).fetch();
      assert.equal(stored.body, body);
      assert.equal(stored.attributes, attributes);
      assert.equal(other.ws.readyState, WebSocket.OPEN);
    });

    test(`chat: at most ${PER_IDENTITY} open sockets per identity; the extra one is refused with 429 and the others keep working`, async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({});
      await cv.conversations(c.sid).participants.create({ identity: 'bea' });
      const first = await chat('bea');
      const second = await chat('bea');
      assertTooMany(await refusal(await chatUrl('bea')));
      // Someone else is not counted against bea.
      await chat('cy');

      await cv.conversations(c.sid).messages.create({ author: 'system', body: 'still here?' });
      assert.equal((await first.next('message')).message.body, 'still here?');
      assert.equal((await second.next('message')).message.body, 'still here?');

      // A closed socket gives its place back.
      first.ws.close();
      const third = await eventually(async () => openChatSocket(t.baseUrl, await chatToken('bea'), 1000));
      open.push(third.ws);
      assertTooMany(await refusal(await chatUrl('bea')));
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
