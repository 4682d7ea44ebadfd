import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, checkConformance, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';
import { conversationRows, eventsOf, inbound, rejects } from './conversations-helpers.ts';

const ON = { xTwilioWebhookEnabled: 'true' } as const;
const CR = 'CR' + 'c'.repeat(32);

for (const backend of backends()) {
  describe(`conversations: services (${backend.name})`, () => {
    let t: TestServer;
    let rx: Receiver;
    before(async () => {
      t = await startServer(backend, { conversationDeliveries: { retryBaseMs: 1_000, maxAttempts: 2, timeoutMs: 2_000 } });
      rx = await startReceiver();
    });
    after(async () => {
      await rx.close();
      await t.close();
    });
    const flush = () => t.server.conversationDeliveries.flush();
    const fresh = () => {
      rx.requests.length = 0;
      rx.answer = () => ({ status: 204 });
    };

    test('services: created, listed beside the default, fetched, deleted; another account sees none of them', async () => {
      const { client } = await t.newAccount();
      const cv = client.conversations.v1;
      const { defaultChatServiceSid } = await cv.configuration().fetch();
      const s = await cv.services.create({ friendlyName: 'support' });
      assert.match(s.sid, /^IS[0-9a-f]{32}$/);
      assert.equal(s.friendlyName, 'support');
      assert.ok(s.url.endsWith(`/v1/Services/${s.sid}`));
      for (const link of ['conversations', 'users', 'roles', 'bindings', 'configuration', 'participant_conversations', 'conversation_with_participants'])
        assert.ok(s.links[link].startsWith(`${s.url}/`), link);
      const listed = await cv.services.list();
      assert.deepEqual(listed.map((x) => x.sid), [defaultChatServiceSid, s.sid], 'the default first, then in creation order');
      assert.equal((await cv.services(s.sid).fetch()).friendlyName, 'support');
      const other = await t.newAccount();
      await rejects(other.client.conversations.v1.services(s.sid).fetch(), 404, 20404);
      await rejects(other.client.conversations.v1.services(s.sid).remove(), 404, 20404);
      await rejects(other.client.conversations.v1.services(s.sid).conversations.list(), 404, 20404);
      assert.equal(await cv.services(s.sid).remove(), true);
      await rejects(cv.services(s.sid).fetch(), 404, 20404);
      assert.deepEqual((await cv.services.list()).map((x) => x.sid), [defaultChatServiceSid]);
    });

    test("the default service cannot be deleted until another is the default; account-level paths then act on the new default", async () => {
      const { client } = await t.newAccount();
      const cv = client.conversations.v1;
      const first = (await cv.configuration().fetch()).defaultChatServiceSid;
      const old = await cv.conversations.create({ uniqueName: 'old' });
      await rejects(cv.services(first).remove(), 400, 20001, /default/);
      const next = await cv.services.create({ friendlyName: 'next' });
      assert.equal((await cv.configuration().update({ defaultChatServiceSid: next.sid })).defaultChatServiceSid, next.sid);
      const c = await cv.conversations.create({ uniqueName: 'old' });
      assert.equal(c.chatServiceSid, next.sid, 'new conversations go to the new default');
      assert.deepEqual((await cv.conversations.list()).map((x) => x.sid), [c.sid]);
      await rejects(cv.conversations(old.sid).fetch(), 404, 20404);
      assert.equal((await cv.services(first).conversations('old').fetch()).sid, old.sid);
      await rejects(cv.services(next.sid).remove(), 400, 20001);
      assert.equal(await cv.services(first).remove(), true);
      await rejects(cv.configuration().update({ defaultChatServiceSid: first }), 400, 20001);
    });

    test('every conversation resource works in any service, and only there', async () => {
      const { client } = await t.newAccount();
      const cv = client.conversations.v1;
      const a = cv.services((await cv.services.create({ friendlyName: 'a' })).sid);
      const bSid = (await cv.services.create({ friendlyName: 'b' })).sid;
      const b = cv.services(bSid);
      const ca = await a.conversations.create({ uniqueName: 'same', friendlyName: 'in a' });
      const cb = await b.conversations.create({ uniqueName: 'same', friendlyName: 'in b', 'timers.closed': 'PT30M' });
      assert.equal(cb.chatServiceSid, bSid);
      assert.ok(cb.url.endsWith(`/v1/Services/${bSid}/Conversations/${cb.sid}`));
      assert.equal((await b.conversations('same').fetch()).sid, cb.sid, 'unique names are per service');
      assert.equal((await a.conversations('same').fetch()).sid, ca.sid);
      await rejects(b.conversations.create({ uniqueName: 'same' }), 409, 50353);
      assert.deepEqual((await b.conversations.list()).map((x) => x.sid), [cb.sid]);
      assert.deepEqual((await cv.conversations.list()).map((x) => x.sid), [], 'the default service has none');
      await rejects(a.conversations(cb.sid).fetch(), 404, 20404);
      await rejects(cv.conversations(cb.sid).fetch(), 404, 20404);
      await rejects(a.conversations(cb.sid).update({ friendlyName: 'x' }), 404, 20404);
      await rejects(a.conversations(cb.sid).participants.create({ identity: 'x' }), 404, 20404);
      await rejects(a.conversations(cb.sid).messages.create({ body: 'x' }), 404, 20404);
      await rejects(a.conversations(cb.sid).remove(), 404, 20404);
      assert.equal((await b.conversations('same').update({ friendlyName: 'renamed' })).friendlyName, 'renamed');

      const p = await b.conversations(cb.sid).participants.create({ identity: 'bob' });
      assert.equal(p.chatServiceSid, bSid);
      assert.equal((await b.conversations('same').participants('bob').fetch()).sid, p.sid);
      assert.equal((await b.conversations(cb.sid).participants(p.sid).update({ attributes: '{"x":1}' })).attributes, '{"x":1}');
      const sms = await b.conversations(cb.sid).participants.create({ 'messagingBinding.address': '+15550001111', 'messagingBinding.proxyAddress': '+15550002222' });
      assert.equal((await b.conversations(cb.sid).participants.list()).length, 2);
      const m = await b.conversations(cb.sid).messages.create({ author: 'bob', body: 'hello' });
      assert.equal(m.chatServiceSid, bSid);
      assert.equal(m.participantSid, p.sid);
      assert.equal((await b.conversations(cb.sid).messages(m.sid).update({ body: 'edited' })).body, 'edited');
      assert.equal((await b.conversations(cb.sid).messages.list())[0].body, 'edited');
      await t.server.conversations.messages.recordReceipt(cb.accountSid, cb.sid, m.sid, { participantSid: sms.sid, status: 'delivered' });
      const receipts = await b.conversations(cb.sid).messages(m.sid).deliveryReceipts.list();
      assert.equal(receipts.length, 1);
      assert.equal(receipts[0].chatServiceSid, bSid);
      assert.equal((await b.conversations(cb.sid).messages(m.sid).deliveryReceipts(receipts[0].sid).fetch()).status, 'delivered');
      await rejects(a.conversations(cb.sid).messages(m.sid).deliveryReceipts.list(), 404, 20404);
      const w = await b.conversations(cb.sid).webhooks.create({ target: 'webhook', 'configuration.url': 'https://example.com/h', 'configuration.filters': ['onMessageAdded'] });
      assert.equal(w.chatServiceSid, bSid);
      assert.equal((await b.conversations(cb.sid).webhooks.list()).length, 1);
      assert.equal((await b.conversations(cb.sid).webhooks(w.sid).update({ 'configuration.url': 'https://example.com/h2' })).configuration.url, 'https://example.com/h2');
      await rejects(a.conversations(cb.sid).webhooks(w.sid).fetch(), 404, 20404);
      assert.equal(await b.conversations(cb.sid).webhooks(w.sid).remove(), true);

      await a.conversations(ca.sid).participants.create({ identity: 'bob' });
      const inB = await b.participantConversations.list({ identity: 'bob' });
      assert.deepEqual(inB.map((x) => [x.conversationSid, x.chatServiceSid]), [[cb.sid, bSid]]);
      assert.deepEqual((await a.participantConversations.list({ identity: 'bob' })).map((x) => x.conversationSid), [ca.sid]);
      assert.deepEqual(await cv.participantConversations.list({ identity: 'bob' }), [], 'account level: the default service only');

      assert.equal(await b.conversations(cb.sid).messages(m.sid).remove(), true);
      assert.equal(await b.conversations(cb.sid).participants(sms.sid).remove(), true);
      assert.equal(await b.conversations('same').remove(), true);
      await rejects(b.conversations(cb.sid).fetch(), 404, 20404);
      assert.equal((await a.conversations('same').fetch()).sid, ca.sid, "the other service's conversation is untouched");
    });

    test("deleting a service takes its conversations, participants, messages, webhooks, timers and bindings with it, and nothing else", async () => {
      const { account, client } = await t.newAccount();
      const cv = client.conversations.v1;
      const gone = await cv.services.create({ friendlyName: 'gone' });
      const kept = await cv.services.create({ friendlyName: 'kept' });
      const seed = async (sid: string) => {
        const c = await cv.services(sid).conversations.create({ 'timers.inactive': 'PT5M' });
        await cv.services(sid).conversations(c.sid).participants.create({ identity: 'ann' });
        await cv.services(sid).conversations(c.sid).participants.create({ 'messagingBinding.address': `+1555${sid.slice(-7)}`, 'messagingBinding.proxyAddress': '+15559990000' });
        await cv.services(sid).conversations(c.sid).messages.create({ author: 'ann', body: 'hi' });
        await cv.services(sid).conversations(c.sid).webhooks.create({ target: 'studio', 'configuration.flowSid': 'FW' + '1'.repeat(32) });
        await t.server.conversations.bindings.register(account.accountSid, sid, { identity: 'ann', bindingType: 'fcm', address: `token-${sid}`, endpoint: 'ann-device' });
        return c;
      };
      const doomed = await seed(gone.sid);
      const survivor = await seed(kept.sid);
      const count = async (table: string, column: string, value: string) =>
        Number((await t.server.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`, [value]))?.n);
      assert.equal(await cv.services(gone.sid).remove(), true);
      for (const table of ['conversation_participants', 'conversation_messages', 'conversation_webhooks', 'conversation_timers'])
        assert.equal(await count(table, 'conversation_sid', doomed.sid), 0, table);
      assert.equal(await count('conversations', 'chat_service_sid', gone.sid), 0);
      assert.equal(await count('conversation_bindings', 'chat_service_sid', gone.sid), 0);
      assert.equal((await eventsOf(t, doomed.sid)).at(-1)?.type, 'onConversationRemoved', 'readers of the events learn the conversation is gone');
      for (const table of ['conversation_participants', 'conversation_messages', 'conversation_webhooks', 'conversation_timers'])
        assert.ok((await count(table, 'conversation_sid', survivor.sid)) > 0, table);
      assert.equal((await cv.services(kept.sid).bindings.list()).length, 1);
      await rejects(cv.services(gone.sid).bindings.list(), 404, 20404);
      // The freed binding (address + proxy) can be used again.
      const again = await cv.conversations.create();
      await cv.conversations(again.sid).participants.create({ 'messagingBinding.address': `+1555${gone.sid.slice(-7)}`, 'messagingBinding.proxyAddress': '+15559990000' });
    });

    test('an address configuration creates conversations in the service it names; that service stays while it does', async () => {
      const cv = t.client.conversations.v1;
      const s = await cv.services.create({ friendlyName: 'sms line' });
      const a = await cv.addressConfigurations.create({ type: 'sms', address: '+15550606060', 'autoCreation.enabled': true, 'autoCreation.type': 'default', 'autoCreation.conversationServiceSid': s.sid });
      assert.equal(a.autoCreation.conversation_service_sid ?? s.sid, s.sid);
      const res = await inbound(t, { From: '+15550707070', To: '+15550606060', Body: 'hello' });
      assert.equal(res.status, 200);
      const [c] = await cv.services(s.sid).conversations.list();
      assert.ok(c, 'the conversation is in the named service');
      assert.equal((await cv.services(s.sid).conversations(c.sid).messages.list())[0].body, 'hello');
      await rejects(cv.services(s.sid).remove(), 400, 20001, /Address configuration/);
      await rejects(cv.addressConfigurations.create({ type: 'sms', address: '+15550606061', 'autoCreation.conversationServiceSid': 'IS' + '0'.repeat(32) }), 400, 20001);
      await cv.addressConfigurations(a.sid).remove();
      assert.equal(await cv.services(s.sid).remove(), true);
    });

    test('at once: first use makes one default service; a service deleted while written to keeps nothing and answers no 5xx', async () => {
      const { client } = await t.newAccount();
      const cv = client.conversations.v1;
      const firsts = await Promise.all([cv.services.list(), cv.configuration().fetch(), cv.conversations.create(), cv.services.list(), cv.configuration().fetch()]);
      assert.equal((await cv.services.list()).length, 1, 'one default service');
      assert.equal((firsts[2] as { chatServiceSid: string }).chatServiceSid, (firsts[1] as { defaultChatServiceSid: string }).defaultChatServiceSid);

      const s = await cv.services.create({ friendlyName: 'doomed' });
      const c = await cv.services(s.sid).conversations.create();
      await cv.services(s.sid).conversations(c.sid).participants.create({ identity: 'ann' });
      const writes = [
        ...Array.from({ length: 6 }, (_, i) => cv.services(s.sid).conversations(c.sid).messages.create({ author: 'ann', body: `m${i}` })),
        ...Array.from({ length: 3 }, (_, i) => cv.services(s.sid).conversations(c.sid).participants.create({ identity: `p${i}` })),
        ...Array.from({ length: 3 }, () => cv.services(s.sid).conversations.create()),
        cv.services(s.sid).remove(),
        ...Array.from({ length: 3 }, (_, i) => cv.services(s.sid).conversations(c.sid).messages.create({ author: 'ann', body: `late${i}` })),
      ];
      const results = await Promise.allSettled(writes);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { status: number }).status, 404, String(r.reason));
      assert.equal(results.at(-4)?.status, 'fulfilled', 'the deletion went through');
      for (const [table, column] of [['conversations', 'chat_service_sid'], ['conversation_bindings', 'chat_service_sid']])
        assert.equal(Number((await t.server.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`, [s.sid]))?.n), 0, table);
      const orphans = await t.server.db.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM conversation_messages m WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.sid = m.conversation_sid)',
      );
      assert.equal(Number(orphans?.n), 0);
    });

    test('service Configuration: role defaults and reachability, stored and shown per service', async () => {
      const { client } = await t.newAccount();
      const cv = client.conversations.v1;
      const s = await cv.services.create({ friendlyName: 'cfg' });
      const initial = await cv.services(s.sid).configuration().fetch();
      assert.equal(initial.chatServiceSid, s.sid);
      assert.equal(initial.reachabilityEnabled, false);
      assert.ok(initial.url.endsWith(`/v1/Services/${s.sid}/Configuration`));
      assert.ok(initial.links.notifications.endsWith(`/v1/Services/${s.sid}/Configuration/Notifications`));
      assert.ok(initial.links.webhooks.endsWith(`/v1/Services/${s.sid}/Configuration/Webhooks`));
      const builtin = await cv.services(s.sid).roles.list();
      const named = (n: string) => builtin.find((r) => r.friendlyName === n)?.sid;
      assert.equal(initial.defaultChatServiceRoleSid, named('service user'), "the service's built-in roles until others are set");
      assert.equal(initial.defaultConversationRoleSid, named('channel user'));
      assert.equal(initial.defaultConversationCreatorRoleSid, named('channel admin'));
      const member = await cv.services(s.sid).roles.create({ friendlyName: 'member', type: 'conversation', permission: ['sendMessage'] });
      const owner = await cv.services(s.sid).roles.create({ friendlyName: 'owner', type: 'conversation', permission: ['sendMessage', 'deleteAnyMessage'] });
      const user = await cv.services(s.sid).roles.create({ friendlyName: 'user', type: 'service', permission: ['createConversation'] });
      const u = await cv.services(s.sid).configuration().update({
        defaultConversationCreatorRoleSid: owner.sid,
        defaultConversationRoleSid: member.sid,
        defaultChatServiceRoleSid: user.sid,
        reachabilityEnabled: true,
      });
      assert.equal(u.defaultConversationCreatorRoleSid, owner.sid);
      assert.equal(u.defaultConversationRoleSid, member.sid);
      assert.equal(u.defaultChatServiceRoleSid, user.sid);
      assert.equal(u.reachabilityEnabled, true);
      const c = await cv.services(s.sid).conversations.create();
      assert.equal((await cv.services(s.sid).conversations(c.sid).participants.create({ identity: 'dora' })).roleSid, member.sid, 'new participants get the configured role');
      assert.deepEqual((await cv.services(s.sid).configuration().fetch()).toJSON(), u.toJSON());
      const { defaultChatServiceSid } = await cv.configuration().fetch();
      assert.equal((await cv.services(defaultChatServiceSid).configuration().fetch()).reachabilityEnabled, false, 'per service');
      await rejects(cv.services(s.sid).configuration().update({ defaultConversationRoleSid: 'RL123' }), 400, 20001);
      await rejects(cv.services(s.sid).configuration().update({ defaultConversationRoleSid: user.sid }), 400, 50100, /conversation role/);
      await rejects(cv.services(s.sid).configuration().update({ defaultChatServiceRoleSid: member.sid }), 400, 50100);
      const elsewhere = await cv.roles.create({ friendlyName: 'elsewhere', type: 'conversation', permission: ['sendMessage'] });
      await rejects(cv.services(s.sid).configuration().update({ defaultConversationRoleSid: elsewhere.sid }), 400, 50100, /not a conversation role of/);
      assert.equal((await cv.services(s.sid).configuration().fetch()).defaultConversationRoleSid, member.sid, 'refused updates change nothing');
      await rejects(cv.services('IS' + '0'.repeat(32)).configuration().fetch(), 404, 20404);
    });

    test('service Notifications: push settings stored and shown per service (nothing is pushed)', async () => {
      const { client } = await t.newAccount();
      const cv = client.conversations.v1;
      const s = await cv.services.create({ friendlyName: 'push' });
      const initial = await cv.services(s.sid).configuration.notifications().fetch();
      assert.equal(initial.chatServiceSid, s.sid);
      assert.equal(initial.logEnabled, false);
      assert.deepEqual(initial.newMessage, { enabled: false, template: null, sound: null, badge_count_enabled: false, with_media: { enabled: false, template: null } });
      assert.deepEqual(initial.addedToConversation, { enabled: false, template: null, sound: null });
      assert.deepEqual(initial.removedFromConversation, { enabled: false, template: null, sound: null });
      assert.ok(initial.url.endsWith(`/v1/Services/${s.sid}/Configuration/Notifications`));
      const u = await cv.services(s.sid).configuration.notifications().update({
        logEnabled: true,
        'newMessage.enabled': true,
        'newMessage.template': 'New in ${CONVERSATION}: ${MESSAGE}',
        'newMessage.sound': 'ring',
        'newMessage.badgeCountEnabled': true,
        'newMessage.withMedia.enabled': true,
        'newMessage.withMedia.template': '${MEDIA_COUNT} files',
        'addedToConversation.enabled': true,
        'addedToConversation.template': 'Added to ${CONVERSATION}',
      });
      assert.equal(u.logEnabled, true);
      assert.deepEqual(u.newMessage, { enabled: true, template: 'New in ${CONVERSATION}: ${MESSAGE}', sound: 'ring', badge_count_enabled: true, with_media: { enabled: true, template: '${MEDIA_COUNT} files' } });
      assert.deepEqual(u.addedToConversation, { enabled: true, template: 'Added to ${CONVERSATION}', sound: null });
      const v = await cv.services(s.sid).configuration.notifications().update({ 'removedFromConversation.sound': 'bell', 'newMessage.enabled': false });
      assert.deepEqual(v.removedFromConversation, { enabled: false, template: null, sound: 'bell' });
      assert.equal(v.newMessage.enabled, false);
      assert.equal(v.newMessage.template, 'New in ${CONVERSATION}: ${MESSAGE}', 'what is not given is kept');
      await rejects(cv.services(s.sid).configuration.notifications().update({ logEnabled: 'maybe' as unknown as boolean }), 400, 20001);
    });

    test('service Webhooks: stored and shown; they replace the account webhooks for that service only (pre and post)', async () => {
      fresh();
      const { client } = await t.newAccount();
      const cv = client.conversations.v1;
      const s = await cv.services.create({ friendlyName: 'hooked' });
      const initial = await cv.services(s.sid).configuration.webhooks().fetch();
      assert.equal(initial.chatServiceSid, s.sid);
      assert.equal(initial.method, 'POST');
      assert.deepEqual(initial.filters, []);
      assert.equal(initial.preWebhookUrl, null);
      assert.equal(initial.postWebhookUrl, null);
      assert.ok(initial.url.endsWith(`/v1/Services/${s.sid}/Configuration/Webhooks`));
      await cv.configuration.webhooks().update({ postWebhookUrl: `${rx.url}/account`, preWebhookUrl: `${rx.url}/account-pre`, filters: ['onConversationAdded', 'onMessageAdd', 'onMessageAdded'] });
      // Before the service has hooks of its own, the account's fire for it too.
      const early = await cv.services(s.sid).conversations.create({ friendlyName: 'early', ...ON });
      await flush(); // webhook settings are read when events are fanned out
      const u = await cv.services(s.sid).configuration.webhooks().update({
        postWebhookUrl: `${rx.url}/service`,
        preWebhookUrl: `${rx.url}/service-pre`,
        filters: ['onMessageAdd', 'onMessageAdded', 'onParticipantAdded'],
        method: 'POST',
      });
      assert.equal(u.postWebhookUrl, `${rx.url}/service`);
      assert.deepEqual(u.filters, ['onMessageAdd', 'onMessageAdded', 'onParticipantAdded']);
      const inService = await cv.services(s.sid).conversations.create({ friendlyName: 'scoped', ...ON }); // onConversationAdded: not in the service's filters
      await cv.services(s.sid).conversations(inService.sid).participants.create({ identity: 'ann', ...ON });
      await cv.services(s.sid).conversations(inService.sid).webhooks.create({ target: 'webhook', 'configuration.url': `${rx.url}/scoped`, 'configuration.filters': ['onMessageAdded'] });
      await cv.services(s.sid).conversations(inService.sid).messages.create({ author: 'ann', body: 'in the service', ...ON });
      const inDefault = await cv.conversations.create({ friendlyName: 'default', ...ON });
      await cv.conversations(inDefault.sid).messages.create({ body: 'in the default', ...ON });
      await flush();
      const seen = (path: string) => rx.requests.filter((r) => new URL(r.url).pathname === path).map((r) => [r.params.EventType, r.params.ConversationSid, r.params.ChatServiceSid]);
      assert.deepEqual(seen('/account'), [
        ['onConversationAdded', early.sid, s.sid],
        ['onConversationAdded', inDefault.sid, inDefault.chatServiceSid],
        ['onMessageAdded', inDefault.sid, inDefault.chatServiceSid],
      ]);
      assert.deepEqual(seen('/service'), [
        ['onParticipantAdded', inService.sid, s.sid],
        ['onMessageAdded', inService.sid, s.sid],
      ]);
      assert.deepEqual(seen('/scoped'), [['onMessageAdded', inService.sid, s.sid]], 'conversation-scoped webhooks fire as well');
      assert.deepEqual(seen('/service-pre'), [['onMessageAdd', inService.sid, s.sid]]);
      assert.deepEqual(seen('/account-pre'), [['onMessageAdd', inDefault.sid, inDefault.chatServiceSid]]);

      fresh();
      rx.answer = (r) => (new URL(r.url).pathname === '/service-pre' ? { status: 403 } : { status: 204 });
      await rejects(cv.services(s.sid).conversations(inService.sid).messages.create({ body: 'refused', ...ON }), 403, 50057);
      assert.equal((await cv.services(s.sid).conversations(inService.sid).messages.list()).length, 1, 'nothing stored');
      assert.equal((await cv.conversations(inDefault.sid).messages.create({ body: 'fine', ...ON })).body, 'fine', "the service's hook does not judge the default service");

      await flush();
      const cleared = await cv.services(s.sid).configuration.webhooks().update({ postWebhookUrl: '', preWebhookUrl: '' });
      assert.equal(cleared.postWebhookUrl, null);
      fresh();
      await cv.services(s.sid).conversations(inService.sid).messages.create({ body: 'back to the account', ...ON });
      await flush();
      assert.deepEqual(seen('/account'), [['onMessageAdded', inService.sid, s.sid]], 'without service hooks the account ones apply again');
      assert.deepEqual(seen('/account-pre'), [['onMessageAdd', inService.sid, s.sid]]);
      await rejects(cv.services(s.sid).configuration.webhooks().update({ filters: ['onSomething'] }), 400, 20001);
      await rejects(cv.services(s.sid).configuration.webhooks().update({ method: 'PUT' }), 400, 20001);
      await rejects(cv.services(s.sid).configuration.webhooks().update({ postWebhookUrl: 'not a url' }), 400, 20001);
    });

    test('bindings: the SDK registers them; listed with filters, fetched and deleted per service', async () => {
      const { account, client } = await t.newAccount();
      const cv = client.conversations.v1;
      const s = await cv.services.create({ friendlyName: 'mobile' });
      const other = await cv.services.create({ friendlyName: 'other' });
      const reg = (serviceSid: string, identity: string, bindingType: 'apn' | 'fcm' | 'gcm' | 'twilsock', address: string) =>
        t.server.conversations.bindings.register(account.accountSid, serviceSid, { identity, bindingType, address, endpoint: `${identity}-device`, credentialSid: CR });
      const ann = await reg(s.sid, 'ann', 'fcm', 'token-1');
      const bob = await reg(s.sid, 'bob', 'apn', 'token-2');
      await reg(other.sid, 'ann', 'fcm', 'token-1');
      const again = await reg(s.sid, 'carl', 'fcm', 'token-1');
      assert.equal(again.sid, ann.sid, 'a device token registered again moves to the new identity');
      const all = await cv.services(s.sid).bindings.list();
      assert.deepEqual(all.map((b) => [b.identity, b.bindingType]), [['carl', 'fcm'], ['bob', 'apn']]);
      const b0 = all.find((b) => b.sid === bob.sid)!;
      assert.equal(b0.chatServiceSid, s.sid);
      assert.equal(b0.credentialSid, CR);
      assert.equal(b0.endpoint, 'bob-device');
      assert.deepEqual(b0.messageTypes, ['new_message', 'added_to_conversation', 'removed_from_conversation']);
      assert.ok(b0.url.endsWith(`/v1/Services/${s.sid}/Bindings/${bob.sid}`));
      assert.deepEqual((await cv.services(s.sid).bindings.list({ bindingType: ['apn'] })).map((b) => b.sid), [bob.sid]);
      assert.deepEqual((await cv.services(s.sid).bindings.list({ identity: ['carl', 'nobody'] })).map((b) => b.sid), [ann.sid]);
      assert.deepEqual((await cv.services(s.sid).bindings.list({ identity: ['bob'], bindingType: ['fcm'] })).map((b) => b.sid), []);
      assert.equal((await cv.services(s.sid).bindings(bob.sid).fetch()).identity, 'bob');
      await rejects(cv.services(other.sid).bindings(bob.sid).fetch(), 404, 20404);
      await rejects((await t.newAccount()).client.conversations.v1.services(s.sid).bindings(bob.sid).fetch(), 404, 20404);
      assert.equal(await cv.services(s.sid).bindings(bob.sid).remove(), true);
      await rejects(cv.services(s.sid).bindings(bob.sid).fetch(), 404, 20404);
      assert.equal((await cv.services(other.sid).bindings.list()).length, 1);
      await rejects(cv.services(s.sid).bindings.list({ bindingType: ['sms' as 'apn'] }), 400, 20001);
    });

    test('ConversationWithParticipants: conversation and participants in one step (201 alone, 202 with participants), in any service', async () => {
      fresh();
      const { account, client } = await t.newAccount();
      const cv = client.conversations.v1;
      await cv.configuration.webhooks().update({ postWebhookUrl: `${rx.url}/cwp`, filters: ['onConversationAdded', 'onParticipantAdded'] });
      const alone = await cv.conversationWithParticipants.create({ friendlyName: 'alone' });
      assert.equal(alone.friendlyName, 'alone');
      assert.equal(alone.state, 'active');
      assert.ok(alone.url.endsWith(`/v1/Conversations/${alone.sid}`));
      const basic = 'Basic ' + Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64');
      const raw = async (body: string) => {
        const res = await t.http('POST', '/conversations/v1/ConversationWithParticipants', { auth: basic, body });
        checkConformance({ method: 'POST', uri: `${t.baseUrl}/conversations/v1/ConversationWithParticipants` }, { statusCode: res.status, body: res.body });
        return res;
      };
      assert.equal((await raw('FriendlyName=raw')).status, 201);
      const accepted = await raw(`Participant=${encodeURIComponent('{"identity":"raw"}')}`);
      assert.equal(accepted.status, 202, "with participants: 202, as Twilio's spec shows");
      assert.equal(accepted.body.state, 'active');
      const admin = await cv.roles.create({ friendlyName: 'admin', type: 'conversation', permission: ['sendMessage', 'removeParticipant'] });
      const { defaultConversationRoleSid: member } = await cv.services(alone.chatServiceSid).configuration().fetch();
      const c = await cv.conversationWithParticipants.create({
        friendlyName: 'group',
        uniqueName: 'group-1',
        attributes: '{"topic":"x"}',
        'timers.inactive': 'PT5M',
        participant: [
          JSON.stringify({ identity: 'ann', attributes: '{"role":"agent"}' }),
          JSON.stringify({ messaging_binding: { address: '+15551230000', proxy_address: '+15559870000' } }),
          JSON.stringify({ identity: 'bob', role_sid: admin.sid }),
        ],
        ...ON,
      });
      assert.equal(c.uniqueName, 'group-1');
      assert.deepEqual(Object.keys(c.timers), ['date_inactive']);
      const ps = await cv.conversations(c.sid).participants.list();
      assert.deepEqual(ps.map((p) => [p.identity, p.messagingBinding?.address ?? null, p.roleSid]), [
        ['ann', null, member],
        [null, '+15551230000', member],
        ['bob', null, admin.sid],
      ]);
      assert.equal(ps[0].attributes, '{"role":"agent"}');
      await flush();
      assert.deepEqual(rx.requests.filter((r) => r.params.ConversationSid === c.sid).map((r) => r.params.EventType), ['onConversationAdded', 'onParticipantAdded', 'onParticipantAdded', 'onParticipantAdded']);
      assert.equal(rx.requests.length, 4, 'the calls without X-Twilio-Webhook-Enabled fired none');

      const s = await cv.services.create({ friendlyName: 'cwp' });
      const scoped = await cv.services(s.sid).conversationWithParticipants.create({ participant: [JSON.stringify({ identity: 'zed' })] });
      assert.equal(scoped.chatServiceSid, s.sid);
      assert.ok(scoped.url.endsWith(`/v1/Services/${s.sid}/Conversations/${scoped.sid}`));
      assert.equal((await cv.services(s.sid).conversations(scoped.sid).participants.list())[0].identity, 'zed');

      // All or nothing: a participant that cannot join leaves no conversation behind.
      const before = await conversationRows(t);
      await rejects(
        cv.conversationWithParticipants.create({
          uniqueName: 'half',
          participant: [JSON.stringify({ identity: 'ok' }), JSON.stringify({ messaging_binding: { address: '+15551230000', proxy_address: '+15559870000' } })],
        }),
        409,
        50416,
      );
      await rejects(cv.conversationWithParticipants.create({ participant: [JSON.stringify({ identity: 'a' }), JSON.stringify({ identity: 'a' })] }), 409, 50433);
      await rejects(cv.conversationWithParticipants.create({ participant: ['{"identity":'] }), 400, 20001);
      await rejects(cv.conversationWithParticipants.create({ participant: ['"ann"'] }), 400, 20001);
      await rejects(cv.conversationWithParticipants.create({ participant: [JSON.stringify({ nobody: 1 })] }), 400, 20001);
      await rejects(cv.conversationWithParticipants.create({ participant: Array.from({ length: 11 }, (_, i) => JSON.stringify({ identity: `u${i}` })) }), 400, 20001);
      await rejects(cv.conversationWithParticipants.create({ uniqueName: 'group-1' }), 409, 50353);
      await rejects(cv.services('IS' + '0'.repeat(32)).conversationWithParticipants.create({}), 404, 20404);
      assert.deepEqual(await conversationRows(t), before, 'nothing stored');
    });
  });
}
