import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { conversationRows, eventsOf, rejects } from './conversations-helpers.ts';

const ME = 'ME' + 'a'.repeat(32);
const HX = 'HX' + 'b'.repeat(32);

for (const backend of backends()) {
  describe(`conversations: messages and receipts (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    test('create with every parameter; index counts from 0; the author is matched to a participant', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({ uniqueName: 'msgs-1' });
      const alice = await cv.conversations(c.sid).participants.create({ identity: 'alice' });
      const sms = await cv.conversations(c.sid).participants.create({ 'messagingBinding.address': '+15550200001', 'messagingBinding.proxyAddress': '+15550200000' });
      const m0 = await cv.conversations(c.sid).messages.create({
        author: 'alice',
        body: 'Hello',
        attributes: '{ "importance": "high" }',
        dateCreated: new Date('2025-12-16T22:18:37Z'),
        dateUpdated: new Date('2025-12-16T22:18:38Z'),
        subject: 'Greeting',
        xTwilioWebhookEnabled: 'true',
      });
      assert.match(m0.sid, /^IM[0-9a-f]{32}$/);
      assert.equal(m0.index, 0);
      assert.equal(m0.author, 'alice');
      assert.equal(m0.participantSid, alice.sid);
      assert.equal(m0.body, 'Hello');
      assert.equal(m0.attributes, '{ "importance": "high" }');
      assert.equal(m0.media, null);
      assert.equal(m0.delivery, null, 'no receipts yet');
      assert.equal(m0.contentSid, null);
      assert.equal(m0.dateCreated.toISOString(), '2025-12-16T22:18:37.000Z');
      assert.equal(m0.dateUpdated.toISOString(), '2025-12-16T22:18:38.000Z');
      assert.ok(m0.links.delivery_receipts.endsWith(`/Messages/${m0.sid}/Receipts`));
      const m1 = await cv.conversations('msgs-1').messages.create({ author: '+15550200001', body: 'From SMS' });
      assert.equal(m1.index, 1);
      assert.equal(m1.participantSid, sms.sid, 'matched by messaging address');
      const m2 = await cv.conversations(c.sid).messages.create({ mediaSid: ME });
      assert.equal(m2.index, 2);
      assert.equal(m2.author, 'system', 'no Author: system');
      assert.equal(m2.participantSid, null);
      assert.equal(m2.body, null);
      assert.deepEqual(m2.media, [{ sid: ME, size: null, content_type: null, filename: null }]);
      const m3 = await cv.conversations(c.sid).messages.create({ contentSid: HX, contentVariables: '{"name":"John"}', author: 'nobody' });
      assert.equal(m3.contentSid, HX);
      assert.equal(m3.participantSid, null);
      // Deleting a message never gives its index to another.
      await cv.conversations(c.sid).messages(m3.sid).remove();
      assert.equal((await cv.conversations(c.sid).messages.create({ body: 'after delete' })).index, 4);
      const added = (await eventsOf(t, c.sid)).filter((e) => e.type === 'onMessageAdded');
      assert.equal(added.length, 5);
      assert.equal(added[0].webhooks, true);
      assert.equal(added[1].webhooks, false);
      assert.equal(added[0].data.message.body, 'Hello');
    });

    test('fetch, update every parameter, delete', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create();
      const bob = await cv.conversations(c.sid).participants.create({ identity: 'bob' });
      const m = await cv.conversations(c.sid).messages.create({ body: 'draft' });
      assert.deepEqual((await cv.conversations(c.sid).messages(m.sid).fetch()).toJSON(), m.toJSON());
      t.clock.advance(1000);
      const u = await cv.conversations(c.sid).messages(m.sid).update({
        author: 'bob',
        body: 'final',
        attributes: '{"edited":true}',
        dateCreated: new Date('2025-01-01T00:00:00Z'),
        subject: 'Re',
        xTwilioWebhookEnabled: 'true',
      });
      assert.equal(u.author, 'bob');
      assert.equal(u.participantSid, bob.sid);
      assert.equal(u.body, 'final');
      assert.equal(u.attributes, '{"edited":true}');
      assert.equal(u.index, 0);
      assert.equal(u.dateCreated.toISOString(), '2025-01-01T00:00:00.000Z');
      assert.equal(u.dateUpdated.getTime(), t.clock.now());
      const u2 = await cv.conversations(c.sid).messages(m.sid).update({ dateUpdated: new Date('2025-06-01T00:00:00Z') });
      assert.equal(u2.dateUpdated.toISOString(), '2025-06-01T00:00:00.000Z');
      assert.equal(await cv.conversations(c.sid).messages(m.sid).remove({ xTwilioWebhookEnabled: 'true' }), true);
      await rejects(cv.conversations(c.sid).messages(m.sid).fetch(), 404, 20404);
      await rejects(cv.conversations(c.sid).messages(m.sid).remove(), 404, 20404);
      const types = (await eventsOf(t, c.sid)).map((e) => e.type).filter((x) => x.startsWith('onMessage'));
      assert.deepEqual(types, ['onMessageAdded', 'onMessageUpdated', 'onMessageUpdated', 'onMessageRemoved']);
      // A message of another conversation is not found through this one.
      const other = await cv.conversations.create();
      const om = await cv.conversations(other.sid).messages.create({ body: 'elsewhere' });
      await rejects(cv.conversations(c.sid).messages(om.sid).fetch(), 404, 20404);
    });

    test('list ascending (default) or descending, pages of 1..100', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create();
      for (let i = 0; i < 5; i++) await cv.conversations(c.sid).messages.create({ body: `m${i}` });
      assert.deepEqual((await cv.conversations(c.sid).messages.list()).map((m) => m.index), [0, 1, 2, 3, 4]);
      assert.deepEqual((await cv.conversations(c.sid).messages.list({ order: 'desc' })).map((m) => m.index), [4, 3, 2, 1, 0]);
      const page1 = await cv.conversations(c.sid).messages.page({ order: 'desc', pageSize: 2 });
      assert.deepEqual(page1.instances.map((m) => m.body), ['m4', 'm3']);
      const page2 = await page1.nextPage();
      assert.deepEqual(page2?.instances.map((m) => m.body), ['m2', 'm1']);
      assert.ok(page1.nextPageUrl?.includes('Order=desc'), 'filters are echoed into page URLs');
      await rejects(cv.conversations(c.sid).messages.page({ pageSize: 101 }), 400, 20001);
      const bad = await t.http('GET', `/conversations/v1/Conversations/${c.sid}/Messages?Order=sideways`);
      assert.equal(bad.status, 400);
    });

    test('receipts: none until the gateway records them; then listed, fetched, and summed up in delivery', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create();
      const p1 = await cv.conversations(c.sid).participants.create({ 'messagingBinding.address': '+15550300001', 'messagingBinding.proxyAddress': '+15550300000' });
      const p2 = await cv.conversations(c.sid).participants.create({ 'messagingBinding.address': '+15550300002', 'messagingBinding.proxyAddress': '+15550300000' });
      const m = await cv.conversations(c.sid).messages.create({ body: 'to both' });
      assert.deepEqual(await cv.conversations(c.sid).messages(m.sid).deliveryReceipts.list(), []);
      const api = t.server.conversations.messages;
      const r1 = await api.recordReceipt(t.account.accountSid, c.sid, m.sid, { participantSid: p1.sid, status: 'sent', channelMessageSid: 'SM' + '1'.repeat(32) });
      await api.recordReceipt(t.account.accountSid, c.sid, m.sid, { participantSid: p2.sid, status: 'sent' });
      let delivery = (await cv.conversations(c.sid).messages(m.sid).fetch()).delivery;
      assert.deepEqual(delivery, { total: 2, sent: 'all', delivered: 'none', read: 'none', failed: 'none', undelivered: 'none' });
      const again = await api.recordReceipt(t.account.accountSid, c.sid, m.sid, { participantSid: p1.sid, status: 'read' });
      assert.equal(again.sid, r1.sid, 'one receipt per participant, moved on');
      await api.recordReceipt(t.account.accountSid, c.sid, m.sid, { participantSid: p2.sid, status: 'failed', errorCode: 30003 });
      delivery = (await cv.conversations(c.sid).messages.list())[0].delivery;
      assert.deepEqual(delivery, { total: 2, sent: 'some', delivered: 'some', read: 'some', failed: 'some', undelivered: 'none' });
      const receipts = await cv.conversations(c.sid).messages(m.sid).deliveryReceipts.list();
      assert.deepEqual(receipts.map((r) => [r.participantSid, r.status, r.errorCode]), [
        [p1.sid, 'read', 0],
        [p2.sid, 'failed', 30003],
      ]);
      const fetched = await cv.conversations(c.sid).messages(m.sid).deliveryReceipts(r1.sid).fetch();
      assert.equal(fetched.channelMessageSid, 'SM' + '1'.repeat(32));
      assert.equal(fetched.messageSid, m.sid);
      assert.ok(fetched.url.endsWith(`/Messages/${m.sid}/Receipts/${r1.sid}`));
      await rejects(cv.conversations(c.sid).messages(m.sid).deliveryReceipts('DY' + '0'.repeat(32)).fetch(), 404, 20404);
      await rejects(cv.conversations(c.sid).messages(m.sid).deliveryReceipts.page({ pageSize: 51 }), 400, 20001);
      assert.equal((await eventsOf(t, c.sid)).filter((e) => e.type === 'onDeliveryUpdated').length, 4);
    });

    test('bad messages: nothing, too long, bad media or content; nothing stored', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create();
      const before = await conversationRows(t);
      await rejects(cv.conversations(c.sid).messages.create({}), 400, 20001);
      await rejects(cv.conversations(c.sid).messages.create({ body: '' }), 400, 20001);
      await rejects(cv.conversations(c.sid).messages.create({ body: 'x'.repeat(1601) }), 400, 50504);
      await rejects(cv.conversations(c.sid).messages.create({ mediaSid: 'MX123' }), 400, 20001);
      await rejects(cv.conversations(c.sid).messages.create({ contentSid: 'HX1' }), 400, 20001);
      await rejects(cv.conversations(c.sid).messages.create({ contentSid: HX, contentVariables: '[1]' }), 400, 20001);
      await rejects(cv.conversations(c.sid).messages.create({ body: 'x', attributes: '{oops' }), 400, 20001);
      await rejects(cv.conversations(c.sid).messages.create({ body: 'x', dateCreated: 'yesterday' as unknown as Date }), 400, 20001);
      await rejects(cv.conversations('CH' + '0'.repeat(32)).messages.create({ body: 'x' }), 404, 20404);
      await rejects(cv.conversations(c.sid).messages.create({ body: 'x', xTwilioWebhookEnabled: 'maybe' as 'true' }), 400, 20001);
      assert.deepEqual(await conversationRows(t), before);
      assert.equal((await cv.conversations(c.sid).messages.create({ body: 'x'.repeat(1600) })).index, 0, 'the failures used no index');
    });
  });
}
