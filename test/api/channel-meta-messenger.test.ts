import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { metaChannel } from '../../src/channels/meta/channel.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { conversationRows } from './conversations-helpers.ts';
import { flexWorkspace, members, routedTask } from './flex-helpers.ts';
import { PAGE_ID, VERSION, WEBHOOK, messengerHook, metaOptions, postWebhook, sidOf, signature, startGraph, type Graph } from './channel-meta-helpers.ts';

const PSID = '7001000000000001';
const CUSTOMER = `messenger:${PSID}`;
const PAGE = `messenger:${PAGE_ID}`;
const HOUR = 60 * 60 * 1000;

const message = (mid: string, text: string, extra: Record<string, unknown> = {}) => ({
  sender: { id: PSID },
  recipient: { id: PAGE_ID },
  timestamp: 1_700_000_000_000,
  message: { mid, text, ...extra },
});

for (const backend of backends()) {
  describe(`channels: Facebook Messenger through Meta's webhook and Send API (${backend.name})`, () => {
    let t: TestServer;
    let graph: Graph;
    before(async () => {
      graph = await startGraph();
      graph.names[PSID] = 'Ada Lovelace';
      t = await startServer(backend, { channels: [metaChannel(metaOptions(graph.url))], outbound: null });
    });
    after(async () => {
      await t.close();
      await graph.close();
    });
    const flush = () => t.server.conversationDeliveries.flush();
    const receipts = async (conversationSid: string, messageSid: string) =>
      (await t.client.conversations.v1.conversations(conversationSid).messages(messageSid).deliveryReceipts.list()).map((r) => [r.status, r.errorCode, r.channelMessageSid]);

    test('a page message becomes an interaction routed to an agent; her reply goes out through the Send API; deliveries, reads and refusals become receipts', async () => {
      const f = await flexWorkspace(t, ['alice']);
      const cv = t.client.conversations.v1;
      await cv.addressConfigurations.create({ type: 'messenger', address: PAGE, 'autoCreation.enabled': true });

      // The person writes to the page: Meta posts the signed webhook; the sender's name comes from Graph's profile.
      const res = await postWebhook(t, messengerHook([message('m_in_1', 'Hi, my parcel is late')]));
      assert.equal(res.status, 200);
      assert.equal(res.body, 'EVENT_RECEIVED');
      const lookups = graph.calls.filter((c) => c.method === 'GET');
      assert.deepEqual(lookups.map((c) => [c.path, c.ok]), [[`${VERSION}/${PSID}`, true]], 'the profile was looked up with the page token and appsecret_proof');
      const [pc] = await cv.participantConversations.list({ address: CUSTOMER });
      assert.ok(pc, 'a conversation holds the Messenger sender');
      const conversationSid = pc.conversationSid;
      const customer = await cv.conversations(conversationSid).participants(pc.participantSid).fetch();
      assert.deepEqual(customer.messagingBinding, { type: 'messenger', address: CUSTOMER, proxy_address: PAGE });
      assert.equal(JSON.parse(customer.attributes).friendlyName, 'Ada Lovelace');
      const first = await cv.conversations(conversationSid).messages.list();
      assert.deepEqual(first.map((m) => [m.author, m.body, m.participantSid]), [[CUSTOMER, 'Hi, my parcel is late', pc.participantSid]]);

      // Meta sends the same webhook again (it had no 200 in time): it lands once.
      assert.equal((await postWebhook(t, messengerHook([message('m_in_1', 'Hi, my parcel is late')]))).status, 200);
      assert.equal((await cv.conversations(conversationSid).messages.list()).length, 1);

      // The application binds the conversation to an interaction: a task named after the sender, offered to alice.
      const created = await t.client.flexApi.v1.interaction.create({
        channel: { type: 'messenger', initiated_by: 'customer', properties: { media_channel_sid: conversationSid } },
        routing: f.routing({ task_channel_unique_name: 'chat' }),
      });
      const task = routedTask(created.routing);
      assert.equal(task.attrs.customerName, 'Ada Lovelace');
      assert.equal(task.attrs.customerAddress, CUSTOMER);
      assert.equal(task.attrs.channelType, 'messenger');
      const [offer] = await f.pending(task.sid);
      assert.equal(offer.workerSid, f.agents.alice);
      await f.w.tasks(task.sid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
      assert.deepEqual(await members(t, conversationSid), ['alice', CUSTOMER].sort());

      // alice answers: one Send API call to the page's endpoint, as a RESPONSE to the person.
      const reply = await cv.conversations(conversationSid).messages.create({ author: 'alice', body: 'Sorry! Let me check.' });
      await flush();
      assert.deepEqual(graph.sends(), [{ recipient: { id: PSID }, messaging_type: 'RESPONSE', message: { text: 'Sorry! Let me check.' } }]);
      const sent = graph.calls.filter((c) => c.method === 'POST');
      assert.deepEqual(sent.map((c) => c.path), [`${VERSION}/${PAGE_ID}/messages`]);
      const mid = 'm_' + (graph.calls.filter((c) => c.method === 'POST' && c.ok).length);
      assert.deepEqual(await receipts(conversationSid, reply.sid), [['sent', 0, sidOf(mid)]]);

      // The person's answer lands in the same conversation; Meta's delivery and read webhooks move the receipt on.
      await postWebhook(t, messengerHook([message('m_in_2', 'Order 42')]));
      assert.deepEqual((await cv.conversations(conversationSid).messages.list()).map((m) => m.body), ['Hi, my parcel is late', 'Sorry! Let me check.', 'Order 42']);
      assert.equal((await cv.participantConversations.list({ address: CUSTOMER })).length, 1);
      await postWebhook(t, messengerHook([{ sender: { id: PSID }, recipient: { id: PAGE_ID }, delivery: { mids: [mid], watermark: t.clock.now() } }]));
      assert.deepEqual(await receipts(conversationSid, reply.sid), [['delivered', 0, sidOf(mid)]]);
      await postWebhook(t, messengerHook([{ sender: { id: PSID }, recipient: { id: PAGE_ID }, read: { watermark: t.clock.now() } }]));
      assert.deepEqual(await receipts(conversationSid, reply.sid), [['read', 0, sidOf(mid)]]);
      assert.equal((await cv.conversations(conversationSid).messages(reply.sid).fetch()).delivery?.read, 'all');
      // A late delivery report does not take it back; the page's own echo is no message of the person's.
      await postWebhook(t, messengerHook([{ sender: { id: PSID }, recipient: { id: PAGE_ID }, delivery: { mids: [mid] } }, message('m_echo', 'Sorry! Let me check.', { is_echo: true })]));
      assert.deepEqual(await receipts(conversationSid, reply.sid), [['read', 0, sidOf(mid)]]);
      assert.equal((await cv.conversations(conversationSid).messages.list()).length, 3);

      // Meta refuses the next one (the person cannot be reached): the receipt fails with Twilio's code for it.
      graph.fail = { status: 400, error: { message: "(#551) This person isn't available right now.", type: 'OAuthException', code: 551, error_subcode: 1545041 } };
      const refused = await cv.conversations(conversationSid).messages.create({ author: 'alice', body: 'Are you there?' });
      await flush();
      graph.fail = null;
      assert.deepEqual(await receipts(conversationSid, refused.sid), [['failed', 63003, null]]);

      // 25 hours after the person's last message the window is shut: 63016, and Meta is not asked.
      const before = graph.calls.length;
      t.clock.advance(25 * HOUR);
      const late = await cv.conversations(conversationSid).messages.create({ author: 'alice', body: 'Following up' });
      await flush();
      assert.deepEqual(await receipts(conversationSid, late.sid), [['failed', 63016, null]]);
      assert.equal(graph.calls.length, before);
      // Once the person writes again it opens again.
      await postWebhook(t, messengerHook([message('m_in_3', 'Still waiting')]));
      const again = await cv.conversations(conversationSid).messages.create({ author: 'alice', body: 'Here it is' });
      await flush();
      assert.equal((await receipts(conversationSid, again.sid))[0][0], 'sent');
      assert.deepEqual(graph.sends().at(-1), { recipient: { id: PSID }, messaging_type: 'RESPONSE', message: { text: 'Here it is' } });
    });

    test("another person's attachment lands as the message's media, in a conversation of their own; with no name from Graph, none is given", async () => {
      const cv = t.client.conversations.v1;
      const other = '7001000000000002';
      await postWebhook(t, messengerHook([
        { sender: { id: other }, recipient: { id: PAGE_ID }, timestamp: 1, message: { mid: 'm_att_1', attachments: [{ type: 'image', payload: { url: 'https://cdn.example/photo.jpg' } }] } },
      ]));
      const [pc] = await cv.participantConversations.list({ address: `messenger:${other}` });
      const [m] = await cv.conversations(pc.conversationSid).messages.list();
      assert.deepEqual((m.media as { url?: string }[]).map((x) => x.url), ['https://cdn.example/photo.jpg']);
      // No name from Graph for this one: the participant has none, the address stands for them.
      assert.equal(JSON.parse((await cv.conversations(pc.conversationSid).participants(pc.participantSid).fetch()).attributes).friendlyName, undefined);

      await cv.conversations(pc.conversationSid).participants.create({ identity: 'bob' });
      await cv.conversations(pc.conversationSid).messages.create({ author: 'bob', body: 'Thanks, looking at it' });
      await flush();
      assert.deepEqual(graph.sends().at(-1), { recipient: { id: other }, messaging_type: 'RESPONSE', message: { text: 'Thanks, looking at it' } });
    });

    test('the verification challenge is answered only with the verify token; a bad signature is refused and stores nothing', async () => {
      const ok = await t.http('GET', `${WEBHOOK}?hub.mode=subscribe&hub.verify_token=switchyard-verify-42&hub.challenge=1158201444`, { auth: null });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('content-type')?.split(';')[0], 'text/plain');
      assert.equal(String(ok.body), '1158201444');
      const wrong = await t.http('GET', `${WEBHOOK}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444`, { auth: null });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.code, 20003);
      assert.equal(wrong.body.more_info, 'https://www.twilio.com/docs/errors/20003');

      const before = await conversationRows(t);
      const payload = messengerHook([message('m_forged', 'forged')]);
      const forged = await postWebhook(t, payload, (b) => signature(b, 'not-the-app-secret'));
      assert.equal(forged.status, 403);
      assert.equal(forged.body.code, 20003);
      assert.match(forged.body.message, /X-Hub-Signature-256/);
      assert.equal((await postWebhook(t, payload, () => undefined)).status, 403);
      // Signed, then altered on the way: the signature is over the bytes.
      const body = JSON.stringify(payload);
      const tampered = await t.http('POST', WEBHOOK, { body: body.replace('forged', 'altered'), headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature(body) }, auth: null });
      assert.equal(tampered.status, 403);
      assert.deepEqual(await conversationRows(t), before);
      assert.equal(graph.calls.filter((c) => c.path.endsWith(`/${PAGE_ID}/messages`) && c.json?.message?.text === 'forged').length, 0);
    });
  });
}
