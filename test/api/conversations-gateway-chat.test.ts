import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { HttpDeliveryAdapter } from '../../src/conversations/gateway/outbound.ts';
import { openChatSocket } from '../support/chat-socket.ts';
import { backends, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';

const INBOUND = '/conversations/v1/Gateway/Messaging/Inbound';
async function inbound(t: TestServer, params: Record<string, string>) {
  const all = { AccountSid: t.account.accountSid, MessageSid: 'SM' + '2'.repeat(32), NumMedia: '0', ...params };
  const signature = twilio.getExpectedTwilioSignature(t.account.authToken, t.baseUrl + INBOUND, all);
  return t.http('POST', INBOUND, { body: new URLSearchParams(all).toString(), headers: { 'x-twilio-signature': signature }, auth: null });
}

const PROXY = '+15550006666';

function chatToken(t: TestServer, identity: string, opts: { secret?: string; ttl?: number } = {}): string {
  const token = new twilio.jwt.AccessToken(t.account.accountSid, t.account.apiKey, opts.secret ?? t.account.apiSecret, { identity, ttl: opts.ttl ?? 3600 });
  token.addGrant(new twilio.jwt.AccessToken.ChatGrant({}));
  return token.toJwt();
}


for (const backend of backends()) {
  describe(`conversations: chat WebSocket (${backend.name})`, () => {
    let t: TestServer;
    let sink: Receiver;
    before(async () => {
      sink = await startReceiver(() => ({ status: 200 }));
      t = await startServer(backend, { outbound: new HttpDeliveryAdapter({ url: `${sink.url}/sms` }) });
    });
    after(async () => {
      await sink.close();
      await t.close();
    });

    test('a message from the SMS side reaches the chat participant over the WebSocket; the socket writes back to SMS', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({});
      await cv.conversations(c.sid).participants.create({ 'messagingBinding.address': '+15551239999', 'messagingBinding.proxyAddress': PROXY });
      await cv.conversations(c.sid).participants.create({ identity: 'agent' });
      const chat = await openChatSocket(t.baseUrl, chatToken(t, 'agent'));
      const outsider = await openChatSocket(t.baseUrl, chatToken(t, 'outsider'));
      try {
        const res = await inbound(t, { From: '+15551239999', To: PROXY, Body: 'Hi from SMS' });
        assert.equal(res.status, 200);
        const f = await chat.next('message');
        assert.equal(f.conversation_sid, c.sid);
        assert.equal(f.message.body, 'Hi from SMS');
        assert.equal(f.message.author, '+15551239999');
        assert.equal(f.message.index, 0);

        chat.ws.send(JSON.stringify({ type: 'message', conversation_sid: c.sid, body: 'Hello from chat', ref: 7 }));
        const ack = await chat.next('ack');
        assert.equal(ack.ref, 7);
        const echo = await chat.next('message');
        assert.equal(echo.message.author, 'agent');
        const stored = await cv.conversations(c.sid).messages(ack.message_sid).fetch();
        assert.equal(stored.body, 'Hello from chat');
        assert.equal(stored.author, 'agent');
        await t.server.conversationDeliveries.flush();
        assert.deepEqual(sink.requests.map((r) => [r.params.To, r.params.From, r.params.Body]), [['+15551239999', PROXY, 'Hello from chat']]);

        outsider.ws.send(JSON.stringify({ type: 'message', conversation_sid: c.sid, body: 'let me in', ref: 1 }));
        const err = await outsider.next('error');
        assert.equal(err.code, 20404);
        await t.server.chat.idle();
        assert.equal(outsider.frames.filter((x) => x.type === 'message').length, 0, 'not a participant: sees nothing');
      } finally {
        chat.ws.close();
        outsider.ws.close();
      }
    });

    test('participants joining and leaving reach the sockets of those in the conversation, attributes parsed', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({});
      await cv.conversations(c.sid).participants.create({ identity: 'guest-1', attributes: JSON.stringify({ friendlyName: 'Ada' }) });
      const guest = await openChatSocket(t.baseUrl, chatToken(t, 'guest-1'));
      const outsider = await openChatSocket(t.baseUrl, chatToken(t, 'outsider'));
      try {
        const bob = await openChatSocket(t.baseUrl, chatToken(t, 'alice'));
        const agent = await cv.conversations(c.sid).participants.create({ identity: 'alice', attributes: JSON.stringify({ friendlyName: 'Alice Smith', member_type: 'agent' }) });
        try {
          const joined = await guest.next('participant');
          assert.deepEqual(joined, {
            type: 'participant',
            event: 'joined',
            conversation_sid: c.sid,
            participant_sid: agent.sid,
            identity: 'alice',
            attributes: { friendlyName: 'Alice Smith', member_type: 'agent' },
          });
          // An SMS participant has no identity: the frame says so with null.
          await cv.conversations(c.sid).participants.create({ 'messagingBinding.address': '+15551230000', 'messagingBinding.proxyAddress': PROXY });
          const sms = await guest.next('participant');
          assert.equal(sms.identity, null);
          assert.deepEqual(sms.attributes, {});
          assert.deepEqual([(await bob.next('participant')).participant_sid, (await bob.next('participant')).participant_sid], [agent.sid, sms.participant_sid], 'the agent hears of their own joining, then of the next');

          await cv.conversations(c.sid).participants(agent.sid).remove();
          const left = await guest.next('participant');
          assert.deepEqual({ event: left.event, identity: left.identity, attributes: left.attributes }, { event: 'left', identity: 'alice', attributes: { friendlyName: 'Alice Smith', member_type: 'agent' } });
          const ownLeft = await bob.next('participant');
          assert.deepEqual([ownLeft.event, ownLeft.identity], ['left', 'alice'], 'the one who left is told');

          // Messages still arrive as before, after the participant frames.
          await cv.conversations(c.sid).messages.create({ author: 'system', body: 'Alice left' });
          const m = await guest.next('message');
          assert.equal(m.message.body, 'Alice left');
          await t.server.chat.idle();
          assert.deepEqual(outsider.frames, [], 'not in the conversation: hears nothing');
        } finally {
          bob.ws.close();
        }
      } finally {
        guest.ws.close();
        outsider.ws.close();
      }
    });

    test('forged, expired and missing tokens are refused with 401', async () => {
      await assert.rejects(openChatSocket(t.baseUrl, chatToken(t, 'agent', { secret: 'not-the-secret' })), /HTTP 401/);
      await assert.rejects(openChatSocket(t.baseUrl, chatToken(t, 'agent').replace(/\.[^.]*$/, '.AAAA')), /HTTP 401/);
      const expired = new twilio.jwt.AccessToken(t.account.accountSid, t.account.apiKey, t.account.apiSecret, { identity: 'agent', ttl: 60 });
      expired.addGrant(new twilio.jwt.AccessToken.ChatGrant({}));
      const later = expired.toJwt();
      const [, payload] = later.split('.');
      const exp = JSON.parse(Buffer.from(payload, 'base64url').toString()).exp * 1000;
      t.clock.set(Math.max(exp + 1000, t.clock.now()));
      await assert.rejects(openChatSocket(t.baseUrl, later), /HTTP 401/);
      await assert.rejects(openChatSocket(t.baseUrl, ''), /HTTP 401/);
    });
  });
}
