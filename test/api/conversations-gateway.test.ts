import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { HttpDeliveryAdapter } from '../../src/conversations/gateway/outbound.ts';
import { backends, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';
import { conversationRows, INBOUND, inbound } from './conversations-helpers.ts';

const PROXY = '+15550008888';

for (const backend of backends()) {
  describe(`conversations: inbound and outbound gateways (${backend.name})`, () => {
    let t: TestServer;
    let rx: Receiver;
    let sink: Receiver;
    before(async () => {
      rx = await startReceiver();
      sink = await startReceiver(() => ({ status: 201, body: JSON.stringify({ sid: 'SM' + 'f'.repeat(32), status: 'sent' }) }));
      t = await startServer(backend, { outbound: new HttpDeliveryAdapter({ urls: { [PROXY]: `${sink.url}/sms` } }) });
    });
    after(async () => {
      await rx.close();
      await sink.close();
      await t.close();
    });
    const flush = () => t.server.conversationDeliveries.flush();

    test('inbound SMS to an auto-creating address: new conversation, sender as participant, signed onConversationAdded and onMessageAdded', async () => {
      const cv = t.client.conversations.v1;
      await cv.configuration.webhooks().update({ postWebhookUrl: `${rx.url}/post`, filters: ['onConversationAdded', 'onParticipantAdded', 'onMessageAdded'] });
      await cv.addressConfigurations.create({
        type: 'sms',
        address: PROXY,
        'autoCreation.enabled': true,
        'autoCreation.type': 'webhook',
        'autoCreation.webhookUrl': `${rx.url}/address`,
        'autoCreation.webhookFilters': ['onMessageAdded'],
      });
      const res = await inbound(t, { From: '+15551230001', To: PROXY, Body: 'Hello, I need help' });
      assert.equal(res.status, 200);
      assert.match(String(res.body), /<Response><\/Response>/);
      const parts = await cv.participantConversations.list({ address: '+15551230001' });
      assert.equal(parts.length, 1);
      const sid = parts[0].conversationSid;
      const msgs = await cv.conversations(sid).messages.list();
      assert.deepEqual(msgs.map((m) => [m.author, m.body, m.participantSid]), [['+15551230001', 'Hello, I need help', parts[0].participantSid]]);
      await flush();
      const got = rx.requests.map((r) => `${new URL(r.url).pathname} ${r.params.EventType}`);
      assert.deepEqual(got, ['/post onConversationAdded', '/post onParticipantAdded', '/post onMessageAdded', '/address onMessageAdded']);
      for (const r of rx.requests) {
        assert.ok(twilio.validateRequest(t.account.authToken, String(r.headers['x-twilio-signature']), r.url, r.params), 'signed');
        assert.equal(r.params.ConversationSid, sid);
      }
      const msg = rx.requests[2].params;
      assert.equal(msg.Author, '+15551230001');
      assert.equal(msg.Body, 'Hello, I need help');
      assert.equal(msg.Source, 'SMS');
      assert.equal(rx.requests[1].params['MessagingBinding.Address'], '+15551230001');
      assert.equal(rx.requests[1].params['MessagingBinding.ProxyAddress'], PROXY);

      // The next message from the same sender lands in the same open conversation.
      rx.requests.length = 0;
      await inbound(t, { From: '+15551230001', To: PROXY, Body: 'Anyone?', NumMedia: '1', MediaUrl0: 'https://media.example/1.jpg', MediaContentType0: 'image/jpeg' });
      const again = await cv.conversations(sid).messages.list();
      assert.equal(again.length, 2);
      assert.equal(again[1].index, 1);
      assert.equal((again[1].media as any[])[0].content_type, 'image/jpeg');
      assert.equal((await cv.participantConversations.list({ address: '+15551230001' })).length, 1);
    });

    test('inbound WhatsApp lands in its own conversation per the whatsapp address configuration', async () => {
      const cv = t.client.conversations.v1;
      await cv.addressConfigurations.create({ type: 'whatsapp', address: 'whatsapp:+15550007777', 'autoCreation.enabled': true });
      const res = await inbound(t, { From: 'whatsapp:+15551230002', To: 'whatsapp:+15550007777', Body: 'Hola' });
      assert.equal(res.status, 200);
      const [pc] = await cv.participantConversations.list({ address: 'whatsapp:+15551230002' });
      assert.ok(pc);
      const p = await cv.conversations(pc.conversationSid).participants(pc.participantSid).fetch();
      assert.equal((p.messagingBinding as any).type, 'whatsapp');
      assert.equal((await cv.conversations(pc.conversationSid).messages.list())[0].body, 'Hola');
    });

    test('inbound: a bad signature is refused (403) and nothing is stored; an address without auto-creation is ignored', async () => {
      const before = await conversationRows(t);
      const forged = await inbound(t, { From: '+15551230003', To: PROXY, Body: 'x' }, 'f'.repeat(32));
      assert.equal(forged.status, 403);
      assert.equal(forged.body.code, 20003);
      const unsigned = await t.http('POST', INBOUND, { body: `AccountSid=${t.account.accountSid}&From=%2B1555&To=%2B1666&Body=x`, auth: null });
      assert.equal(unsigned.status, 403);
      const nowhere = await inbound(t, { From: '+15551230003', To: '+15550000000', Body: 'to nobody' });
      assert.equal(nowhere.status, 200);
      assert.deepEqual(await conversationRows(t), before);
    });

    test('outbound: a chat participant\'s message reaches the SMS participant through the adapter, and the receipt is recorded', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({});
      const sms = await cv.conversations(c.sid).participants.create({ 'messagingBinding.address': '+15551230009', 'messagingBinding.proxyAddress': PROXY });
      await cv.conversations(c.sid).participants.create({ identity: 'agent' });
      sink.requests.length = 0;
      const m = await cv.conversations(c.sid).messages.create({ author: 'agent', body: 'How can I help?' });
      await flush();
      assert.equal(sink.requests.length, 1);
      const out = sink.requests[0];
      assert.equal(new URL(out.url).pathname, '/sms');
      assert.equal(out.params.To, '+15551230009');
      assert.equal(out.params.From, PROXY);
      assert.equal(out.params.Body, 'How can I help?');
      assert.ok(twilio.validateRequest(t.account.authToken, String(out.headers['x-twilio-signature']), out.url, out.params));
      const receipts = await cv.conversations(c.sid).messages(m.sid).deliveryReceipts.list();
      assert.equal(receipts.length, 1);
      assert.equal(receipts[0].participantSid, sms.sid);
      assert.equal(receipts[0].status, 'sent');
      assert.equal(receipts[0].channelMessageSid, 'SM' + 'f'.repeat(32));
      assert.equal((await cv.conversations(c.sid).messages(m.sid).fetch()).delivery?.sent, 'all');

      // The SMS side's own message is not sent back to it; a refused delivery is a failed receipt.
      await cv.conversations(c.sid).messages.create({ author: '+15551230009', body: 'thanks' });
      sink.answer = () => ({ status: 400, body: JSON.stringify({ code: 30006, message: 'Landline' }) });
      const m2 = await cv.conversations(c.sid).messages.create({ author: 'agent', body: 'Bye' });
      await flush();
      assert.deepEqual(sink.requests.map((r) => r.params.Body), ['How can I help?', 'Bye']);
      const [r2] = await cv.conversations(c.sid).messages(m2.sid).deliveryReceipts.list();
      assert.equal(r2.status, 'failed');
      assert.equal(r2.errorCode, 30006);
    });
  });
}
