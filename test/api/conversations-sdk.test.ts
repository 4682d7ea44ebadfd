/**
 * The official Conversations SDK (@twilio/conversations, pinned), unmodified, with only
 * `twilsock.uri` set, against the server: what a chat application does with it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { HttpDeliveryAdapter } from '../../src/conversations/gateway/outbound.ts';
import { backends, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';
import { chatToken, connectSdk, nextEvent, within, type Client, type Conversation, type Message, type Participant } from '../support/conversations-sdk.ts';

for (const backend of backends()) {
  describe(`conversations: the official SDK (${backend.name})`, () => {
    let t: TestServer;
    const clients: Client[] = [];
    const connect = async (identity: string) => {
      const c = await connectSdk(t.baseUrl, chatToken(t.account, identity));
      clients.push(c);
      return c;
    };
    /** A conversation made through REST, with these chat identities in it. */
    const conversationWith = async (...identities: string[]) => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({ friendlyName: `with ${identities.join(', ')}`, attributes: JSON.stringify({ topic: 'billing' }) });
      for (const identity of identities) await cv.conversations(c.sid).participants.create({ identity });
      return c.sid;
    };
    /**
     * The conversation, once the SDK has opened its messages and roster: what is in them by then is
     * its starting state, and what comes after arrives as events (the SDK opens them in the background).
     */
    const subscribed = async (client: Client, sid: string) => {
      const c = await within(client.getConversationBySid(sid), `getConversationBySid ${sid}`);
      assert.equal(c.sid, sid);
      await within(c.getParticipants(), 'getParticipants');
      return c;
    };

    let sms: Receiver;
    before(async () => {
      // Outbound SMS go to a local receiver that accepts them (a "sent" receipt for each).
      sms = await startReceiver(() => ({ status: 200, body: '{"sid":"SM00000000000000000000000000000001"}' }));
      t = await startServer(backend, { timers: 'auto', outbound: new HttpDeliveryAdapter({ url: `${sms.url}/sms` }) });
    });
    after(async () => {
      for (const c of clients) await within(c.shutdown(), 'shutdown').catch(() => undefined);
      await t.close();
      await sms.close();
    });

    test('connects, lists its conversations, sends and receives messages with attributes (its own, REST\'s, another SDK\'s)', async () => {
      const sid = await conversationWith('alice-1', 'bob-1');
      const alice = await connect('alice-1');
      const bob = await connect('bob-1');
      const page = await within(alice.getSubscribedConversations(), 'getSubscribedConversations');
      assert.deepEqual(page.items.map((c) => c.sid), [sid]);
      const mine = page.items[0];
      await within(mine.getParticipants(), 'getParticipants');
      assert.equal(mine.status, 'joined');
      assert.equal(mine.friendlyName, 'with alice-1, bob-1');
      assert.deepEqual(mine.attributes, { topic: 'billing' });

      const atBob = await subscribed(bob, sid);
      const heard = nextEvent<Message>(atBob, 'messageAdded');
      const echoed = nextEvent<Message>(mine, 'messageAdded');
      const index = await within(mine.sendMessage('Hello Bob', { priority: 'high', tags: ['a'] }), 'sendMessage');
      assert.equal(index, 0);
      const m = await heard;
      assert.equal(m.body, 'Hello Bob');
      assert.equal(m.author, 'alice-1');
      assert.deepEqual(m.attributes, { priority: 'high', tags: ['a'] });
      assert.equal(m.index, 0);
      assert.equal((await echoed).sid, m.sid);
      // The same message through REST.
      const stored = await t.client.conversations.v1.conversations(sid).messages(m.sid).fetch();
      assert.equal(stored.body, 'Hello Bob');
      assert.equal(stored.author, 'alice-1');
      assert.equal(stored.participantSid, (await m.getParticipant()).sid);

      const fromRest = nextEvent<Message>(mine, 'messageAdded');
      await t.client.conversations.v1.conversations(sid).messages.create({ author: 'system', body: 'Posted through REST', attributes: '{"x":1}' });
      const r = await fromRest;
      assert.equal(r.body, 'Posted through REST');
      assert.deepEqual(r.attributes, { x: 1 });
      assert.equal(r.index, 1);

      const messages = await within(mine.getMessages(), 'getMessages');
      assert.deepEqual(messages.items.map((x) => x.body), ['Hello Bob', 'Posted through REST']);
    });

    test('creates a conversation, joins it, adds someone; participants joining and leaving are seen', async () => {
      const alice = await connect('alice-2');
      const joined = nextEvent<Conversation>(alice, 'conversationJoined');
      const created = await within(alice.createConversation({ friendlyName: 'made by the SDK', attributes: { from: 'sdk' } }), 'createConversation');
      assert.equal(created.createdBy, 'alice-2');
      await within(created.join(), 'join');
      assert.equal((await joined).sid, created.sid);
      // Joined, the SDK opens the roster; who is in it by then is loaded, later arrivals are events.
      await within(created.getParticipants(), 'getParticipants');
      const rest = await t.client.conversations.v1.conversations(created.sid).fetch();
      assert.equal(rest.friendlyName, 'made by the SDK');
      assert.deepEqual(rest.attributes, JSON.stringify({ from: 'sdk' }));

      const bobJoined = nextEvent<Participant>(created, 'participantJoined', (p) => p.identity === 'bob-2');
      await within(created.add('bob-2', { role: 'agent' }), 'add');
      const bobP = await bobJoined;
      assert.deepEqual(bobP.attributes, { role: 'agent' });
      assert.equal(bobP.type, 'chat');

      const smsJoined = nextEvent<Participant>(created, 'participantJoined', (p) => p.type === 'sms');
      await t.client.conversations.v1.conversations(created.sid).participants.create({ 'messagingBinding.address': '+15550001111', 'messagingBinding.proxyAddress': '+15550002222' });
      assert.equal((await smsJoined).identity, null);

      const bobLeft = nextEvent<Participant>(created, 'participantLeft', (p) => p.identity === 'bob-2');
      await t.client.conversations.v1.conversations(created.sid).participants(bobP.sid).remove();
      assert.equal((await bobLeft).sid, bobP.sid);
      const names = (await within(created.getParticipants(), 'getParticipants')).map((p) => p.identity ?? p.type).sort();
      assert.deepEqual(names, ['alice-2', 'sms']);

      const left = nextEvent<Conversation>(alice, 'conversationLeft');
      await within(created.leave(), 'leave');
      assert.equal((await left).sid, created.sid);
      const remaining = await t.client.conversations.v1.conversations(created.sid).participants.list();
      assert.deepEqual(remaining.map((p) => p.identity), [null]);
    });

    test('a conversation added through REST appears; one removed disappears', async () => {
      const alice = await connect('alice-3');
      const appeared = nextEvent<Conversation>(alice, 'conversationJoined');
      const sid = await conversationWith('alice-3');
      const c = await appeared;
      assert.equal(c.sid, sid);
      // Its messages and roster are being opened; removing it under the SDK's feet is another story.
      await within(c.getParticipants(), 'getParticipants');
      const gone = nextEvent<Conversation>(alice, 'conversationRemoved', (c) => c.sid === sid);
      await t.client.conversations.v1.conversations(sid).remove();
      await gone;
    });

    test('messages page backwards from the newest, and forward from an index; a conversation is found by its unique name', async () => {
      const cv = t.client.conversations.v1;
      const sid = (await cv.conversations.create({ uniqueName: 'paged-14' })).sid;
      await cv.conversations(sid).participants.create({ identity: 'alice-14' });
      for (let i = 0; i < 25; i++) await cv.conversations(sid).messages.create({ author: 'system', body: `m${i}` });
      const alice = await connect('alice-14');
      const c = await within(alice.getConversationByUniqueName('paged-14'), 'getConversationByUniqueName');
      assert.equal(c.sid, sid);
      const last = await within(c.getMessages(10), 'getMessages');
      assert.deepEqual(last.items.map((m) => m.index), [15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
      assert.equal(last.hasPrevPage, true);
      assert.equal(last.hasNextPage, false);
      const before = await within(last.prevPage(), 'prevPage');
      assert.deepEqual(before.items.map((m) => m.body), ['m5', 'm6', 'm7', 'm8', 'm9', 'm10', 'm11', 'm12', 'm13', 'm14']);
      const first = await within(before.prevPage(), 'prevPage');
      assert.deepEqual(first.items.map((m) => m.index), [0, 1, 2, 3, 4]);
      assert.equal(first.hasPrevPage, false);
      const forward = await within(c.getMessages(4, 20, 'forward'), 'getMessages forward');
      assert.deepEqual(forward.items.map((m) => m.index), [20, 21, 22, 23]);
      assert.equal(forward.hasNextPage, true);
      assert.deepEqual((await within(forward.nextPage(), 'nextPage')).items.map((m) => m.index), [24]);
    });

    test('what the SMS gateway and timers change reaches the SDK too: an inbound SMS, a conversation gone inactive', async () => {
      const cv = t.client.conversations.v1;
      const sid = await conversationWith('alice-15');
      await cv.conversations(sid).participants.create({ 'messagingBinding.address': '+15550005555', 'messagingBinding.proxyAddress': '+15550006666' });
      const alice = await connect('alice-15');
      const c = await subscribed(alice, sid);
      const sms = nextEvent<Message>(c, 'messageAdded');
      const inbound = '/conversations/v1/Gateway/Messaging/Inbound';
      const params = { AccountSid: t.account.accountSid, MessageSid: 'SM' + '3'.repeat(32), NumMedia: '0', From: '+15550005555', To: '+15550006666', Body: 'texted in' };
      const signature = twilio.getExpectedTwilioSignature(t.account.authToken, t.baseUrl + inbound, params);
      const res = await t.http('POST', inbound, { body: new URLSearchParams(params).toString(), headers: { 'x-twilio-signature': signature }, auth: null });
      assert.equal(res.status, 200);
      const m = await sms;
      assert.deepEqual([m.body, m.author], ['texted in', '+15550005555']);
      const inactive = nextEvent<{ conversation: Conversation; updateReasons: string[] }>(alice, 'conversationUpdated', (e) => e.conversation.sid === sid && e.updateReasons.includes('state'));
      await cv.conversations(sid).update({ 'timers.inactive': 'PT1M' });
      t.clock.advance(61_000);
      await t.server.conversations.tick();
      const { conversation } = await inactive;
      assert.equal(conversation.state?.current, 'inactive');
    });

    test('typing is seen by the others, and ends when the typist sends', async () => {
      const sid = await conversationWith('alice-4', 'bob-4');
      const alice = await connect('alice-4');
      const bob = await connect('bob-4');
      const atAlice = await subscribed(alice, sid);
      const atBob = await subscribed(bob, sid);
      const started = nextEvent<Participant>(atAlice, 'typingStarted');
      await within(atBob.typing(), 'typing');
      const typist = await started;
      assert.equal(typist.identity, 'bob-4');
      assert.equal(typist.isTyping, true);
      const ended = nextEvent<Participant>(atAlice, 'typingEnded');
      await within(atBob.sendMessage('done typing'), 'sendMessage');
      assert.equal((await ended).identity, 'bob-4');
    });

    test('the read horizon: set it, read it back, and the unread count follows', async () => {
      const sid = await conversationWith('alice-5');
      for (const body of ['one', 'two', 'three']) await t.client.conversations.v1.conversations(sid).messages.create({ author: 'system', body });
      const alice = await connect('alice-5');
      const c = await subscribed(alice, sid);
      assert.equal(c.lastReadMessageIndex, null);
      assert.equal(await within(c.getUnreadMessagesCount(), 'getUnreadMessagesCount'), null);
      const updated = nextEvent(c, 'updated', (e: { updateReasons: string[] }) => e.updateReasons.includes('lastReadMessageIndex'));
      assert.equal(await within(c.updateLastReadMessageIndex(0), 'updateLastReadMessageIndex'), 2);
      await updated;
      assert.equal(c.lastReadMessageIndex, 0);
      assert.equal(await within(c.getUnreadMessagesCount(), 'getUnreadMessagesCount'), 2);
      const p = (await t.client.conversations.v1.conversations(sid).participants.list())[0];
      assert.equal(p.lastReadMessageIndex, 0);
      assert.equal(await within(c.setAllMessagesRead(), 'setAllMessagesRead'), 0);
      assert.equal(await within(c.setAllMessagesUnread(), 'setAllMessagesUnread'), null);
    });

    test('media: uploaded with the message, described and fetched by another participant', async () => {
      const sid = await conversationWith('alice-6', 'bob-6');
      const alice = await connect('alice-6');
      const bob = await connect('bob-6');
      const atAlice = await subscribed(alice, sid);
      const atBob = await subscribed(bob, sid);
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 250, 251]);
      const heard = nextEvent<Message>(atBob, 'messageAdded');
      await within(atAlice.sendMessage({ contentType: 'image/png', filename: 'dot.png', media: bytes } as never, { caption: 'a dot' }), 'sendMessage with media');
      const m = await heard;
      assert.equal(m.type, 'media');
      assert.deepEqual(m.attributes, { caption: 'a dot' });
      const [media] = m.attachedMedia ?? [];
      assert.equal(media.contentType, 'image/png');
      assert.equal(media.filename, 'dot.png');
      assert.equal(media.size, bytes.length);
      const url = await within(media.getContentTemporaryUrl() as Promise<string | null>, 'getContentTemporaryUrl');
      assert.ok(url);
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
      const rest = await t.client.conversations.v1.conversations(sid).messages(m.sid).fetch();
      assert.equal((rest.media as { sid: string }[])[0].sid, media.sid);
    });

    test('messages made through the SDK fire the same webhooks, with Source=SDK', async () => {
      const hook: Receiver = await startReceiver(() => ({ status: 200 }));
      try {
        await t.client.conversations.v1.configuration.webhooks().update({ postWebhookUrl: `${hook.url}/post`, filters: ['onMessageAdded', 'onParticipantAdded'], method: 'POST' });
        const alice = await connect('alice-7');
        const c = await within(alice.createConversation({ friendlyName: 'hooked' }), 'createConversation');
        await within(c.join(), 'join');
        await within(c.sendMessage('hooked'), 'sendMessage');
        const seen = [await hook.next(), await hook.next()];
        assert.deepEqual(
          seen.map((r) => [r.params.EventType, r.params.Source]).sort(),
          [['onMessageAdded', 'SDK'], ['onParticipantAdded', 'SDK']],
        );
        assert.equal(seen.find((r) => r.params.EventType === 'onMessageAdded')?.params.Author, 'alice-7');
      } finally {
        await t.client.conversations.v1.configuration.webhooks().update({ postWebhookUrl: '', filters: [] });
        await hook.close();
      }
    });

    test('users: its own friendly name and attributes change, and another user sees them', async () => {
      const sid = await conversationWith('alice-8', 'bob-8');
      const alice = await connect('alice-8');
      const bob = await connect('bob-8');
      await subscribed(bob, sid);
      const aliceAtBob = await within(bob.getUser('alice-8'), 'getUser');
      assert.equal(aliceAtBob.friendlyName, null);
      const updated = nextEvent(aliceAtBob, 'updated', (e: { updateReasons: string[] }) => e.updateReasons.includes('friendlyName'));
      await within(alice.user.updateFriendlyName('Alice A.'), 'updateFriendlyName');
      await within(alice.user.updateAttributes({ team: 'blue' }), 'updateAttributes');
      await updated;
      assert.equal(aliceAtBob.friendlyName, 'Alice A.');
      const user = await t.client.conversations.v1.users('alice-8').fetch();
      assert.equal(user.friendlyName, 'Alice A.');
      assert.deepEqual(JSON.parse(user.attributes), { team: 'blue' });
      // An administrator's change through REST reaches both.
      // Waits for the new name itself: an update of the first rename may still be on its way to either side.
      const toAdmin = (e: { user: { friendlyName: string | null }; updateReasons: string[] }) =>
        e.updateReasons.includes('friendlyName') && e.user.friendlyName === 'Alice (admin)';
      const renamed = nextEvent(aliceAtBob, 'updated', toAdmin);
      const own = nextEvent(alice.user, 'updated', toAdmin);
      await t.client.conversations.v1.users('alice-8').update({ friendlyName: 'Alice (admin)' });
      await renamed;
      await own;
      assert.equal(aliceAtBob.friendlyName, 'Alice (admin)');
      assert.equal(alice.user.friendlyName, 'Alice (admin)');
    });

    test('delivery receipts: a message to an SMS participant shows it sent, in aggregate and in detail', async () => {
      const sid = await conversationWith('alice-11');
      await t.client.conversations.v1.conversations(sid).participants.create({ 'messagingBinding.address': '+15550003333', 'messagingBinding.proxyAddress': '+15550004444' });
      const alice = await connect('alice-11');
      const c = await subscribed(alice, sid);
      const receipt = nextEvent<{ message: Message; updateReasons: string[] }>(c, 'messageUpdated', (e) => e.updateReasons.includes('deliveryReceipt'));
      await within(c.sendMessage('to the phone'), 'sendMessage');
      const { message } = await receipt;
      assert.equal(message.aggregatedDeliveryReceipt?.total, 1);
      assert.equal(message.aggregatedDeliveryReceipt?.sent, 'all');
      assert.equal(message.aggregatedDeliveryReceipt?.delivered, 'none');
      const detailed = await within(message.getDetailedDeliveryReceipts(), 'getDetailedDeliveryReceipts');
      assert.deepEqual(detailed.map((r) => [r.status, r.messageSid, r.conversationSid]), [['sent', message.sid, sid]]);
      assert.ok(sms.requests.some((r) => r.params.Body === 'to the phone'));
    });

    test('online state, where the service enables reachability: a user is seen coming online and going offline', async () => {
      const cv = t.client.conversations.v1;
      const service = (await cv.configuration().fetch()).defaultChatServiceSid;
      await cv.services(service).configuration().update({ reachabilityEnabled: true });
      try {
        const sid = await conversationWith('alice-12', 'bob-12');
        const alice = await connect('alice-12');
        assert.equal(alice.reachabilityEnabled, true);
        await subscribed(alice, sid);
        const bobAtAlice = await within(alice.getUser('bob-12'), 'getUser');
        assert.equal(bobAtAlice.isOnline, false);
        const online = nextEvent(bobAtAlice, 'updated', (e: { updateReasons: string[] }) => e.updateReasons.includes('reachabilityOnline'));
        const bob = await connectSdk(t.baseUrl, chatToken(t.account, 'bob-12'));
        await online;
        assert.equal(bobAtAlice.isOnline, true);
        const offline = nextEvent(bobAtAlice, 'updated', (e: { updateReasons: string[] }) => e.updateReasons.includes('reachabilityOnline'));
        await within(bob.shutdown(), 'shutdown');
        await offline;
        assert.equal(bobAtAlice.isOnline, false);
      } finally {
        await cv.services(service).configuration().update({ reachabilityEnabled: false });
      }
    });

    test("the token's service scopes everything: conversations of another service are not its own, and what it creates lands in its service", async () => {
      const cv = t.client.conversations.v1;
      const second = await cv.services.create({ friendlyName: 'second service' });
      const there = await cv.services(second.sid).conversations.create({ friendlyName: 'in the second service' });
      await cv.services(second.sid).conversations(there.sid).participants.create({ identity: 'alice-13' });
      const here = await conversationWith('alice-13');
      const scoped = await connectSdk(t.baseUrl, chatToken(t.account, 'alice-13', { serviceSid: second.sid }));
      clients.push(scoped);
      const plain = await connect('alice-13');
      assert.deepEqual((await within(scoped.getSubscribedConversations(), 'scoped list')).items.map((c) => c.sid), [there.sid]);
      assert.deepEqual((await within(plain.getSubscribedConversations(), 'default list')).items.map((c) => c.sid), [here]);
      await assert.rejects(within(scoped.getConversationBySid(here), 'getConversationBySid of another service'));
      const made = await within(scoped.createConversation({ friendlyName: 'made in the second' }), 'createConversation');
      assert.equal((await cv.services(second.sid).conversations(made.sid).fetch()).chatServiceSid, second.sid);
    });

    test("an action the identity's roles do not grant is refused with 50107, and nothing changes", async () => {
      const sid = await conversationWith('alice-10');
      const alice = await connect('alice-10');
      const c = await subscribed(alice, sid);
      // A participant added through REST holds the service's default conversation role: no addParticipant.
      const err = await c.add('mallory-10').then(
        () => assert.fail('add was allowed'),
        (e: { status?: number; body?: { code?: number } }) => e,
      );
      assert.equal(err.status, 403);
      assert.equal(err.body?.code, 50107);
      assert.deepEqual((await t.client.conversations.v1.conversations(sid).participants.list()).map((p) => p.identity), ['alice-10']);
    });

    test('edits and removes its own message; the other side sees both', async () => {
      const sid = await conversationWith('alice-9', 'bob-9');
      const alice = await connect('alice-9');
      const bob = await connect('bob-9');
      const atAlice = await subscribed(alice, sid);
      const atBob = await subscribed(bob, sid);
      const added = nextEvent<Message>(atAlice, 'messageAdded');
      await within(atBob.sendMessage('typo'), 'sendMessage');
      await added;
      const mine = (await within(atBob.getMessages(), 'getMessages')).items[0];
      const edited = nextEvent<{ message: Message; updateReasons: string[] }>(atAlice, 'messageUpdated', (e) => e.updateReasons.includes('body'));
      await within(mine.updateBody('fixed'), 'updateBody');
      assert.equal((await edited).message.body, 'fixed');
      const removed = nextEvent<Message>(atAlice, 'messageRemoved');
      await within(mine.remove(), 'remove');
      assert.equal((await removed).sid, mine.sid);
      assert.equal((await t.client.conversations.v1.conversations(sid).messages.list()).length, 0);
    });
  });
}
