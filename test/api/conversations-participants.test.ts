import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { conversationRows, eventsOf, rejects } from './conversations-helpers.ts';

const RL = 'RL' + 'a'.repeat(32);
const RL2 = 'RL' + 'b'.repeat(32);

for (const backend of backends()) {
  describe(`conversations: participants (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    test('a chat participant by Identity, with every create parameter; fetched by SID or identity', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({ uniqueName: 'chat-1' });
      const p = await cv.conversations(c.sid).participants.create({
        identity: 'alice',
        attributes: '{ "role": "driver" }',
        roleSid: RL,
        dateCreated: new Date('2025-12-16T22:18:37Z'),
        dateUpdated: new Date('2025-12-16T22:18:38Z'),
        xTwilioWebhookEnabled: 'true',
      });
      assert.match(p.sid, /^MB[0-9a-f]{32}$/);
      assert.equal(p.conversationSid, c.sid);
      assert.equal(p.identity, 'alice');
      assert.equal(p.attributes, '{ "role": "driver" }');
      assert.equal(p.messagingBinding, null);
      assert.equal(p.roleSid, RL);
      assert.equal(p.dateCreated.toISOString(), '2025-12-16T22:18:37.000Z');
      assert.equal(p.dateUpdated.toISOString(), '2025-12-16T22:18:38.000Z');
      assert.equal(p.lastReadMessageIndex, null);
      assert.equal(p.lastReadTimestamp, null);
      assert.ok(p.url.endsWith(`/v1/Conversations/${c.sid}/Participants/${p.sid}`));
      assert.deepEqual((await cv.conversations('chat-1').participants('alice').fetch()).toJSON(), (await cv.conversations(c.sid).participants(p.sid).fetch()).toJSON());
      const added = (await eventsOf(t, c.sid)).find((e) => e.type === 'onParticipantAdded');
      assert.equal(added?.data.participant.sid, p.sid);
      assert.equal(added?.webhooks, true);
    });

    test('an identity is unique within a conversation (50433, 409), not across conversations', async () => {
      const cv = t.client.conversations.v1;
      const c1 = await cv.conversations.create();
      const c2 = await cv.conversations.create();
      await cv.conversations(c1.sid).participants.create({ identity: 'bob' });
      await rejects(cv.conversations(c1.sid).participants.create({ identity: 'bob' }), 409, 50433);
      await cv.conversations(c2.sid).participants.create({ identity: 'bob' });
      assert.equal((await cv.conversations(c1.sid).participants.list()).length, 1);
    });

    test('SMS and WhatsApp participants by messaging binding; the type follows the address', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create();
      const sms = await cv.conversations(c.sid).participants.create({
        'messagingBinding.address': '+15558675310',
        'messagingBinding.proxyAddress': '+15017122661',
        attributes: '{"channel":"sms"}',
      });
      assert.equal(sms.identity, null);
      assert.deepEqual(sms.messagingBinding, { type: 'sms', address: '+15558675310', proxy_address: '+15017122661' });
      const wa = await cv.conversations(c.sid).participants.create({
        'messagingBinding.address': 'whatsapp:+15558675310',
        'messagingBinding.proxyAddress': 'whatsapp:+15017122661',
      });
      assert.deepEqual(wa.messagingBinding, { type: 'whatsapp', address: 'whatsapp:+15558675310', proxy_address: 'whatsapp:+15017122661' });
      // Group MMS: an SMS member without a proxy, and a chat member projected onto a Twilio number.
      const member = await cv.conversations(c.sid).participants.create({ 'messagingBinding.address': '+15550001111' });
      assert.deepEqual(member.messagingBinding, { type: 'sms', address: '+15550001111' });
      const projected = await cv.conversations(c.sid).participants.create({ identity: 'agent', 'messagingBinding.projectedAddress': '+15017122661' });
      assert.deepEqual(projected.messagingBinding, { type: 'sms', projected_address: '+15017122661' });
      await rejects(cv.conversations(c.sid).participants.create({ 'messagingBinding.address': '+15550001111' }), 409, 50437);
    });

    test('a binding (address + proxy address) belongs to one open conversation (50416, 409), and is free again once it closes', async () => {
      const cv = t.client.conversations.v1;
      const first = await cv.conversations.create();
      const second = await cv.conversations.create();
      const binding = { 'messagingBinding.address': '+15551230001', 'messagingBinding.proxyAddress': '+15550009999' };
      await cv.conversations(first.sid).participants.create(binding);
      const before = await conversationRows(t);
      await rejects(cv.conversations(second.sid).participants.create(binding), 409, 50416, new RegExp(first.sid));
      await rejects(cv.conversations(first.sid).participants.create(binding), 409, 50416);
      assert.deepEqual(await conversationRows(t), before, 'nothing stored');
      // Same address through another proxy, or another address through the same proxy: fine.
      await cv.conversations(second.sid).participants.create({ ...binding, 'messagingBinding.proxyAddress': '+15550008888' });
      await cv.conversations(second.sid).participants.create({ ...binding, 'messagingBinding.address': '+15551230002' });
      // Inactive still counts as open.
      await cv.conversations(first.sid).update({ state: 'inactive' });
      const third = await cv.conversations.create();
      await rejects(cv.conversations(third.sid).participants.create(binding), 409, 50416);
      await cv.conversations(first.sid).update({ state: 'closed' });
      const p = await cv.conversations(third.sid).participants.create(binding);
      assert.equal(p.messagingBinding.address, '+15551230001');
    });

    test('a binding is freed when its participant or conversation is deleted', async () => {
      const cv = t.client.conversations.v1;
      const binding = { 'messagingBinding.address': '+15551239999', 'messagingBinding.proxyAddress': '+15550007777' };
      const a = await cv.conversations.create();
      const pa = await cv.conversations(a.sid).participants.create(binding);
      await cv.conversations(a.sid).participants(pa.sid).remove();
      const b = await cv.conversations.create();
      await cv.conversations(b.sid).participants.create(binding);
      await cv.conversations(b.sid).remove();
      const c = await cv.conversations.create();
      await cv.conversations(c.sid).participants.create(binding);
    });

    test('update every parameter; binding changes keep the uniqueness rule', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create();
      const sms = await cv.conversations(c.sid).participants.create({ 'messagingBinding.address': '+15557770001', 'messagingBinding.proxyAddress': '+15550006666' });
      t.clock.advance(1000);
      const u = await cv.conversations(c.sid).participants(sms.sid).update({
        attributes: '{"vip":true}',
        roleSid: RL2,
        'messagingBinding.proxyAddress': '+15550005555',
        lastReadMessageIndex: 3,
        lastReadTimestamp: '2026-01-15T09:00:01Z',
        dateCreated: new Date('2025-01-01T00:00:00Z'),
        xTwilioWebhookEnabled: 'true',
      });
      assert.equal(u.attributes, '{"vip":true}');
      assert.equal(u.roleSid, RL2);
      assert.deepEqual(u.messagingBinding, { type: 'sms', address: '+15557770001', proxy_address: '+15550005555' });
      assert.equal(u.lastReadMessageIndex, 3);
      assert.equal(u.lastReadTimestamp, '2026-01-15T09:00:01Z');
      assert.equal(u.dateCreated.toISOString(), '2025-01-01T00:00:00.000Z');
      assert.equal(u.dateUpdated.getTime(), t.clock.now());
      const other = await cv.conversations.create();
      await cv.conversations(other.sid).participants.create({ 'messagingBinding.address': '+15557770001', 'messagingBinding.proxyAddress': '+15550004444' });
      await rejects(cv.conversations(c.sid).participants(sms.sid).update({ 'messagingBinding.proxyAddress': '+15550004444' }), 409, 50416);
      // Identities: only a projected chat participant without one can get one (50444); never an SMS one (50211).
      await rejects(cv.conversations(c.sid).participants(sms.sid).update({ identity: 'nope' }), 400, 50211);
      const chat = await cv.conversations(c.sid).participants.create({ identity: 'carol' });
      await rejects(cv.conversations(c.sid).participants(chat.sid).update({ identity: 'carol2' }), 400, 50444);
      const chat2 = await cv.conversations(c.sid).participants('carol').update({ 'messagingBinding.projectedAddress': '+15017122661', lastReadMessageIndex: 0 });
      assert.deepEqual(chat2.messagingBinding, { type: 'sms', projected_address: '+15017122661' });
      assert.equal(chat2.lastReadMessageIndex, 0);
      const updated = (await eventsOf(t, c.sid)).filter((e) => e.type === 'onParticipantUpdated');
      assert.equal(updated.length, 2);
    });

    test('list in creation order, pages of 1..100; delete by SID or identity', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create();
      for (const id of ['p1', 'p2', 'p3']) await cv.conversations(c.sid).participants.create({ identity: id });
      assert.deepEqual((await cv.conversations(c.sid).participants.list()).map((p) => p.identity), ['p1', 'p2', 'p3']);
      const page = await cv.conversations(c.sid).participants.page({ pageSize: 2 });
      assert.equal(page.instances.length, 2);
      assert.deepEqual((await page.nextPage())?.instances.map((p) => p.identity), ['p3']);
      await rejects(cv.conversations(c.sid).participants.page({ pageSize: 101 }), 400, 20001);
      assert.equal(await cv.conversations(c.sid).participants('p2').remove({ xTwilioWebhookEnabled: 'false' }), true);
      const p3 = (await cv.conversations(c.sid).participants.list()).find((p) => p.identity === 'p3');
      assert.equal(await cv.conversations(c.sid).participants(p3!.sid).remove(), true);
      assert.deepEqual((await cv.conversations(c.sid).participants.list()).map((p) => p.identity), ['p1']);
      await rejects(cv.conversations(c.sid).participants('p2').fetch(), 404, 20404);
      await rejects(cv.conversations(c.sid).participants('MB' + '0'.repeat(32)).remove(), 404, 20404);
      assert.equal((await eventsOf(t, c.sid)).filter((e) => e.type === 'onParticipantRemoved').length, 2);
    });

    test('ParticipantConversations: the conversations an identity or an address is in', async () => {
      const cv = t.client.conversations.v1;
      const a = await cv.conversations.create({ friendlyName: 'A', uniqueName: 'pc-a', attributes: '{"k":1}' });
      const b = await cv.conversations.create({ friendlyName: 'B' });
      await cv.conversations(a.sid).participants.create({ identity: 'dana' });
      await cv.conversations(b.sid).participants.create({ identity: 'dana' });
      await cv.conversations(b.sid).update({ state: 'closed' });
      const byIdentity = await cv.participantConversations.list({ identity: 'dana' });
      assert.deepEqual(byIdentity.map((x) => x.conversationSid), [a.sid, b.sid]);
      const [first] = byIdentity;
      assert.equal(first.participantIdentity, 'dana');
      assert.equal(first.conversationUniqueName, 'pc-a');
      assert.equal(first.conversationFriendlyName, 'A');
      assert.equal(first.conversationAttributes, '{"k":1}');
      assert.equal(first.conversationState, 'active');
      assert.equal(first.participantMessagingBinding, null);
      assert.equal(byIdentity[1].conversationState, 'closed');
      assert.ok(first.links.conversation.endsWith(`/v1/Conversations/${a.sid}`));
      await cv.conversations(a.sid).participants.create({ 'messagingBinding.address': '+15550102030', 'messagingBinding.proxyAddress': '+15550000001' });
      const byAddress = await cv.participantConversations.list({ address: '+15550102030' });
      assert.equal(byAddress.length, 1);
      assert.deepEqual(byAddress[0].participantMessagingBinding, { type: 'sms', address: '+15550102030', proxy_address: '+15550000001' });
      assert.deepEqual(await cv.participantConversations.list({ identity: 'nobody' }), []);
      await rejects(cv.participantConversations.list(), 400, 20001);
      await rejects(cv.participantConversations.page({ identity: 'dana', pageSize: 51 }), 400, 20001);
    });
  });
}
