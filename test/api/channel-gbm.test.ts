import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HttpDeliveryAdapter } from '../../src/conversations/gateway/outbound.ts';
import { backends, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';
import { conversationRows, rejects } from './conversations-helpers.ts';
import { customerConversation, flexWorkspace, routedTask } from './flex-helpers.ts';

const CUSTOMER = 'gbm:0a1b2c3d-customer';
const AGENT_ADDRESS = 'gbm:brand-agent-1';

for (const backend of backends()) {
  describe(`channels: gbm, retired by Google in 2024 (${backend.name})`, () => {
    let t: TestServer;
    let sink: Receiver;
    before(async () => {
      sink = await startReceiver(() => ({ status: 201, body: JSON.stringify({ sid: 'SM' + 'd'.repeat(32), status: 'sent' }) }));
      // A catch-all provider URL, as SWITCHYARD_OUTBOUND_URL gives: gbm messages must not end up there.
      t = await startServer(backend, { outbound: new HttpDeliveryAdapter({ url: `${sink.url}/sms` }) });
    });
    after(async () => {
      await t.close();
      await sink.close();
    });

    test('the type is still accepted where Twilio accepts it: address configurations, gbm: bindings, customer-initiated interactions', async () => {
      const f = await flexWorkspace(t, ['alice']);
      const cv = t.client.conversations.v1;
      const address = await cv.addressConfigurations.create({ type: 'gbm', address: AGENT_ADDRESS });
      assert.equal(address.type, 'gbm');
      const { conversationSid } = await customerConversation(t, { address: CUSTOMER, proxy: AGENT_ADDRESS, name: 'Grace' });
      const created = await t.client.flexApi.v1.interaction.create({
        channel: { type: 'gbm', initiated_by: 'customer', properties: { media_channel_sid: conversationSid } },
        routing: f.routing({ task_channel_unique_name: 'chat' }),
      });
      const task = routedTask(created.routing);
      assert.equal(task.attrs.channelType, 'gbm');
      assert.equal(task.attrs.customerName, 'Grace');

      // Whatever an agent writes there cannot be delivered: a failed receipt at once, with Twilio's 63007, and no request anywhere.
      await cv.conversations(conversationSid).participants.create({ identity: 'alice' });
      const m = await cv.conversations(conversationSid).messages.create({ author: 'alice', body: 'Hello Grace' });
      await t.server.conversationDeliveries.flush();
      const receipts = await cv.conversations(conversationSid).messages(m.sid).deliveryReceipts.list();
      assert.deepEqual(receipts.map((r) => [r.status, r.errorCode]), [['failed', 63007]]);
      assert.equal((await cv.conversations(conversationSid).messages(m.sid).fetch()).delivery?.failed, 'all');
      assert.deepEqual(sink.requests, []);
    });

    test('an interaction that would have to reach the customer through gbm (initiated by an agent or the API) is refused, with nothing written', async () => {
      const f = await flexWorkspace(t, ['bob']);
      const before = await conversationRows(t);
      const interactions = async () => Number((await t.server.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM interactions'))?.n);
      const count = await interactions();
      for (const initiatedBy of ['agent', 'api']) {
        await rejects(
          t.client.flexApi.v1.interaction.create({
            channel: { type: 'gbm', initiated_by: initiatedBy, participants: [{ address: CUSTOMER, proxy_address: AGENT_ADDRESS }] },
            routing: f.routing({ queue_sid: f.queueSid, worker_sid: f.agents.bob }),
          }),
          400,
          20001,
          new RegExp(`retired by Google in 2024.*'${initiatedBy}'`),
        );
      }
      assert.deepEqual(await conversationRows(t), before);
      assert.equal(await interactions(), count);
    });
  });
}
