import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { metaChannel } from '../../src/channels/meta/channel.ts';
import { HttpDeliveryAdapter } from '../../src/conversations/gateway/outbound.ts';
import { backends, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';
import { conversationRows, inbound } from './conversations-helpers.ts';
import { flexWorkspace, members, routedTask } from './flex-helpers.ts';
import { BUSINESS_NUMBER, PHONE_NUMBER_ID, TEMPLATE_SID, VERSION, metaOptions, postWebhook, sidOf, signature, startGraph, whatsappHook, type Graph } from './channel-meta-helpers.ts';

const WA_ID = '16315551234';
const CUSTOMER = `whatsapp:+${WA_ID}`;
const BUSINESS = `whatsapp:${BUSINESS_NUMBER}`;
/** A number whose WhatsApp goes through Twilio-shaped webhooks and an HTTP provider, on the same server. */
const TWILIO_SHAPED = 'whatsapp:+15550002222';
const HOUR = 60 * 60 * 1000;

const text = (id: string, body: string, from = WA_ID, name = 'Kerry Fisher') =>
  whatsappHook({ contacts: [{ profile: { name }, wa_id: from }], messages: [{ from, id, timestamp: '1700000000', type: 'text', text: { body } }] });
const status = (id: string, s: string, errors?: unknown[]) =>
  whatsappHook({ statuses: [{ id, status: s, timestamp: '1700000001', recipient_id: WA_ID, ...(errors ? { errors } : {}) }] });

for (const backend of backends()) {
  describe(`channels: WhatsApp through Meta's Cloud API (${backend.name})`, () => {
    let t: TestServer;
    let graph: Graph;
    let provider: Receiver;
    before(async () => {
      graph = await startGraph();
      provider = await startReceiver(() => ({ status: 201, body: JSON.stringify({ sid: 'SM' + 'c'.repeat(32), status: 'sent' }) }));
      t = await startServer(backend, {
        channels: [metaChannel(metaOptions(graph.url))],
        outbound: new HttpDeliveryAdapter({ urls: { [TWILIO_SHAPED]: `${provider.url}/whatsapp` } }),
      });
    });
    after(async () => {
      await t.close();
      await graph.close();
      await provider.close();
    });
    const flush = () => t.server.conversationDeliveries.flush();
    const receipts = async (conversationSid: string, messageSid: string) =>
      (await t.client.conversations.v1.conversations(conversationSid).messages(messageSid).deliveryReceipts.list()).map((r) => [r.status, r.errorCode, r.channelMessageSid]);
    const lastPost = () => graph.calls.filter((c) => c.method === 'POST').at(-1);

    test('a WhatsApp message becomes an interaction; the agent\'s reply goes out through the Cloud API; statuses become receipts', async () => {
      const f = await flexWorkspace(t, ['alice']);
      const cv = t.client.conversations.v1;
      await cv.addressConfigurations.create({ type: 'whatsapp', address: BUSINESS, 'autoCreation.enabled': true });

      assert.equal((await postWebhook(t, text('wamid.in1', 'Hello, is my order shipped?'))).status, 200);
      const [pc] = await cv.participantConversations.list({ address: CUSTOMER });
      assert.ok(pc);
      const conversationSid = pc.conversationSid;
      const customer = await cv.conversations(conversationSid).participants(pc.participantSid).fetch();
      assert.deepEqual(customer.messagingBinding, { type: 'whatsapp', address: CUSTOMER, proxy_address: BUSINESS });
      assert.equal(JSON.parse(customer.attributes).friendlyName, 'Kerry Fisher');
      assert.equal(graph.calls.length, 0, 'WhatsApp gives the name: no lookup');

      const created = await t.client.flexApi.v1.interaction.create({
        channel: { type: 'whatsapp', initiated_by: 'customer', properties: { media_channel_sid: conversationSid } },
        routing: f.routing({ task_channel_unique_name: 'chat' }),
      });
      const task = routedTask(created.routing);
      assert.equal(task.attrs.customerName, 'Kerry Fisher');
      assert.equal(task.attrs.customerAddress, CUSTOMER);
      const [offer] = await f.pending(task.sid);
      await f.w.tasks(task.sid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
      assert.deepEqual(await members(t, conversationSid), ['alice', CUSTOMER].sort());

      const reply = await cv.conversations(conversationSid).messages.create({ author: 'alice', body: 'Yes, it left this morning.' });
      await flush();
      const sent = lastPost()!;
      assert.equal(sent.path, `${VERSION}/${PHONE_NUMBER_ID}/messages`);
      assert.deepEqual(sent.json, { messaging_product: 'whatsapp', recipient_type: 'individual', to: WA_ID, type: 'text', text: { body: 'Yes, it left this morning.', preview_url: false } });
      assert.ok(sent.ok, 'bearer token and appsecret_proof accepted');
      const wamid = `wamid.${graph.sends().length}`;
      assert.deepEqual(await receipts(conversationSid, reply.sid), [['sent', 0, sidOf(wamid)]]);

      // The customer answers in the same conversation; statuses arrive, one out of order.
      await postWebhook(t, text('wamid.in2', 'Great, thanks'));
      assert.deepEqual((await cv.conversations(conversationSid).messages.list()).map((m) => m.author), [CUSTOMER, 'alice', CUSTOMER]);
      await postWebhook(t, status(wamid, 'read'));
      await postWebhook(t, status(wamid, 'delivered'));
      assert.deepEqual(await receipts(conversationSid, reply.sid), [['read', 0, sidOf(wamid)]]);

      // Accepted by Meta, then failed on the way (the number is not on WhatsApp): a failed receipt with Twilio's code.
      const lost = await cv.conversations(conversationSid).messages.create({ author: 'alice', body: 'One more thing' });
      await flush();
      const lostId = `wamid.${graph.sends().length}`;
      await postWebhook(t, status(lostId, 'failed', [{ code: 131026, title: 'Message undeliverable' }]));
      assert.deepEqual(await receipts(conversationSid, lost.sid), [['failed', 63003, sidOf(lostId)]]);

      // Meta refuses the token outright: 63001.
      graph.fail = { status: 401, error: { message: 'Error validating access token', type: 'OAuthException', code: 190 } };
      const unauth = await cv.conversations(conversationSid).messages.create({ author: 'alice', body: 'Hello?' });
      await flush();
      graph.fail = null;
      assert.deepEqual(await receipts(conversationSid, unauth.sid), [['failed', 63001, null]]);
    });

    test('the 24-hour window: free-form refused with 63016 after it; a ContentSid naming a configured template goes as that template; an unknown one is 21655', async () => {
      const cv = t.client.conversations.v1;
      const other = '447700900123';
      await postWebhook(t, text('wamid.w1', 'Can you call me back tomorrow?', other, 'Sam'));
      const [pc] = await cv.participantConversations.list({ address: `whatsapp:+${other}` });
      const c = cv.conversations(pc.conversationSid);
      await c.participants.create({ identity: 'bob' });

      t.clock.advance(23 * HOUR);
      const inside = await c.messages.create({ author: 'bob', body: 'Calling you at 10' });
      await flush();
      assert.equal((await receipts(pc.conversationSid, inside.sid))[0][0], 'sent');

      t.clock.advance(2 * HOUR);
      const calls = graph.calls.length;
      const outside = await c.messages.create({ author: 'bob', body: 'Sorry we missed you' });
      await flush();
      assert.deepEqual(await receipts(pc.conversationSid, outside.sid), [['failed', 63016, null]]);
      assert.equal(graph.calls.length, calls, 'Meta is not asked');

      const template = await c.messages.create({ author: 'bob', contentSid: TEMPLATE_SID, contentVariables: JSON.stringify({ 2: '10:00', 1: 'Sam' }) });
      await flush();
      assert.deepEqual(lastPost()!.json, {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: other,
        type: 'template',
        template: { name: 'order_update', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Sam' }, { type: 'text', text: '10:00' }] }] },
      });
      assert.equal((await receipts(pc.conversationSid, template.sid))[0][0], 'sent');

      const unknown = await c.messages.create({ author: 'bob', contentSid: 'HX' + '0'.repeat(32) });
      await flush();
      assert.deepEqual(await receipts(pc.conversationSid, unknown.sid), [['failed', 21655, null]]);
    });

    test('media arrive as the message\'s media (type and Graph id); the Twilio-shaped WhatsApp path keeps working beside the Cloud API', async () => {
      const cv = t.client.conversations.v1;
      const sender = '5511999990000';
      await postWebhook(t, whatsappHook({
        contacts: [{ profile: { name: 'Lia' }, wa_id: sender }],
        messages: [{ from: sender, id: 'wamid.img1', timestamp: '1700000002', type: 'image', image: { id: '900100200300', mime_type: 'image/jpeg', sha256: 'x', caption: 'the broken part' } }],
      }));
      const [pc] = await cv.participantConversations.list({ address: `whatsapp:+${sender}` });
      const [m] = await cv.conversations(pc.conversationSid).messages.list();
      assert.equal(m.body, 'the broken part');
      assert.deepEqual((m.media as { content_type: string; url: string }[]).map((x) => [x.content_type, x.url]), [['image/jpeg', `${graph.url}${VERSION}/900100200300`]]);

      // Another number, served through a Twilio-shaped provider: inbound by the Messaging webhook, outbound by the HTTP adapter.
      await cv.addressConfigurations.create({ type: 'whatsapp', address: TWILIO_SHAPED, 'autoCreation.enabled': true });
      assert.equal((await inbound(t, { From: 'whatsapp:+15551230077', To: TWILIO_SHAPED, Body: 'Hola', ProfileName: 'Rosa' })).status, 200);
      const [viaTwilio] = await cv.participantConversations.list({ address: 'whatsapp:+15551230077' });
      assert.equal(JSON.parse((await cv.conversations(viaTwilio.conversationSid).participants(viaTwilio.participantSid).fetch()).attributes).friendlyName, 'Rosa');
      await cv.conversations(viaTwilio.conversationSid).participants.create({ identity: 'carol' });
      const posts = graph.calls.length;
      await cv.conversations(viaTwilio.conversationSid).messages.create({ author: 'carol', body: '¿En qué puedo ayudar?' });
      await flush();
      assert.deepEqual(provider.requests.map((r) => [r.params.To, r.params.From, r.params.Body]), [['whatsapp:+15551230077', TWILIO_SHAPED, '¿En qué puedo ayudar?']]);
      assert.equal(graph.calls.length, posts, 'not through Meta');
    });

    test('webhooks for a number not configured here, or of a number no address configuration names, land nothing; a bad signature is refused', async () => {
      const before = await conversationRows(t);
      const elsewhere = whatsappHook({ messages: [{ from: WA_ID, id: 'wamid.x1', timestamp: '1', type: 'text', text: { body: 'x' } }] });
      (elsewhere.entry[0].changes[0].value.metadata as { phone_number_id: string }).phone_number_id = '999';
      assert.equal((await postWebhook(t, elsewhere)).status, 200);
      const forged = await postWebhook(t, text('wamid.x2', 'forged'), (b) => signature(b, 'wrong'));
      assert.equal(forged.status, 403);
      assert.equal(forged.body.code, 20003);
      assert.deepEqual(await conversationRows(t), before);
    });
  });
}
