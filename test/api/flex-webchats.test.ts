import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { within, type Message, type Participant } from '../support/conversations-sdk.ts';
import { conversationOf, sdkFor, seenAfter } from '../support/sdk-chat.ts';
import { backends, conformanceChecks, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';
import { flexRowCounts, flexWorkspace, members, type FlexFixture } from './flex-helpers.ts';
import { expectError } from './routing-helpers.ts';

/**
 * Flex's web chat API, `POST /v2/WebChats`, driven as a web chat backend built for Flex drives it
 * (twilio-webchat-react-app's server): create the chat for the address, mint a chat token for the
 * identity it returns, and let the browser talk in that conversation. The address's Studio flow
 * stands for Send to Flex: the chat is a customer-initiated `web` interaction routed to an agent.
 */

const STUDIO_FLOW = 'FW' + 'a'.repeat(32);
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();

type Account = { account: TestServer['account']; client: TestServer['client'] };

/** A fresh account (Switchyard sends a Studio address's chats into the account's only workspace). */
async function flexAccount(t: TestServer, agents: string[] = ['alice']): Promise<Account & { f: FlexFixture }> {
  const a = await t.newAccount();
  const f = await flexWorkspace({ ...t, ...a } as TestServer, agents);
  return { ...a, f };
}

async function chatAddress(client: TestServer['client'], address: string, auto: Record<string, unknown> = { 'autoCreation.type': 'studio', 'autoCreation.studioFlowSid': STUDIO_FLOW }) {
  return client.conversations.v1.addressConfigurations.create({ type: 'chat', address, 'autoCreation.enabled': true, ...auto });
}

/** What a Flex web chat backend does with the identity: an AccessToken with a ChatGrant for the conversation service. */
function chatToken(a: Account, identity: string, serviceSid: string): string {
  const token = new twilio.jwt.AccessToken(a.account.accountSid, a.account.apiKey, a.account.apiSecret, { identity, ttl: 3600 });
  token.addGrant(new twilio.jwt.AccessToken.ChatGrant({ serviceSid }));
  return token.toJwt();
}

const basic = (a: Account) => 'Basic ' + Buffer.from(`${a.account.accountSid}:${a.account.authToken}`).toString('base64');

/** Every table a web chat writes to, directly or through Flex, TaskRouter and Conversations. */
async function writeCounts(t: TestServer): Promise<Record<string, number>> {
  const out = await flexRowCounts(t);
  for (const table of ['conversation_events', 'conversation_webhooks', 'events'])
    out[table] = Number((await t.server.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n ?? 0);
  return out;
}

for (const backend of backends()) {
  describe(`flex: POST /v2/WebChats (${backend.name})`, () => {
    let t: TestServer;
    let rx: Receiver;
    before(async () => {
      t = await startServer(backend, { conversationDeliveries: { retryBaseMs: 1_000, maxAttempts: 3, timeoutMs: 2_000 } });
      rx = await startReceiver();
    });
    after(async () => {
      await rx.close();
      await t.close();
    });

    test('as a Flex web chat backend uses it: the chat, a token for its identity, a routed web interaction, a conversation that identity can use', async () => {
      const a = await flexAccount(t);
      const address = await chatAddress(a.client, 'webchat-main');
      const checked = conformanceChecks.count;

      // The backend's call (twilio-webchat-react-app sends these four; the official client names the resource webChannels).
      const pre = { friendlyName: 'Ada Lovelace', email: 'ada@example.com', query: 'Where is my order?' };
      const wc = await a.client.flexApi.v2.webChannels.create({
        addressSid: address.sid,
        chatFriendlyName: 'Webchat widget',
        customerFriendlyName: 'Ada Lovelace',
        preEngagementData: JSON.stringify(pre),
      });
      assert.ok(conformanceChecks.count > checked, 'the response was checked against the flex v2 spec');
      assert.match(wc.conversationSid, /^CH[0-9a-f]{32}$/);
      assert.match(wc.identity, /^guest-[0-9a-f]{24}$/);

      // The conversation: named as asked, the pre-engagement data in its attributes, the customer in it.
      const cv = a.client.conversations.v1;
      const c = await cv.conversations(wc.conversationSid).fetch();
      assert.equal(c.friendlyName, 'Webchat widget');
      assert.deepEqual(JSON.parse(c.attributes), { pre_engagement_data: pre });
      const people = await cv.conversations(c.sid).participants.list();
      assert.deepEqual(people.map((p) => p.identity), [wc.identity]);
      assert.deepEqual(JSON.parse(people[0].attributes), { friendlyName: 'Ada Lovelace' });

      // The interaction: web, initiated by the customer, bound to that conversation; its task offered to alice.
      const [task] = await a.f.w.tasks.list({ evaluateTaskAttributes: `conversationSid == "${c.sid}"` });
      assert.ok(task, 'a task routes the chat');
      const attrs = JSON.parse(task.attributes);
      assert.equal(attrs.channelType, 'web');
      assert.equal(attrs.initiatedBy, 'customer');
      assert.equal(attrs.customerName, 'Ada Lovelace');
      assert.equal(attrs.customerAddress, wc.identity);
      assert.equal(attrs.from, 'Ada Lovelace', "Flex's Chat Flow: from = pre_engagement_data.friendlyName");
      assert.equal(task.taskChannelUniqueName, 'chat');
      assert.equal(task.workflowSid, a.f.workflowSid);
      const channel = await a.client.flexApi.v1.interaction(attrs.flexInteractionSid).channels(attrs.flexInteractionChannelSid).fetch();
      assert.equal(channel.type, 'web');
      assert.equal(channel.status, 'active');
      const [offer] = await a.f.pending(task.sid);
      assert.equal(offer.workerSid, a.f.agents.alice);

      // The browser's side: the official Conversations SDK, with a chat token the backend minted for that identity.
      const browser = await sdkFor(t, chatToken(a, wc.identity, c.chatServiceSid));
      try {
        const chat = await conversationOf(t, browser, c.sid);
        const index = await within(chat.sendMessage('Hello?'), 'sendMessage');
        const [sent] = await cv.conversations(c.sid).messages.list({ limit: 1 });
        assert.deepEqual([sent.index, sent.author, sent.body], [index, wc.identity, 'Hello?']);
        const joined = await seenAfter<Participant>(t, chat, 'participantJoined', () => true, () =>
          a.f.w.tasks(task.sid).reservations(offer.sid).update({ reservationStatus: 'accepted' }),
        );
        assert.equal(joined.identity, 'alice');
        const reply = await seenAfter<Message>(t, chat, 'messageAdded', (m) => m.author === 'alice', () =>
          cv.conversations(c.sid).messages.create({ author: 'alice', body: 'Hi Ada, let me look.' }),
        );
        assert.equal(reply.body, 'Hi Ada, let me look.');
        assert.deepEqual(await members({ ...t, client: a.client } as TestServer, c.sid), ['alice', wc.identity].sort());
      } finally {
        await within(browser.shutdown(), 'shutdown');
      }
    });

    test("the spec's example: Identity is kept; only AddressSid is required; Ui-Version is accepted; Host routing reaches it", async () => {
      const a = await flexAccount(t);
      const address = await chatAddress(a.client, 'webchat-example');
      const wc = await a.client.flexApi.v2.webChannels.create({
        addressSid: address.sid,
        chatFriendlyName: 'LoquaciousLarry',
        customerFriendlyName: 'LarryDavid',
        identity: 'seinfeld',
        uiVersion: '2.9.0',
      });
      assert.equal(wc.identity, 'seinfeld');
      const [p] = await a.client.conversations.v1.conversations(wc.conversationSid).participants.list();
      assert.equal(p.identity, 'seinfeld');

      // Raw, as axios posts it in the backend: 201 with exactly the spec's two fields.
      const raw = await t.http('POST', '/flex-api/v2/WebChats', { body: form({ AddressSid: address.sid }), auth: basic(a) });
      assert.equal(raw.status, 201, JSON.stringify(raw.body));
      assert.deepEqual(Object.keys(raw.body).sort(), ['conversation_sid', 'identity']);
      const bare = await a.client.conversations.v1.conversations(raw.body.conversation_sid).fetch();
      assert.equal(bare.friendlyName, null);
      assert.deepEqual(JSON.parse(bare.attributes), {});
      const [task] = await a.f.w.tasks.list({ evaluateTaskAttributes: `conversationSid == "${raw.body.conversation_sid}"` });
      assert.equal(JSON.parse(task.attributes).customerName, raw.body.identity, 'no name: the identity stands for the customer');

      const byHost = await t.http('POST', '/v2/WebChats', { body: form({ AddressSid: address.sid }), headers: { host: 'flex-api.twilio.com' }, auth: basic(a) });
      assert.equal(byHost.status, 201, JSON.stringify(byHost.body));
      assert.equal((await t.http('GET', '/flex-api/v2/WebChats', { auth: basic(a) })).status, 405);
    });

    test("a webhook address: the conversation gets the address's webhook and the receiver routes; the backend's first message reaches it", async () => {
      const a = await flexAccount(t);
      const address = await chatAddress(a.client, 'webchat-hook', {
        'autoCreation.type': 'webhook',
        'autoCreation.webhookUrl': `${rx.url}/flex-webchat`,
        'autoCreation.webhookFilters': ['onMessageAdded'],
      });
      const before = await flexRowCounts(t);
      const wc = await a.client.flexApi.v2.webChannels.create({ addressSid: address.sid, customerFriendlyName: 'Bob' });
      const cv = a.client.conversations.v1;
      const hooks = await cv.conversations(wc.conversationSid).webhooks.list();
      assert.deepEqual(
        hooks.map((h) => [h.target, (h.configuration as { url?: string }).url, (h.configuration as { filters?: string[] }).filters]),
        [['webhook', `${rx.url}/flex-webchat`, ['onMessageAdded']]],
      );
      const after = await flexRowCounts(t);
      assert.equal(after.interactions, before.interactions, 'no interaction: the receiver decides');
      assert.equal(after.tasks, before.tasks);

      // The backend sends the customer's query as their first message with webhooks enabled.
      rx.requests.length = 0;
      await cv.conversations(wc.conversationSid).messages.create({ author: wc.identity, body: 'Hi', xTwilioWebhookEnabled: 'true' });
      await t.server.conversationDeliveries.flush();
      const heard = rx.requests.filter((r) => r.url.endsWith('/flex-webchat'));
      assert.deepEqual(heard.map((r) => [r.params.EventType, r.params.ConversationSid, r.params.Author]), [['onMessageAdded', wc.conversationSid, wc.identity]]);
    });

    test("bad input gets Twilio's 400 / 20001 (401 without credentials) and writes nothing", async () => {
      const a = await flexAccount(t);
      const good = await chatAddress(a.client, 'webchat-good');
      const sms = await a.client.conversations.v1.addressConfigurations.create({ type: 'sms', address: '+15550001111', 'autoCreation.enabled': true, 'autoCreation.type': 'studio', 'autoCreation.studioFlowSid': STUDIO_FLOW });
      const off = await a.client.conversations.v1.addressConfigurations.create({ type: 'chat', address: 'webchat-off', 'autoCreation.enabled': false });
      const plain = await chatAddress(a.client, 'webchat-default', { 'autoCreation.type': 'default' });
      const stranger = await flexAccount(t);
      const theirs = await chatAddress(stranger.client, 'webchat-theirs');
      // Accounts whose Studio addresses cannot route: two workspaces, none, one with two workflows.
      const two = await flexAccount(t, []);
      await flexWorkspace({ ...t, ...two } as TestServer, []);
      const twoAddress = await chatAddress(two.client, 'webchat-two');
      const none = await t.newAccount();
      const noneAddress = await chatAddress(none.client, 'webchat-none');
      const flows = await flexAccount(t, []);
      await flows.f.workflow({ filters: [], default_filter: { queue: flows.f.queueSid } });
      const flowsAddress = await chatAddress(flows.client, 'webchat-flows');

      let nested: unknown = 'x';
      for (let i = 0; i < 32; i++) nested = { n: nested };
      const rows: [string, Account, Record<string, string>, RegExp][] = [
        ['no AddressSid', a, {}, /AddressSid/],
        ['empty AddressSid', a, { AddressSid: '' }, /AddressSid/],
        ['malformed AddressSid', a, { AddressSid: 'IG123' }, /AddressSid/],
        ['not an IG SID', a, { AddressSid: a.f.wsSid }, /AddressSid/],
        ['unknown address', a, { AddressSid: 'IG' + '0'.repeat(32) }, /AddressSid.*not found/],
        ["another account's address", a, { AddressSid: theirs.sid }, /AddressSid.*not found/],
        ['an sms address', a, { AddressSid: sms.sid }, /chat/],
        ['auto-creation off', a, { AddressSid: off.sid }, /AutoCreation/],
        ['auto-creation default (no Flex integration)', a, { AddressSid: plain.sid }, /AutoCreation/],
        ['ChatFriendlyName of 257', a, { AddressSid: good.sid, ChatFriendlyName: 'x'.repeat(257) }, /ChatFriendlyName/],
        ['CustomerFriendlyName of 257', a, { AddressSid: good.sid, CustomerFriendlyName: 'x'.repeat(257) }, /CustomerFriendlyName/],
        ['blank Identity', a, { AddressSid: good.sid, Identity: '  ' }, /Identity/],
        ['Identity of 257', a, { AddressSid: good.sid, Identity: 'x'.repeat(257) }, /Identity/],
        ['PreEngagementData not JSON', a, { AddressSid: good.sid, PreEngagementData: 'name=Ada' }, /PreEngagementData/],
        ['PreEngagementData an array', a, { AddressSid: good.sid, PreEngagementData: '["Ada"]' }, /PreEngagementData/],
        ['PreEngagementData nested too deep', a, { AddressSid: good.sid, PreEngagementData: JSON.stringify(nested) }, /PreEngagementData/],
        ['PreEngagementData over 16 KiB', a, { AddressSid: good.sid, PreEngagementData: JSON.stringify({ q: 'x'.repeat(16 * 1024) }) }, /PreEngagementData/],
        ['pre-engagement friendlyName of 257', a, { AddressSid: good.sid, PreEngagementData: JSON.stringify({ friendlyName: 'x'.repeat(257) }) }, /friendlyName/],
        ['two workspaces', two, { AddressSid: twoAddress.sid }, /cannot route.*workspace/],
        ['no workspace', none, { AddressSid: noneAddress.sid }, /cannot route.*workspace/],
        ['two workflows', flows, { AddressSid: flowsAddress.sid }, /cannot route.*exactly one workflow/],
      ];
      const before = await writeCounts(t);
      for (const [what, who, params, message] of rows) {
        const res = await t.http('POST', '/flex-api/v2/WebChats', { body: form(params), auth: basic(who) });
        assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, 20001, what);
        assert.equal(res.body.more_info, 'https://www.twilio.com/docs/errors/20001');
        assert.match(res.body.message, message, what);
      }
      // The official client gets the same errors.
      await expectError(a.client.flexApi.v2.webChannels.create({ addressSid: theirs.sid }), 400, 20001, /not found/);
      await expectError(a.client.flexApi.v2.webChannels.create({ addressSid: sms.sid }), 400, 20001, /chat/);
      const noAuth = await t.http('POST', '/flex-api/v2/WebChats', { body: form({ AddressSid: good.sid }), auth: null });
      assert.equal(noAuth.status, 401);
      assert.equal(noAuth.body.code, 20003);
      assert.deepEqual(await writeCounts(t), before, 'nothing was written');
      // And the good address still works for its own account.
      assert.equal((await t.http('POST', '/flex-api/v2/WebChats', { body: form({ AddressSid: good.sid }), auth: basic(a) })).status, 201);
    });
  });
}
