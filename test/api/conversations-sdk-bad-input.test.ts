/**
 * Bad input on the twilsock endpoint, sent by a raw client (what the official SDK would never
 * send): malformed frames, unknown methods, bad tokens, oversized frames, requests for what the
 * identity may not see. Each gets the answer Twilio's SDK expects (a 406 close frame, a reply with
 * a status, a 401 with Twilio's code, a 1009 close, an http_status with Twilio's body), nothing
 * crashes, and nobody sees another identity's data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import WebSocket from 'ws';
import { SDK_MAX_FRAME } from '../../src/conversations/sdk/index.ts';
import { decodeFrame, encodeFrame, type Frame, type FrameHeader } from '../../src/twilsock/frame.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { chatToken, twilsockUri } from '../support/conversations-sdk.ts';

const WAIT_MS = 5_000;

/** A twilsock connection driven frame by frame. */
class RawTwilsock {
  readonly frames: Frame[] = [];
  closed: { code: number } | null = null;
  private waiting: (() => void)[] = [];
  private n = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.frames.push(decodeFrame(data));
      this.poke();
    });
    ws.on('close', (code) => {
      this.closed = { code };
      this.poke();
    });
  }

  static open(baseUrl: string, byHost?: string): Promise<RawTwilsock> {
    // As tsock.<region>.twilio.com is reached through a proxy: path /v3/wsconnect, that Host.
    const ws = byHost ? new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v3/wsconnect`, { headers: { host: byHost } }) : new WebSocket(twilsockUri(baseUrl));
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawTwilsock(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  private poke() {
    for (const w of this.waiting.splice(0)) w();
  }

  /** The first frame (not taken yet) that matches; fails after WAIT_MS. */
  async next(match: (f: Frame) => boolean, what: string): Promise<Frame> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) return this.frames.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`no ${what} within ${WAIT_MS} ms`);
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  async whenClosed(): Promise<{ code: number }> {
    const deadline = Date.now() + WAIT_MS;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`not closed within ${WAIT_MS} ms`);
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.closed;
  }

  send(header: Omit<FrameHeader, 'id'> & { id?: string }, payload = ''): string {
    const id = header.id ?? `TM${++this.n}`;
    this.ws.send(encodeFrame({ ...header, id } as FrameHeader, payload));
    return id;
  }

  /** Sends a frame and waits for the reply to it. */
  async call(header: Omit<FrameHeader, 'id'>, payload = ''): Promise<Frame> {
    const id = this.send(header, payload);
    return this.next((f) => f.header.method === 'reply' && f.header.id === id, `reply to ${header.method}`);
  }

  async init(token: string): Promise<Frame> {
    return this.call({ method: 'init', token, registrations: [] });
  }

  /** A tunnelled request: http_status and body. */
  async request(host: string, method: string, path: string, body?: unknown, params?: Record<string, string>): Promise<{ status: number; body: any }> {
    const payload = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    const reply = await this.call({ method: 'message', payload_type: 'application/json', http_request: { host, path, method, params: params ?? {}, headers: {} } }, payload);
    return { status: (reply.header.http_status as { code: number }).code, body: reply.payload ? JSON.parse(reply.payload) : undefined };
  }

  close() {
    this.ws.terminate();
  }
}

const AIM = 'aim.us1.twilio.com';
const CDS = 'cds.us1.twilio.com';

for (const backend of backends()) {
  describe(`conversations: bad input on the twilsock endpoint (${backend.name})`, () => {
    let t: TestServer;
    const sockets: RawTwilsock[] = [];
    const open = async () => {
      const s = await RawTwilsock.open(t.baseUrl);
      sockets.push(s);
      return s;
    };
    /** The endpoint still works: a new connection initialises and reads its configuration. */
    const stillServing = async () => {
      const s = await open();
      const r = await s.init(chatToken(t.account, 'healthy'));
      assert.equal((r.header.status as { code: number }).code, 200);
      assert.equal((await s.request(AIM, 'GET', '/Client/v2/Configuration')).status, 200);
      s.close();
    };

    before(async () => {
      t = await startServer(backend, { sdk: { closeGraceMs: 300, notificationFlow: { window: 3, queue: 10 } }, socketsPerIdentity: 2 });
    });
    after(async () => {
      for (const s of sockets) s.close();
      await t.close();
    });

    test('the endpoint answers at /tsock/v3/wsconnect, and at /v3/wsconnect for Host tsock.<region>.twilio.com only', async () => {
      const s = await RawTwilsock.open(t.baseUrl, 'tsock.us1.twilio.com');
      sockets.push(s);
      assert.equal(((await s.init(chatToken(t.account, 'by-host'))).header.status as { code: number }).code, 200);
      assert.equal((await s.request(AIM, 'GET', '/Client/v2/Configuration')).body.identity, 'by-host');
      s.close();
      await assert.rejects(RawTwilsock.open(t.baseUrl, 'example.com'), /HTTP 404/);
    });

    test('malformed frames are answered with a 406 close frame, and the socket is closed', async () => {
      /** A frame whose header is these bytes, with the right length: only the header itself is wrong. */
      const withHeader = (header: Buffer) => Buffer.concat([Buffer.from(`TWILSOCK V3.0 ${header.length}\r\n`), header, Buffer.from('\r\n')]);
      const cases: [Buffer | string, RegExp][] = [
        ['hello', /not TWILSOCK V3.0/],
        [Buffer.from('TWILSOCK V2.0 2\r\n{}\r\n'), /not TWILSOCK V3.0/],
        [Buffer.from('TWILSOCK V3.0 abc\r\n{}\r\n'), /header length is not a number/],
        [Buffer.from('TWILSOCK V3.0 99\r\n{"method":"init"}\r\n'), /not followed by CRLF/],
        [Buffer.from('TWILSOCK V3.0 34\r\n{"method":"init","payload_size":9}\r\nabc'), /payload_size is 9 but 3 bytes/],
        [withHeader(Buffer.from('notjson')), /not valid JSON/],
        [withHeader(Buffer.from('[]')), /must be a JSON object/],
        [withHeader(Buffer.from('{}')), /has no method/],
        [withHeader(Buffer.from('{"method":"in\\u0000it"}')), /NUL/],
        [withHeader(Buffer.from('{"method":"init\xff"}', 'latin1')), /not UTF-8/],
        [withHeader(Buffer.from('{"method":"init","x":' + '['.repeat(400) + ']'.repeat(400) + '}')), /nested deeper/],
      ];
      for (const [bytes, why] of cases) {
        const s = await open();
        s.ws.send(bytes);
        const close = await s.next((f) => f.header.method === 'close', `close frame for ${String(bytes).slice(0, 30)}`);
        const status = close.header.status as { code: number; description: string };
        assert.equal(status.code, 406, String(bytes).slice(0, 40));
        assert.match(status.description, why);
        // The client does not close it itself: the server does, after its grace.
        await s.whenClosed();
      }
      await stillServing();
    });

    test('before init only init is taken; an unknown method is a 400 reply; the connection stays', async () => {
      const s = await open();
      const early = await s.call({ method: 'message', http_request: { host: AIM, path: '/Client/v2/Configuration', method: 'GET', params: {}, headers: {} } });
      assert.equal((early.header.status as { code: number }).code, 401, 'a message before init is refused');
      assert.equal(early.header.http_status, undefined, 'and never reaches the client API');
      const r = await s.init(chatToken(t.account, 'methods'));
      assert.equal((r.header.status as { code: number }).code, 200);
      const unknown = await s.call({ method: 'dance' });
      assert.equal((unknown.header.status as { code: number }).code, 400);
      assert.equal((await s.request(AIM, 'GET', '/Client/v2/Configuration')).status, 200);
      s.close();
    });

    test('bad tokens are refused at init with 401 and Twilio\'s code; a renewal for someone else with 403', async () => {
      const other = await t.newAccount();
      const expired = chatToken(t.account, 'x', { ttl: 60 });
      const noGrant = (() => {
        const tk = new twilio.jwt.AccessToken(t.account.accountSid, t.account.apiKey, t.account.apiSecret, { identity: 'x', ttl: 600 });
        tk.addGrant(new twilio.jwt.AccessToken.VideoGrant({}));
        return tk.toJwt();
      })();
      // Signed with another account's key, but claiming this account.
      const crossed = new twilio.jwt.AccessToken(t.account.accountSid, other.account.apiKey, other.account.apiSecret, { identity: 'x', ttl: 600 });
      crossed.addGrant(new twilio.jwt.AccessToken.ChatGrant({}));
      const otherService = chatToken(other.account, 'x', { serviceSid: 'IS' + 'a'.repeat(32) });
      const cases: [string, string, number][] = [
        ['garbage', 'not.a.token', 20101],
        ['empty', '', 20101],
        ['wrong secret', chatToken(t.account, 'x', { secret: 'nope' }), 20101],
        ['no chat grant', noGrant, 20101],
        ["another account's key", crossed.toJwt(), 20101],
        ['a service that is not the account\'s', otherService, 20101],
      ];
      for (const [what, token, code] of cases) {
        const s = await open();
        const r = await s.init(token);
        const status = r.header.status as { code: number; errorCode: number };
        assert.equal(status.code, 401, what);
        assert.equal(status.errorCode, code, what);
        assert.equal((await s.whenClosed()).code !== undefined, true, `${what}: closed`);
      }
      const late = await open();
      const exp = JSON.parse(Buffer.from(expired.split('.')[1], 'base64url').toString()).exp * 1000;
      const before = t.clock.now();
      t.clock.set(exp + 1000);
      try {
        const r = await late.init(expired);
        assert.deepEqual([(r.header.status as { code: number }).code, (r.header.status as { errorCode: number }).errorCode], [401, 20104]);
      } finally {
        t.clock.set(before);
      }
      const s = await open();
      await s.init(chatToken(t.account, 'first'));
      const renewal = await s.call({ method: 'update', token: chatToken(t.account, 'second') });
      assert.equal((renewal.header.status as { code: number }).code, 403);
      await stillServing();
    });

    test('an oversized frame closes the socket with 1009; too many sockets for one identity get 429 at init', async () => {
      const s = await open();
      await s.init(chatToken(t.account, 'big'));
      s.ws.send(Buffer.alloc(SDK_MAX_FRAME + 1, 0x41));
      assert.equal((await s.whenClosed()).code, 1009);
      const held = [await open(), await open()];
      for (const h of held) assert.equal(((await h.init(chatToken(t.account, 'crowd'))).header.status as { code: number }).code, 200);
      const extra = await open();
      const r = await extra.init(chatToken(t.account, 'crowd'));
      assert.equal((r.header.status as { code: number }).code, 429);
      for (const h of held) h.close();
      await stillServing();
    });

    test('malformed tunnelled requests get an http_status with Twilio\'s body, never a crash', async () => {
      const s = await open();
      await s.init(chatToken(t.account, 'requests'));
      const noRequest = await s.call({ method: 'message' });
      assert.equal((noRequest.header.http_status as { code: number }).code, 400);
      assert.equal((await s.request('example.com', 'GET', '/Client/v2/Configuration')).status, 404);
      assert.equal((await s.request(AIM, 'GET', '/Client/v2/Nothing')).status, 404);
      assert.equal((await s.request(AIM, 'DELETE', '/Client/v2/Configuration')).status, 405);
      assert.equal((await s.request(AIM, 'GET', '/Client/v2/%E0%A4%A')).status, 400);
      const service = (await s.request(AIM, 'GET', '/Client/v2/Configuration')).body.service_sid;
      const bad = await s.request(AIM, 'POST', `/Client/v2/Services/${service}/Conversations`, '{not json');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 20001);
      assert.equal((await s.request(AIM, 'POST', `/Client/v2/Services/${service}/Conversations`, { attributes: '{"a":' })).status, 400);
      assert.equal((await s.request(CDS, 'GET', '/v3/Lists/whatever/Items', undefined, { PageSize: '1000' })).status, 400);
      s.close();
      await stillServing();
    });

    test('the media service: a token or it is 401, only one\'s own service, a size limit, only readable media, signed content URLs', async () => {
      const s = await open();
      await s.init(chatToken(t.account, 'uploader'));
      const config = (await s.request(AIM, 'GET', '/Client/v2/Configuration')).body;
      const media: string = config.links.media_service;
      const upload = (headers: Record<string, string>, body: Buffer | string, url = media) =>
        fetch(`${url}?Filename=a.txt`, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: typeof body === 'string' ? body : new Uint8Array(body) });
      const token = chatToken(t.account, 'uploader');
      assert.deepEqual(await upload({}, 'x').then(async (r) => [r.status, (await r.json()).code]), [401, 20101]);
      assert.equal((await upload({ 'x-twilio-token': 'nope' }, 'x')).status, 401);
      assert.equal((await upload({ 'x-twilio-token': token }, 'x', media.replace(/IS[0-9a-f]{32}/, 'IS' + '0'.repeat(32)))).status, 404);
      const big = await upload({ 'x-twilio-token': token }, Buffer.alloc(5 * 1024 * 1024 + 1));
      assert.deepEqual([big.status, (await big.json()).code], [413, 20001]);
      const ok = await upload({ 'x-twilio-token': token }, 'hello');
      assert.equal(ok.status, 201);
      const record = await ok.json();
      assert.equal(record.size, 5);
      // Someone else may neither read it nor send it as their own.
      const other = { 'x-twilio-token': chatToken(t.account, 'snoop') };
      assert.equal((await fetch(`${media}/${record.sid}`, { headers: other })).status, 403);
      const set = await fetch(`${config.links.media_set_service}`, { method: 'POST', headers: { ...other, 'content-type': 'application/json' }, body: JSON.stringify({ command: 'get', list: [{ media_sid: record.sid }] }) });
      assert.deepEqual((await set.json()).map((i: { code: number }) => i.code), [403]);
      assert.equal((await fetch(`${config.links.media_set_service}`, { method: 'POST', headers: { ...other, 'content-type': 'application/json' }, body: '{"command":' })).status, 400);
      const direct: string = record.links.content_direct_temporary;
      assert.equal((await (await fetch(direct)).text()), 'hello');
      assert.equal((await fetch(direct.replace(/Signature=[^&]+/, 'Signature=forged'))).status, 403);
      assert.equal((await fetch(direct.replace(/Expires=\d+/, `Expires=${t.clock.now() + 10 ** 9}`))).status, 403);
      const snoop = await open();
      await snoop.init(chatToken(t.account, 'snoop'));
      const cv = t.client.conversations.v1;
      const sid = (await cv.conversations.create({})).sid;
      await cv.conversations(sid).participants.create({ identity: 'snoop' });
      const stolen = await snoop.request(AIM, 'POST', `/Client/v2/Services/${config.service_sid}/Conversations/${sid}/Messages`, { media_sids: [record.sid] });
      assert.deepEqual([stolen.status, stolen.body.code], [400, 20001]);
      s.close();
      snoop.close();
    });

    test('notifications wait for acknowledgements: a client that leaves too many waiting is closed (it would reconnect and replay); one that acknowledges gets them all, in order', async () => {
      const cv = t.client.conversations.v1;
      const sid = (await cv.conversations.create({})).sid;
      for (const identity of ['lazy', 'diligent']) await cv.conversations(sid).participants.create({ identity });
      for (let i = 0; i < 8; i++) await cv.conversations(sid).messages.create({ author: 'system', body: `m${i}` });
      await t.server.sdk.flush();
      // Not waiting for the reply: the replay may close the socket before it is sent.
      const subscribe = (s: RawTwilsock) =>
        s.send(
          { method: 'message', payload_type: 'application/json', http_request: { host: CDS, path: '/v4/Subscriptions', method: 'POST', params: {}, headers: {} } },
          JSON.stringify({ event_protocol_version: 4, action: 'establish', correlation_id: 1, requests: [{ object_sid: `${sid}.messages`, object_type: 'list', last_event_id: 0 }] }),
        );
      const diligent = await open();
      await diligent.init(chatToken(t.account, 'diligent'));
      const heard: string[] = [];
      diligent.ws.on('message', (data: Buffer) => {
        const f = decodeFrame(data);
        if (f.header.method !== 'notification') return;
        const text = (JSON.parse(f.payload) as { event?: { item_data?: { text?: string } } }).event?.item_data?.text;
        if (text) heard.push(text);
        diligent.send({ method: 'reply', id: f.header.id, status: { code: 200, status: 'OK' } });
      });
      subscribe(diligent);
      await diligent.next((f) => f.header.method === 'notification' && f.payload.includes('subscription_established'), 'subscription_established');
      const lazy = await open();
      await lazy.init(chatToken(t.account, 'lazy'));
      subscribe(lazy);
      // The replay (8 messages and the confirmation) fits: 3 sent, 6 waiting. Then more come live.
      await lazy.next((f) => f.header.method === 'reply', 'the subscription acknowledged');
      await t.server.sdk.flush();
      assert.equal(lazy.closed, null);
      for (let i = 0; i < 5; i++) await cv.conversations(sid).messages.create({ author: 'system', body: `later ${i}` });
      // This server's timers are manual: its projector runs when told.
      await t.server.sdk.flush();
      assert.equal((await lazy.whenClosed()).code, 1008);
      await diligent.next((f) => f.header.method === 'notification' && f.payload.includes('later 4'), 'the last live message');
      assert.deepEqual(heard, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'later 0', 'later 1', 'later 2', 'later 3', 'later 4']);
      assert.equal(diligent.closed, null);
      diligent.close();
    });

    test('an update with nothing in it changes nothing and needs no permission (a raw client could otherwise write without one)', async () => {
      const cv = t.client.conversations.v1;
      const sid = (await cv.conversations.create({ friendlyName: 'quiet' })).sid;
      const speaker = await cv.conversations(sid).participants.create({ identity: 'speaker' });
      const only = await cv.roles.create({ friendlyName: 'speaks only', type: 'conversation', permission: ['sendMessage'] });
      const mute = await cv.conversations(sid).participants.create({ identity: 'mute', roleSid: only.sid });
      const said = await cv.conversations(sid).messages.create({ author: 'speaker', body: 'hello' });
      const s = await open();
      await s.init(chatToken(t.account, 'mute'));
      const service = (await s.request(AIM, 'GET', '/Client/v2/Configuration')).body.service_sid;
      const base = `/Client/v2/Services/${service}/Conversations/${sid}`;
      const events = async () => Number((await t.server.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM conversation_events WHERE conversation_sid = ?', [sid]))!.n);
      const before = await events();
      for (const path of [base, `${base}/Messages/${said.sid}`, `${base}/Participants/${mute.sid}`, `${base}/Participants/${speaker.sid}`]) {
        const r = await s.request(AIM, 'POST', path, {});
        assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
      }
      assert.equal(await events(), before, 'nothing recorded, so no webhook fires');
      // With something in it, the same update needs the permission the role lacks.
      const edit = await s.request(AIM, 'POST', `${base}/Messages/${said.sid}`, { attributes: '{"a":1}' });
      assert.deepEqual([edit.status, edit.body.code], [403, 50107]);
    });

    test("a conversation the identity is not in: refused through the client API and Sync, and its events never reach it", async () => {
      const cv = t.client.conversations.v1;
      const sid = (await cv.conversations.create({ friendlyName: 'private' })).sid;
      await cv.conversations(sid).participants.create({ identity: 'insider' });
      const s = await open();
      await s.init(chatToken(t.account, 'outsider'));
      const config = (await s.request(AIM, 'GET', '/Client/v2/Configuration')).body;
      const service = config.service_sid;
      const get = await s.request(AIM, 'GET', `/Client/v2/Services/${service}/Conversations/${sid}`);
      assert.deepEqual([get.status, get.body.code], [403, 50107]);
      const send = await s.request(AIM, 'POST', `/Client/v2/Services/${service}/Conversations/${sid}/Messages`, { body: 'let me in' });
      assert.deepEqual([send.status, send.body.code], [403, 50107]);
      const typing = await s.call(
        { method: 'message', payload_type: 'application/x-www-form-urlencoded', http_request: { host: AIM, path: `/Client/v2/Services/${service}/Typing`, method: 'POST', params: {}, headers: {} } },
        `ChannelSid=${sid}`,
      );
      assert.equal((typing.header.http_status as { code: number }).code, 403);
      for (const [kind, name] of [['Documents', `${sid}.channel`], ['Lists', `${sid}.messages`], ['Maps', `${sid}.roster`]]) {
        const r = await s.request(CDS, 'GET', `/v3/${kind}/${name}`);
        assert.deepEqual([r.status, r.body.code], [403, 54007], kind);
      }
      const items = await s.request(CDS, 'GET', `/v3/Lists/${sid}.messages/Items`);
      assert.equal(items.status, 403);
      const insiders = config.sync_objects.my_conversations.replace(Buffer.from('outsider').toString('base64url'), Buffer.from('insider').toString('base64url'));
      assert.equal((await s.request(CDS, 'GET', `/v3/Maps/${insiders}`)).status, 403);
      assert.equal((await s.request(CDS, 'POST', `/v3/Maps/${config.sync_objects.my_conversations}/Items`, { data: {} })).status, 403);
      // Another account's conversation is as good as missing.
      const other = await t.newAccount();
      const foreign = (await other.client.conversations.v1.conversations.create({})).sid;
      assert.equal((await s.request(CDS, 'GET', `/v3/Documents/${foreign}.channel`)).status, 404);
      assert.equal((await s.request(AIM, 'GET', `/Client/v2/Services/${service}/Conversations/${foreign}`)).status, 404);

      const sub = await s.request(CDS, 'POST', '/v4/Subscriptions', {
        event_protocol_version: 4,
        action: 'establish',
        correlation_id: 7,
        requests: [{ object_sid: `${sid}.messages`, object_type: 'list', last_event_id: 0 }],
      });
      assert.equal(sub.status, 200);
      const failed = await s.next((f) => f.header.method === 'notification' && (JSON.parse(f.payload) as { event_type: string }).event_type === 'subscription_failed', 'subscription_failed');
      assert.equal((JSON.parse(failed.payload) as { events: { error: { status: number } }[] }).events[0].error.status, 403);
      await cv.conversations(sid).messages.create({ author: 'insider', body: 'secret' });
      await t.server.sdk.flush();
      assert.equal(
        s.frames.some((f) => f.payload.includes('secret')),
        false,
        'the outsider heard nothing of it',
      );
      s.close();
    });
  });
}
