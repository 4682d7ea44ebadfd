import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HttpDeliveryAdapter } from '../../src/conversations/gateway/outbound.ts';
import { chatToken, within, type Message } from '../support/conversations-sdk.ts';
import { conversationOf, sdkFor, seenAfter } from '../support/sdk-chat.ts';
import { backends, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';
import { inbound } from './conversations-helpers.ts';
import { flexWorkspace, members, routedTask } from './flex-helpers.ts';

const PROXY = '+15550007777';
const CUSTOMER = '+15551110001';

for (const backend of backends()) {
  describe(`flex: the whole life of an inbound SMS interaction (${backend.name})`, () => {
    let t: TestServer;
    let sink: Receiver;
    before(async () => {
      sink = await startReceiver(() => ({ status: 201, body: JSON.stringify({ sid: 'SM' + 'e'.repeat(32), status: 'sent' }) }));
      t = await startServer(backend, { outbound: new HttpDeliveryAdapter({ urls: { [PROXY]: `${sink.url}/sms` } }) });
    });
    after(async () => {
      await sink.close();
      await t.close();
    });

    test('inbound SMS → interaction → offer → accept (agent joins) → messages both ways → wrap-up → close → complete', async () => {
      const f = await flexWorkspace(t, ['alice']);
      const cv = t.client.conversations.v1;
      const flex = t.client.flexApi.v1;
      await cv.addressConfigurations.create({ type: 'sms', address: PROXY, 'autoCreation.enabled': true });

      // The customer writes: the gateway opens a conversation with the customer in it.
      assert.equal((await inbound(t, { From: CUSTOMER, To: PROXY, Body: 'My order never came' })).status, 200);
      const [mine] = await cv.participantConversations.list({ address: CUSTOMER });
      const conversationSid = mine.conversationSid;

      // The application binds it to an interaction, as Twilio's page shows for customer-initiated SMS.
      const created = await flex.interaction.create({
        channel: { type: 'sms', initiated_by: 'customer', properties: { media_channel_sid: conversationSid } },
        routing: f.routing({ task_channel_unique_name: 'sms', attributes: { customerName: 'Ada' } }),
      });
      assert.match(created.sid, /^KD[0-9a-f]{32}$/);
      const channelSid = (created.channel as { sid: string }).sid;
      const task = routedTask(created.routing);
      assert.equal(task.attrs.conversationSid, conversationSid);
      assert.equal(task.attrs.customerAddress, CUSTOMER);
      assert.equal(task.attrs.customerName, 'Ada');
      assert.equal(task.attrs.direction, 'inbound');
      assert.equal(task.task_channel_unique_name, 'sms');

      const channel = flex.interaction(created.sid).channels(channelSid);
      assert.equal((await channel.fetch()).status, 'active');
      assert.deepEqual((await channel.participants.list()).map((p) => p.type), ['customer']);

      // Offered to alice.
      const [offer] = await f.pending(task.sid);
      assert.equal(offer.workerSid, f.agents.alice);
      assert.equal(await f.status(task.sid), 'reserved');
      assert.deepEqual(await members(t, conversationSid), [CUSTOMER]);

      // Accepted: alice is in the conversation and on the channel when the call returns.
      await f.w.tasks(task.sid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
      assert.equal(await f.status(task.sid), 'assigned');
      assert.deepEqual(await members(t, conversationSid), [CUSTOMER, 'alice']);
      const parts = await channel.participants.list();
      const agent = parts.find((p) => p.type === 'agent')!;
      assert.deepEqual(agent.routingProperties, { workspace_sid: f.wsSid, task_sid: task.sid, reservation_sid: offer.sid, worker_sid: f.agents.alice });

      // Messages both ways: the customer's SMS comes in through the inbound gateway and reaches
      // alice's Conversations SDK (a token minted as an application would); alice writes with the
      // SDK and it goes out as SMS.
      const alice = await sdkFor(t, chatToken(t.account, 'alice', { ttl: 600 }));
      try {
        const chat = await conversationOf(t, alice, conversationSid);
        const seen = await seenAfter<Message>(t, chat, 'messageAdded', (m) => m.body === 'Order 42', () => inbound(t, { From: CUSTOMER, To: PROXY, Body: 'Order 42' }));
        assert.equal(seen.author, CUSTOMER);
        await within(chat.sendMessage('Let me look into order 42'), 'sendMessage');
      } finally {
        await within(alice.shutdown(), 'shutdown');
      }
      await t.server.conversationDeliveries.flush();
      const out = sink.requests.map((r) => [r.params.To, r.params.From, r.params.Body]);
      assert.deepEqual(out, [[CUSTOMER, PROXY, 'Let me look into order 42']]);
      const bodies = (await cv.conversations(conversationSid).messages.list()).map((m) => `${m.author}: ${m.body}`);
      assert.deepEqual(bodies, [`${CUSTOMER}: My order never came`, `${CUSTOMER}: Order 42`, 'alice: Let me look into order 42']);

      // Close with wrap-up: the task wraps up and stays so; alice leaves; the conversation closes.
      const closed = await channel.update({ status: 'closed', routing: { status: 'wrapup' } });
      assert.equal(closed.status, 'closed');
      assert.equal(await f.status(task.sid), 'wrapping');
      assert.equal((await f.reservations(task.sid))[0].reservationStatus, 'wrapping');
      assert.deepEqual(await members(t, conversationSid), [CUSTOMER]);
      assert.equal((await cv.conversations(conversationSid).fetch()).state, 'closed');

      // Completed by the agent afterwards: the reservation completes, alice's capacity comes back.
      await f.w.tasks(task.sid).update({ assignmentStatus: 'completed' });
      assert.equal((await f.reservations(task.sid))[0].reservationStatus, 'completed');
      const sms = (await f.w.workers(f.agents.alice).workerChannels.list()).find((c) => c.taskChannelUniqueName === 'sms')!;
      assert.equal(sms.assignedTasks, 0);
      assert.equal((await channel.fetch()).status, 'closed');
    });
  });
}
