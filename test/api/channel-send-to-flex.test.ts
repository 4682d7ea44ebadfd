import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { inbound } from './conversations-helpers.ts';
import { flexWorkspace, type FlexFixture } from './flex-helpers.ts';

/**
 * A Studio address (AutoCreation.Type=studio) sends each new conversation to Flex, as Flex's Send to
 * Flex widget does: the same for SMS and WhatsApp through the Twilio-shaped gateway as for email and
 * Meta's channels. Other addresses make the conversation alone; an account without exactly one
 * workspace gets its conversation, and nothing is routed.
 */
for (const backend of backends()) {
  describe(`Send to Flex for Studio addresses (${backend.name})`, () => {
    let t: TestServer;
    let f: FlexFixture;
    const FLOW = 'FW' + 'f'.repeat(32);
    before(async () => {
      t = await startServer(backend);
      f = await flexWorkspace(t, ['alice']);
      const cv = t.client.conversations.v1;
      await cv.addressConfigurations.create({ type: 'sms', address: '+15550001000', 'autoCreation.enabled': true, 'autoCreation.type': 'studio', 'autoCreation.studioFlowSid': FLOW });
      await cv.addressConfigurations.create({ type: 'whatsapp', address: 'whatsapp:+15550001001', 'autoCreation.enabled': true, 'autoCreation.type': 'studio', 'autoCreation.studioFlowSid': FLOW });
      await cv.addressConfigurations.create({ type: 'sms', address: '+15550001002', 'autoCreation.enabled': true });
    });
    after(() => t.close());

    const interactionsOf = async (conversationSid: string) =>
      (await t.server.db.all<{ sid: string; channel_type: string }>('SELECT interaction_sid AS sid, type AS channel_type FROM interaction_channels WHERE conversation_sid = ?', [conversationSid])).length;

    test('an SMS to a Studio number becomes a customer-initiated sms interaction, offered to an agent; the next one lands in the same conversation', async () => {
      assert.equal((await inbound(t, { From: '+15551110001', To: '+15550001000', Body: 'Where is my order?' })).status, 200);
      const [conversation] = await t.client.conversations.v1.participantConversations.list({ address: '+15551110001' });
      const tasks = await f.w.tasks.list();
      assert.equal(tasks.length, 1);
      const attrs = JSON.parse(tasks[0].attributes);
      assert.deepEqual([attrs.channelType, attrs.conversationSid, attrs.customerName, attrs.initiatedBy], ['sms', conversation.conversationSid, '+15551110001', 'customer']);
      assert.equal(tasks[0].taskChannelUniqueName, 'sms');
      const [offer] = await f.pending(tasks[0].sid);
      assert.equal(offer.workerSid, f.agents.alice);

      await inbound(t, { From: '+15551110001', To: '+15550001000', Body: 'Order 42', MessageSid: 'SM' + '2'.repeat(32) });
      assert.equal((await f.w.tasks.list()).length, 1, 'the open conversation already has its interaction');
      assert.equal(await interactionsOf(conversation.conversationSid), 1);
      assert.deepEqual((await t.client.conversations.v1.conversations(conversation.conversationSid).messages.list()).map((m) => m.body), ['Where is my order?', 'Order 42']);
    });

    test('WhatsApp to a Studio number: a whatsapp interaction on the chat channel, the sender named by their profile', async () => {
      await inbound(t, { From: 'whatsapp:+15551110002', To: 'whatsapp:+15550001001', Body: 'Hola', ProfileName: 'Grace Hopper', MessageSid: 'SM' + '3'.repeat(32) });
      const task = (await f.w.tasks.list()).find((x) => JSON.parse(x.attributes).channelType === 'whatsapp');
      assert.ok(task, 'a whatsapp task');
      assert.equal(JSON.parse(task.attributes).customerName, 'Grace Hopper');
      assert.equal(task.taskChannelUniqueName, 'chat');
    });

    test('an address without Studio makes the conversation alone; an account without exactly one workspace gets its conversation, unrouted', async () => {
      const before = (await f.w.tasks.list()).length;
      await inbound(t, { From: '+15551110003', To: '+15550001002', Body: 'Hi', MessageSid: 'SM' + '4'.repeat(32) });
      const [plain] = await t.client.conversations.v1.participantConversations.list({ address: '+15551110003' });
      assert.ok(plain, 'the conversation is made');
      assert.equal(await interactionsOf(plain.conversationSid), 0);
      assert.equal((await f.w.tasks.list()).length, before);

      const other = await t.newAccount();
      await other.client.conversations.v1.addressConfigurations.create({ type: 'sms', address: '+15550002000', 'autoCreation.enabled': true, 'autoCreation.type': 'studio', 'autoCreation.studioFlowSid': FLOW });
      const ws = await other.client.taskrouter.v1.workspaces.create({ friendlyName: 'One' });
      await other.client.taskrouter.v1.workspaces.create({ friendlyName: 'Two' });
      await inbound(t, { From: '+15551110004', To: '+15550002000', Body: 'Hello?', MessageSid: 'SM' + '5'.repeat(32) }, other.account.authToken, other.account.accountSid);
      const [unrouted] = await other.client.conversations.v1.participantConversations.list({ address: '+15551110004' });
      assert.ok(unrouted, 'the message is kept in its conversation');
      assert.equal(await interactionsOf(unrouted.conversationSid), 0);
      assert.equal((await other.client.taskrouter.v1.workspaces(ws.sid).tasks.list()).length, 0);
    });
  });
}

