import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, conformanceChecks, startServer, type TestServer } from '../support/server.ts';
import { eventsOf, rejects } from './conversations-helpers.ts';
import { anotherService } from './conversations-access-helpers.ts';

for (const backend of backends()) {
  describe(`conversations: users and user conversations (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    /** A fresh account, so each test sees only its own users. */
    const account = async () => {
      const { client } = await t.newAccount();
      const cv = client.conversations.v1;
      const serviceSid = (await cv.configuration().fetch()).defaultChatServiceSid;
      const roles = await cv.roles.list();
      const role = (name: string) => roles.find((r) => r.friendlyName === name)!.sid;
      return { cv, serviceSid, role, service: () => anotherService(t, client) };
    };

    test('create with every parameter, fetch by SID or identity, list, update, delete; account-level and service-scoped paths agree', async () => {
      const checked = conformanceChecks.count;
      const { cv, serviceSid, role } = await account();
      const u = await cv.users.create({ identity: 'alice', friendlyName: 'Alice', attributes: '{"team":"red"}', roleSid: role('service admin'), xTwilioWebhookEnabled: 'true' });
      assert.match(u.sid, /^US[0-9a-f]{32}$/);
      assert.equal(u.chatServiceSid, serviceSid);
      assert.equal(u.identity, 'alice');
      assert.equal(u.friendlyName, 'Alice');
      assert.equal(u.attributes, '{"team":"red"}');
      assert.equal(u.roleSid, role('service admin'));
      assert.equal(u.isOnline, null);
      assert.ok(u.url.endsWith(`/v1/Users/${u.sid}`));
      assert.ok(u.links.user_conversations.endsWith(`/v1/Users/${u.sid}/Conversations`));
      assert.deepEqual((await cv.users('alice').fetch()).toJSON(), (await cv.users(u.sid).fetch()).toJSON());
      const scoped = await cv.services(serviceSid).users(u.sid).fetch();
      assert.equal(scoped.identity, 'alice');
      assert.ok(scoped.url.endsWith(`/v1/Services/${serviceSid}/Users/${u.sid}`));
      const b = await cv.services(serviceSid).users.create({ identity: 'bob' });
      assert.equal(b.roleSid, role('service user'), 'the default service role');
      assert.equal(b.friendlyName, null);
      assert.equal(b.attributes, '{}');
      assert.deepEqual((await cv.users.list()).map((x) => x.identity), ['alice', 'bob']);
      assert.deepEqual((await cv.users.list({ pageSize: 1 })).map((x) => x.identity), ['alice', 'bob'], 'paged');
      t.clock.advance(1000);
      const updated = await cv.users('bob').update({ friendlyName: 'Bob', attributes: '{"a":1}', roleSid: role('service admin') });
      assert.equal(updated.friendlyName, 'Bob');
      assert.equal(updated.attributes, '{"a":1}');
      assert.equal(updated.roleSid, role('service admin'));
      assert.equal(updated.dateUpdated.getTime() - updated.dateCreated.getTime(), 1000);
      assert.equal(await cv.users(b.sid).remove(), true);
      await rejects(cv.users(b.sid).fetch(), 404, 20404);
      await rejects(cv.users('bob').fetch(), 404, 20404);
      assert.ok(conformanceChecks.count > checked, 'responses were checked against the spec');
    });

    test('an identity is unique within a service (50201, 409), not across services or accounts', async () => {
      const { cv, service } = await account();
      await cv.users.create({ identity: 'dup' });
      await rejects(cv.users.create({ identity: 'dup' }), 409, 50201);
      const other = await service();
      const there = await cv.services(other.sid).users.create({ identity: 'dup' });
      assert.equal(there.chatServiceSid, other.sid);
      assert.notEqual(there.roleSid, (await cv.users('dup').fetch()).roleSid, "each service's own default role");
      assert.deepEqual((await cv.services(other.sid).users.list()).map((x) => x.sid), [there.sid]);
      const results = await Promise.allSettled([0, 1, 2].map(() => cv.users.create({ identity: 'race' })));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code: number }).code, 50201);
    });

    test('another account or another service cannot see, change or delete a user', async () => {
      const { cv, service } = await account();
      const u = await cv.users.create({ identity: 'mine' });
      const { client } = await t.newAccount();
      const foreign = client.conversations.v1;
      await rejects(foreign.users(u.sid).fetch(), 404, 20404);
      await rejects(foreign.users('mine').update({ friendlyName: 'x' }), 404, 20404);
      await rejects(foreign.users(u.sid).remove(), 404, 20404);
      assert.deepEqual(await foreign.users.list(), []);
      const second = await service();
      await rejects(cv.services(second.sid).users(u.sid).fetch(), 404, 20404);
      await rejects(cv.services(second.sid).users('mine').remove(), 404, 20404);
      assert.equal((await cv.users(u.sid).fetch()).identity, 'mine');
    });

    test('a RoleSid must name a service role of the same service (50100)', async () => {
      const { cv, role, service } = await account();
      await rejects(cv.users.create({ identity: 'x', roleSid: role('channel user') }), 400, 50100, /service role/);
      await rejects(cv.users.create({ identity: 'x', roleSid: 'RL' + '0'.repeat(32) }), 400, 50100);
      const second = await service();
      const elsewhere = (await cv.services(second.sid).roles.list()).find((r) => r.friendlyName === 'service admin')!.sid;
      await rejects(cv.users.create({ identity: 'x', roleSid: elsewhere }), 400, 50100);
      await cv.users.create({ identity: 'y' });
      await rejects(cv.users('y').update({ roleSid: role('channel admin') }), 400, 50100);
      assert.deepEqual((await cv.users.list()).map((u) => u.identity), ['y'], 'nothing made by the refusals');
    });

    test('a chat participant makes its user implicitly, with the default roles; a messaging participant makes none', async () => {
      const { cv, role } = await account();
      const c = await cv.conversations.create();
      const p = await cv.conversations(c.sid).participants.create({ identity: 'carol' });
      assert.equal(p.roleSid, role('channel user'), 'the default conversation role');
      const carol = await cv.users('carol').fetch();
      assert.equal(carol.roleSid, role('service user'));
      const c2 = await cv.conversations.create();
      await cv.conversations(c2.sid).participants.create({ identity: 'carol', roleSid: role('channel admin') });
      assert.equal((await cv.users.list()).length, 1, 'one user for the identity');
      const sms = await cv.conversations(c.sid).participants.create({ 'messagingBinding.address': '+15550001234', 'messagingBinding.proxyAddress': '+15550009876' });
      assert.equal(sms.roleSid, role('channel user'));
      assert.deepEqual((await cv.users.list()).map((u) => u.identity), ['carol']);
      // A user made beforehand keeps its own role.
      await cv.users.create({ identity: 'dave', roleSid: role('service admin') });
      await cv.conversations(c.sid).participants.create({ identity: 'dave' });
      assert.equal((await cv.users('dave').fetch()).roleSid, role('service admin'));
    });

    test("a user's conversations: those of its service it is in, with the read state; fetched by SID or unique name", async () => {
      const { cv, serviceSid, service } = await account();
      const a = await cv.conversations.create({ uniqueName: 'first', friendlyName: 'First', attributes: '{"k":1}' });
      const b = await cv.conversations.create({ uniqueName: 'second' });
      await cv.conversations.create({ uniqueName: 'not-in' });
      const pa = await cv.conversations(a.sid).participants.create({ identity: 'erin' });
      await cv.conversations(b.sid).participants.create({ identity: 'erin' });
      const other = await service();
      const elsewhere = await cv.services(other.sid).conversations.create({ uniqueName: 'first' });
      await cv.services(other.sid).conversations(elsewhere.sid).participants.create({ identity: 'erin' });
      const user = await cv.users('erin').fetch();
      const list = await cv.users('erin').userConversations.list();
      assert.deepEqual(list.map((x) => x.conversationSid), [a.sid, b.sid]);
      const uc = list[0];
      assert.equal(uc.chatServiceSid, serviceSid);
      assert.equal(uc.participantSid, pa.sid);
      assert.equal(uc.userSid, user.sid);
      assert.equal(uc.friendlyName, 'First');
      assert.equal(uc.uniqueName, 'first');
      assert.equal(uc.attributes, '{"k":1}');
      assert.equal(uc.conversationState, 'active');
      assert.equal(uc.notificationLevel, 'default');
      assert.equal(uc.lastReadMessageIndex, null);
      assert.equal(uc.unreadMessagesCount, null, 'no read horizon yet');
      assert.ok(uc.url.endsWith(`/v1/Users/${user.sid}/Conversations/${a.sid}`));
      assert.ok(uc.links.participant.endsWith(`/v1/Conversations/${a.sid}/Participants/${pa.sid}`));
      assert.deepEqual((await cv.users(user.sid).userConversations('first').fetch()).toJSON(), (await cv.users('erin').userConversations(a.sid).fetch()).toJSON());
      const scoped = await cv.services(other.sid).users('erin').userConversations.list();
      assert.deepEqual(scoped.map((x) => x.conversationSid), [elsewhere.sid], "the other service's own");
      assert.ok(scoped[0].url.includes(`/v1/Services/${other.sid}/Users/`));
      assert.equal((await cv.services(other.sid).users('erin').userConversations('first').fetch()).conversationSid, elsewhere.sid);
      await rejects(cv.users('erin').userConversations('not-in').fetch(), 404, 20404);
      await rejects(cv.users('nobody').userConversations.list(), 404, 20404);
    });

    test('update: notification level, read horizon and unread count; delete: the user leaves the conversation', async () => {
      const { cv } = await account();
      const c = await cv.conversations.create();
      const p = await cv.conversations(c.sid).participants.create({ identity: 'fay' });
      for (let i = 0; i < 4; i++) await cv.conversations(c.sid).messages.create({ body: `m${i}` });
      const muted = await cv.users('fay').userConversations(c.sid).update({ notificationLevel: 'muted' });
      assert.equal(muted.notificationLevel, 'muted');
      const read = await cv.users('fay').userConversations(c.sid).update({ lastReadMessageIndex: 1, lastReadTimestamp: new Date('2026-01-15T09:00:00Z') });
      assert.equal(read.lastReadMessageIndex, 1);
      assert.equal(read.unreadMessagesCount, 2);
      assert.equal(read.notificationLevel, 'muted', 'kept');
      const participant = await cv.conversations(c.sid).participants(p.sid).fetch();
      assert.equal(participant.lastReadMessageIndex, 1, 'the read horizon is the participant’s');
      assert.equal((await eventsOf(t, c.sid)).at(-1)?.type, 'onParticipantUpdated');
      await cv.conversations(c.sid).messages.create({ body: 'later' });
      assert.equal((await cv.users('fay').userConversations(c.sid).fetch()).unreadMessagesCount, 3);
      assert.equal(await cv.users('fay').userConversations(c.sid).remove(), true);
      await rejects(cv.conversations(c.sid).participants(p.sid).fetch(), 404, 20404);
      await rejects(cv.users('fay').userConversations(c.sid).fetch(), 404, 20404);
      assert.equal((await eventsOf(t, c.sid)).at(-1)?.type, 'onParticipantRemoved');
      assert.equal((await cv.users('fay').fetch()).identity, 'fay', 'the user stays');
    });

    test("another account cannot reach a user's conversations", async () => {
      const { cv } = await account();
      const c = await cv.conversations.create();
      await cv.conversations(c.sid).participants.create({ identity: 'gil' });
      const user = await cv.users('gil').fetch();
      const foreign = (await t.newAccount()).client.conversations.v1;
      await rejects(foreign.users(user.sid).userConversations.list(), 404, 20404);
      await rejects(foreign.users(user.sid).userConversations(c.sid).update({ notificationLevel: 'muted' }), 404, 20404);
      await rejects(foreign.users(user.sid).userConversations(c.sid).remove(), 404, 20404);
      assert.equal((await cv.users('gil').userConversations(c.sid).fetch()).notificationLevel, 'default');
    });
  });
}
