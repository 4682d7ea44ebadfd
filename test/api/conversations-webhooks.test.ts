import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { backends, startReceiver, startServer, type Receiver, type TestServer } from '../support/server.ts';
import { conversationRows, rejects } from './conversations-helpers.ts';

const ON = { xTwilioWebhookEnabled: 'true' } as const;

for (const backend of backends()) {
  describe(`conversations: webhooks (${backend.name})`, () => {
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
    const flush = () => t.server.conversationDeliveries.flush();
    const fresh = () => {
      rx.requests.length = 0;
      rx.answer = () => ({ status: 204 });
    };

    test('timers: PT5M inactive then PT10M closed, each with a signed onConversationStateUpdated webhook', async () => {
      fresh();
      const { account, client } = await t.newAccount();
      const cv = client.conversations.v1;
      await cv.configuration.webhooks().update({ postWebhookUrl: `${rx.url}/state`, filters: ['onConversationStateUpdated'] });
      const c = await cv.conversations.create({ friendlyName: 'timed', 'timers.inactive': 'PT5M', 'timers.closed': 'PT10M' });
      t.clock.advance(5 * 60_000);
      await t.server.conversations.tick();
      assert.equal((await cv.conversations(c.sid).fetch()).state, 'inactive');
      t.clock.advance(5 * 60_000);
      await t.server.conversations.tick();
      assert.equal((await cv.conversations(c.sid).fetch()).state, 'closed');
      await flush();
      const states = rx.requests.filter((r) => r.params.EventType === 'onConversationStateUpdated');
      assert.deepEqual(
        states.map((r) => [r.params.StateFrom, r.params.StateTo, r.params.Reason]),
        [
          ['active', 'inactive', 'TIMER'],
          ['inactive', 'closed', 'TIMER'],
        ],
      );
      for (const r of states) {
        assert.equal(r.params.ConversationSid, c.sid);
        assert.ok(twilio.validateRequest(account.authToken, String(r.headers['x-twilio-signature']), r.url, r.params), 'signature validates');
      }
    });

    test('post-event: the account PostWebhookUrl gets the filtered events, signed, in order, with Twilio parameter names', async () => {
      fresh();
      const { account, client } = await t.newAccount();
      const cv = client.conversations.v1;
      await cv.configuration.webhooks().update({ postWebhookUrl: `${rx.url}/post`, filters: ['onConversationAdded', 'onMessageAdded', 'onParticipantAdded'] });
      const c = await cv.conversations.create({ friendlyName: 'hooks', ...ON });
      const p = await cv.conversations(c.sid).participants.create({ identity: 'alice', ...ON });
      const m = await cv.conversations(c.sid).messages.create({ author: 'alice', body: 'Hi there', attributes: '{"a":1}', ...ON });
      await cv.conversations(c.sid).update({ friendlyName: 'renamed', ...ON }); // not in the filters
      await cv.conversations(c.sid).messages.create({ author: 'alice', body: 'silent' }); // no X-Twilio-Webhook-Enabled
      assert.equal(rx.requests.length, 0, 'nothing before flush (manual timers)');
      await flush();
      assert.deepEqual(
        rx.requests.map((r) => r.params.EventType),
        ['onConversationAdded', 'onParticipantAdded', 'onMessageAdded'],
      );
      for (const r of rx.requests) {
        assert.equal(r.method, 'POST');
        assert.match(String(r.headers['content-type']), /application\/x-www-form-urlencoded/);
        assert.ok(twilio.validateRequest(account.authToken, String(r.headers['x-twilio-signature']), r.url, r.params), 'signature validates');
        assert.equal(r.params.AccountSid, account.accountSid);
        assert.equal(r.params.ConversationSid, c.sid);
        assert.equal(r.params.ChatServiceSid, c.chatServiceSid);
        assert.equal(r.params.Source, 'API');
      }
      const [added, partAdded, msg] = rx.requests.map((r) => r.params);
      assert.equal(added.FriendlyName, 'hooks');
      assert.equal(added.State, 'active');
      assert.equal(partAdded.ParticipantSid, p.sid);
      assert.equal(partAdded.Identity, 'alice');
      assert.equal(msg.MessageSid, m.sid);
      assert.equal(msg.Index, '0');
      assert.equal(msg.Author, 'alice');
      assert.equal(msg.Body, 'Hi there');
      assert.equal(msg.Attributes, '{"a":1}');
      assert.equal(msg.ParticipantSid, p.sid);
      assert.equal(msg.DateCreated, m.dateCreated.toISOString());
      assert.equal(await flush(), 0, 'each delivered once');
    });

    test('post-event: conversation-scoped webhooks get their filtered events with WebhookSid; GET sends the query', async () => {
      fresh();
      const { account, client } = await t.newAccount();
      const cv = client.conversations.v1;
      const c = await cv.conversations.create({});
      const w = await cv.conversations(c.sid).webhooks.create({ target: 'webhook', 'configuration.url': `${rx.url}/scoped`, 'configuration.filters': ['onMessageAdded'] });
      const g = await cv.conversations(c.sid).webhooks.create({
        target: 'webhook',
        'configuration.url': `${rx.url}/get`,
        'configuration.method': 'get',
        'configuration.filters': ['onParticipantAdded'],
      });
      await cv.conversations(c.sid).participants.create({ identity: 'bob', ...ON });
      await cv.conversations(c.sid).messages.create({ author: 'bob', body: 'scoped', ...ON });
      await flush();
      assert.equal(rx.requests.length, 2);
      const [get, post] = rx.requests;
      assert.equal(get.method, 'GET');
      const q = Object.fromEntries(new URL(get.url).searchParams);
      assert.equal(q.EventType, 'onParticipantAdded');
      assert.equal(q.WebhookSid, g.sid);
      assert.ok(twilio.validateRequest(account.authToken, String(get.headers['x-twilio-signature']), get.url, {}));
      assert.equal(post.params.EventType, 'onMessageAdded');
      assert.equal(post.params.WebhookSid, w.sid);
      assert.equal(post.params.Body, 'scoped');
    });

    test('post-event: a scoped webhook hears only what happens after it was added, however late the fan-out runs', async () => {
      fresh();
      const { client } = await t.newAccount();
      const cv = client.conversations.v1;
      const c = await cv.conversations.create({});
      await cv.conversations(c.sid).participants.create({ identity: 'bob', ...ON });
      // Not yet fanned out when the webhook is added (a busy or stopped sender, another node).
      await cv.conversations(c.sid).messages.create({ author: 'bob', body: 'before', ...ON });
      await cv.conversations(c.sid).webhooks.create({ target: 'webhook', 'configuration.url': `${rx.url}/late`, 'configuration.filters': ['onMessageAdded'] });
      await cv.conversations(c.sid).messages.create({ author: 'bob', body: 'after', ...ON });
      await flush();
      assert.deepEqual(rx.requests.map((r) => r.params.Body), ['after']);
    });

    test('post-event: a failure is retried with backoff, and the events behind it wait (in order per conversation)', async () => {
      fresh();
      const { client } = await t.newAccount();
      const cv = client.conversations.v1;
      await cv.configuration.webhooks().update({ postWebhookUrl: `${rx.url}/retry`, filters: ['onMessageAdded'] });
      const c = await cv.conversations.create({});
      await cv.conversations(c.sid).messages.create({ body: 'one', ...ON });
      await cv.conversations(c.sid).messages.create({ body: 'two', ...ON });
      rx.answer = (_r, i) => ({ status: i === 0 ? 500 : 200 });
      await flush();
      assert.deepEqual(rx.requests.map((r) => r.params.Body), ['one'], 'the second waits behind the failed first');
      t.clock.advance(999);
      await flush();
      assert.equal(rx.requests.length, 1, 'not before the backoff');
      t.clock.advance(1);
      await flush();
      assert.deepEqual(rx.requests.map((r) => r.params.Body), ['one', 'one', 'two']);
      assert.equal(rx.requests[1].params.RetryCount, '1');
      assert.equal(await flush(), 0);
    });

    test('post-event: given up after the last attempt, so the rest can go', async () => {
      fresh();
      const { client } = await t.newAccount();
      const cv = client.conversations.v1;
      await cv.configuration.webhooks().update({ postWebhookUrl: `${rx.url}/down`, filters: ['onMessageAdded'] });
      const c = await cv.conversations.create({});
      await cv.conversations(c.sid).messages.create({ body: 'lost', ...ON });
      await cv.conversations(c.sid).messages.create({ body: 'kept', ...ON });
      rx.answer = (r) => ({ status: r.params.Body === 'lost' ? 503 : 200 });
      for (let i = 0; i < 4; i++) {
        await flush();
        t.clock.advance(10_000);
      }
      assert.deepEqual(rx.requests.map((r) => r.params.Body), ['lost', 'lost', 'lost', 'kept']);
    });

    test('pre-event: a non-2xx answer blocks the message and nothing is stored; 2xx lets it through', async () => {
      fresh();
      const { account, client } = await t.newAccount();
      const cv = client.conversations.v1;
      const c = await cv.conversations.create({});
      await cv.configuration.webhooks().update({ preWebhookUrl: `${rx.url}/pre`, filters: ['onMessageAdd'] });
      rx.answer = () => ({ status: 403 });
      const before = await conversationRows(t);
      await rejects(cv.conversations(c.sid).messages.create({ author: 'eve', body: 'spam', ...ON }), 403, 50057);
      assert.deepEqual(await conversationRows(t), before, 'nothing stored');
      assert.equal(rx.requests.length, 1);
      const pre = rx.requests[0];
      assert.equal(pre.params.EventType, 'onMessageAdd');
      assert.equal(pre.params.Body, 'spam');
      assert.equal(pre.params.Author, 'eve');
      assert.equal(pre.params.ConversationSid, c.sid);
      assert.ok(twilio.validateRequest(account.authToken, String(pre.headers['x-twilio-signature']), pre.url, pre.params));
      rx.answer = () => ({ status: 200 });
      const ok = await cv.conversations(c.sid).messages.create({ author: 'eve', body: 'fine', ...ON });
      assert.equal(ok.body, 'fine');
      // Without X-Twilio-Webhook-Enabled, REST calls fire no pre-event webhook.
      rx.answer = () => ({ status: 403 });
      await cv.conversations(c.sid).messages.create({ body: 'plain' });
      assert.equal(rx.requests.length, 2);
      // Events not in the filters are not asked about.
      await cv.conversations(c.sid).participants.create({ identity: 'x', ...ON });
      assert.equal(rx.requests.length, 2);
    });
  });
}
