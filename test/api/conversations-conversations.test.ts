import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/core/clock.ts';
import { createServer } from '../../src/server.ts';
import { backends, conformanceChecks, startServer, type TestServer } from '../support/server.ts';
import { MINUTE, conversationRows, eventsOf, rejects } from './conversations-helpers.ts';

const MG = 'MG' + 'a'.repeat(32);
const MG2 = 'MG' + 'b'.repeat(32);

for (const backend of backends()) {
  describe(`conversations: the Conversation resource (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend, { clockControl: true });
    });
    after(() => t.close());

    test('create with every documented parameter, fetch by SID and by unique name', async () => {
      const cv = t.client.conversations.v1;
      const checked = conformanceChecks.count;
      const c = await cv.conversations.create({
        friendlyName: 'Home Repair Visit',
        uniqueName: 'repair-42',
        dateCreated: new Date('2025-12-16T22:18:37Z'),
        dateUpdated: new Date('2025-12-16T22:18:38Z'),
        messagingServiceSid: MG,
        attributes: '{ "topic": "feedback" }',
        state: 'inactive',
        'timers.inactive': 'PT1M',
        'timers.closed': 'PT10M',
        'bindings.email.address': 'support@example.com',
        'bindings.email.name': 'Support',
        xTwilioWebhookEnabled: 'true',
      });
      assert.match(c.sid, /^CH[0-9a-f]{32}$/);
      assert.match(c.chatServiceSid, /^IS[0-9a-f]{32}$/);
      assert.equal(c.accountSid, t.account.accountSid);
      assert.equal(c.friendlyName, 'Home Repair Visit');
      assert.equal(c.uniqueName, 'repair-42');
      assert.equal(c.messagingServiceSid, MG);
      assert.equal(c.attributes, '{ "topic": "feedback" }', 'attributes come back as the text sent');
      assert.equal(c.state, 'inactive');
      assert.equal(c.dateCreated.toISOString(), '2025-12-16T22:18:37.000Z');
      assert.equal(c.dateUpdated.toISOString(), '2025-12-16T22:18:38.000Z');
      // Timers count from now (the conversation's first activity), not from DateCreated.
      const now = t.clock.now();
      assert.deepEqual(c.timers, {
        date_inactive: new Date(now + MINUTE).toISOString().replace('.000', ''),
        date_closed: new Date(now + 10 * MINUTE).toISOString().replace('.000', ''),
      });
      assert.deepEqual(c.bindings, { email: { address: 'support@example.com', name: 'Support' } });
      assert.ok(c.links.participants.endsWith(`/v1/Conversations/${c.sid}/Participants`));
      assert.ok(c.links.messages.endsWith(`/v1/Conversations/${c.sid}/Messages`));
      assert.ok(c.links.webhooks.endsWith(`/v1/Conversations/${c.sid}/Webhooks`));

      const bySid = await cv.conversations(c.sid).fetch();
      const byName = await cv.conversations('repair-42').fetch();
      assert.deepEqual(byName.toJSON(), bySid.toJSON());
      assert.equal(bySid.url, c.url);
      assert.ok(conformanceChecks.count >= checked + 3, 'responses were checked against the spec facts');

      const events = await eventsOf(t, c.sid);
      assert.equal(events[0].type, 'onConversationAdded');
      assert.equal(events[0].webhooks, true, 'X-Twilio-Webhook-Enabled: true is recorded');
      assert.equal(events[0].data.conversation.sid, c.sid);
    });

    test('defaults: active, {} attributes, no timers, no unique name; webhooks off for REST calls without the header', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create();
      assert.equal(c.state, 'active');
      assert.equal(c.attributes, '{}');
      assert.equal(c.friendlyName, null);
      assert.equal(c.uniqueName, null);
      assert.equal(c.messagingServiceSid, null);
      assert.deepEqual(c.timers, {});
      assert.deepEqual(c.bindings, {});
      const config = await cv.configuration().fetch();
      assert.equal(c.chatServiceSid, config.defaultChatServiceSid, 'every conversation is in the account default service');
      const [added] = await eventsOf(t, c.sid);
      assert.equal(added.webhooks, false);
      assert.equal(added.source, 'api');
    });

    test('update every parameter; unique names stay unique (50353, 409) and never look like a SID (50390)', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({ friendlyName: 'A', uniqueName: 'upd-a' });
      await cv.conversations.create({ uniqueName: 'upd-b' });
      t.clock.advance(1000);
      const u = await cv.conversations(c.sid).update({
        friendlyName: 'B',
        uniqueName: 'upd-c',
        attributes: '{"x":[1,2]}',
        messagingServiceSid: MG2,
        'timers.inactive': 'PT2M',
        'timers.closed': 'P1D',
        'bindings.email.address': 'a@example.com',
        'bindings.email.name': 'A',
        dateCreated: new Date('2024-01-01T00:00:00Z'),
        xTwilioWebhookEnabled: 'false',
      });
      assert.equal(u.friendlyName, 'B');
      assert.equal(u.uniqueName, 'upd-c');
      assert.equal(u.attributes, '{"x":[1,2]}');
      assert.equal(u.messagingServiceSid, MG2);
      assert.equal(u.dateCreated.toISOString(), '2024-01-01T00:00:00.000Z');
      assert.equal(u.dateUpdated.getTime(), t.clock.now());
      assert.equal(new Date(u.timers.date_inactive).getTime(), Math.floor(t.clock.now() / 1000) * 1000 + 2 * MINUTE);
      assert.equal(new Date(u.timers.date_closed).getTime(), Math.floor(t.clock.now() / 1000) * 1000 + 24 * 60 * MINUTE);
      assert.deepEqual(u.bindings, { email: { address: 'a@example.com', name: 'A' } });
      await rejects(cv.conversations('upd-a').fetch(), 404, 20404);
      assert.equal((await cv.conversations('upd-c').fetch()).sid, c.sid);

      await rejects(cv.conversations(c.sid).update({ uniqueName: 'upd-b' }), 409, 50353);
      await rejects(cv.conversations.create({ uniqueName: 'upd-b' }), 409, 50353);
      await rejects(cv.conversations.create({ uniqueName: 'CH' + '1'.repeat(32) }), 400, 50390);
      assert.equal((await cv.conversations(c.sid).fetch()).uniqueName, 'upd-c', 'a failed update changes nothing');

      const cleared = await cv.conversations(c.sid).update({ uniqueName: '' });
      assert.equal(cleared.uniqueName, null);
      const updates = (await eventsOf(t, c.sid)).filter((e) => e.type === 'onConversationUpdated');
      assert.equal(updates.length, 2);
    });

    test('list: creation order, State / StartDate / EndDate filters, pages of 1..100', async () => {
      const other = await t.newAccount();
      const cv = other.client.conversations.v1;
      const day = (d: string) => new Date(`${d}T12:00:00Z`);
      const a = await cv.conversations.create({ friendlyName: 'a', dateCreated: day('2025-03-01') });
      const b = await cv.conversations.create({ friendlyName: 'b', dateCreated: day('2025-03-02'), state: 'inactive' });
      const c = await cv.conversations.create({ friendlyName: 'c', dateCreated: day('2025-03-03') });
      await cv.conversations(c.sid).update({ state: 'closed' });
      assert.deepEqual((await cv.conversations.list()).map((x) => x.friendlyName), ['a', 'b', 'c']);
      assert.deepEqual((await cv.conversations.list({ state: 'inactive' })).map((x) => x.sid), [b.sid]);
      assert.deepEqual((await cv.conversations.list({ state: 'closed' })).map((x) => x.sid), [c.sid]);
      assert.deepEqual((await cv.conversations.list({ state: 'active' })).map((x) => x.sid), [a.sid]);
      assert.deepEqual((await cv.conversations.list({ startDate: '2025-03-02T00:00:00Z' })).map((x) => x.sid), [b.sid, c.sid]);
      assert.deepEqual((await cv.conversations.list({ endDate: '2025-03-02' })).map((x) => x.sid), [a.sid, b.sid], 'a day as EndDate covers the whole day');
      assert.deepEqual(
        (await cv.conversations.list({ startDate: '2025-03-02T00:00:00Z', endDate: '2025-03-02T23:59:59Z' })).map((x) => x.sid),
        [b.sid],
      );
      const page1 = await cv.conversations.page({ pageSize: 2 });
      assert.equal(page1.instances.length, 2);
      const page2 = await page1.nextPage();
      assert.deepEqual(page2?.instances.map((x) => x.sid), [c.sid]);
      assert.equal((await cv.conversations.page({ pageSize: 100 })).instances.length, 3);
      await rejects(cv.conversations.page({ pageSize: 101 }), 400, 20001);
      const raw = await t.http('GET', '/conversations/v1/Conversations?State=bogus');
      assert.equal(raw.status, 400);
      // Another account sees none of these.
      assert.equal((await t.client.conversations.v1.conversations.list()).some((x) => x.sid === a.sid), false);
      await rejects(t.client.conversations.v1.conversations(a.sid).fetch(), 404, 20404);
    });

    test('delete by SID or unique name takes participants, messages and webhooks with it', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({ uniqueName: 'to-delete' });
      await cv.conversations(c.sid).participants.create({ identity: 'alice' });
      await cv.conversations(c.sid).messages.create({ author: 'alice', body: 'bye' });
      await cv.conversations(c.sid).webhooks.create({ target: 'studio', 'configuration.flowSid': 'FW' + 'c'.repeat(32) });
      assert.equal(await cv.conversations('to-delete').remove({ xTwilioWebhookEnabled: 'true' }), true);
      await rejects(cv.conversations(c.sid).fetch(), 404, 20404);
      await rejects(cv.conversations(c.sid).messages.list(), 404, 20404);
      for (const table of ['conversation_participants', 'conversation_messages', 'conversation_webhooks', 'conversation_timers']) {
        const row = await t.server.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE conversation_sid = ?`, [c.sid]);
        assert.equal(Number(row?.n), 0, table);
      }
      const events = await eventsOf(t, c.sid);
      assert.equal(events.at(-1)?.type, 'onConversationRemoved');
      assert.equal(events.at(-1)?.webhooks, true);
      await rejects(cv.conversations(c.sid).remove(), 404, 20404);
    });

    test("the default service's scoped paths reach the account-level conversations; an unknown service SID is 404", async () => {
      const cv = t.client.conversations.v1;
      const { defaultChatServiceSid: is } = await cv.configuration().fetch();
      const svc = cv.services(is);
      const c = await svc.conversations.create({ friendlyName: 'scoped', uniqueName: 'scoped-1', 'timers.closed': 'PT30M' });
      assert.equal(c.chatServiceSid, is);
      assert.ok(c.url.endsWith(`/v1/Services/${is}/Conversations/${c.sid}`));
      assert.equal((await cv.conversations(c.sid).fetch()).friendlyName, 'scoped', 'the same conversation at account level');
      assert.equal((await svc.conversations('scoped-1').update({ friendlyName: 'renamed' })).friendlyName, 'renamed');
      assert.ok((await svc.conversations.list({ pageSize: 100 })).some((x) => x.sid === c.sid));
      const p = await svc.conversations(c.sid).participants.create({ identity: 'bob' });
      assert.equal(p.chatServiceSid, is);
      const m = await svc.conversations(c.sid).messages.create({ author: 'bob', body: 'hi' });
      assert.equal(m.chatServiceSid, is);
      assert.equal(m.participantSid, p.sid);
      assert.equal((await svc.conversations(c.sid).messages(m.sid).fetch()).body, 'hi');
      assert.equal((await svc.conversations(c.sid).messages(m.sid).deliveryReceipts.list()).length, 0);
      const w = await svc.conversations(c.sid).webhooks.create({ target: 'webhook', 'configuration.url': 'https://example.com/h', 'configuration.filters': ['onMessageAdded'] });
      assert.equal(w.chatServiceSid, is);
      assert.equal((await svc.participantConversations.list({ identity: 'bob' }))[0].conversationSid, c.sid);
      assert.equal(await svc.conversations(c.sid).remove(), true);
      await rejects(cv.services('IS' + '0'.repeat(32)).conversations.list(), 404, 20404);
      await rejects(cv.services('IS' + '0'.repeat(32)).conversations.create({}), 404, 20404);
    });
  });

  describe(`conversations: states and timers (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend, { clockControl: true });
    });
    after(() => t.close());

    const tick = () => t.server.conversations.tick();

    test('Timers.Inactive=PT5M, Timers.Closed=PT10M: inactive after 5 minutes, closed after 10', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({ 'timers.inactive': 'PT5M', 'timers.closed': 'PT10M' });
      t.clock.advance(5 * MINUTE - 1000);
      assert.equal(await tick(), 0);
      assert.equal((await cv.conversations(c.sid).fetch()).state, 'active');
      t.clock.advance(1000);
      assert.equal(await tick(), 1);
      assert.equal((await cv.conversations(c.sid).fetch()).state, 'inactive');
      t.clock.advance(5 * MINUTE - 1000);
      assert.equal(await tick(), 0);
      assert.equal((await cv.conversations(c.sid).fetch()).state, 'inactive');
      t.clock.advance(1000);
      assert.equal(await tick(), 1);
      const closed = await cv.conversations(c.sid).fetch();
      assert.equal(closed.state, 'closed');
      assert.equal(new Date(closed.timers.date_closed).getTime(), t.clock.now());
      const states = (await eventsOf(t, c.sid)).filter((e) => e.type === 'onConversationStateUpdated');
      assert.deepEqual(
        states.map((e) => [e.data.state_from, e.data.state_to, e.data.reason, e.source, e.webhooks]),
        [
          ['active', 'inactive', 'timer', 'timer', true],
          ['inactive', 'closed', 'timer', 'timer', true],
        ],
      );
      assert.equal(await tick(), 0, 'nothing left to fire');
    });

    test('a message resets the inactive timer; a message to an inactive conversation makes it active again', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({ 'timers.inactive': 'PT5M', 'timers.closed': 'PT10M' });
      t.clock.advance(4 * MINUTE);
      await cv.conversations(c.sid).messages.create({ body: 'still here' });
      const reset = await cv.conversations(c.sid).fetch();
      assert.equal(new Date(reset.timers.date_inactive).getTime(), t.clock.now() + 5 * MINUTE);
      assert.equal(new Date(reset.timers.date_closed).getTime(), t.clock.now() + 10 * MINUTE, 'activity restarts the closed timer too');
      t.clock.advance(2 * MINUTE); // 6 minutes after creation, 2 after the message
      await tick();
      assert.equal((await cv.conversations(c.sid).fetch()).state, 'active');
      t.clock.advance(3 * MINUTE);
      await tick();
      assert.equal((await cv.conversations(c.sid).fetch()).state, 'inactive');
      await cv.conversations(c.sid).messages.create({ body: 'back' });
      const back = await cv.conversations(c.sid).fetch();
      assert.equal(back.state, 'active');
      assert.equal(new Date(back.timers.date_inactive).getTime(), t.clock.now() + 5 * MINUTE);
      const states = (await eventsOf(t, c.sid)).filter((e) => e.type === 'onConversationStateUpdated').map((e) => e.data.reason);
      assert.deepEqual(states, ['timer', 'activity']);
    });

    test('a new participant also resets the timers', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({ 'timers.inactive': 'PT5M' });
      t.clock.advance(4 * MINUTE);
      await cv.conversations(c.sid).participants.create({ identity: 'late-joiner' });
      t.clock.advance(4 * MINUTE);
      await tick();
      assert.equal((await cv.conversations(c.sid).fetch()).state, 'active');
      t.clock.advance(MINUTE);
      await tick();
      assert.equal((await cv.conversations(c.sid).fetch()).state, 'inactive');
    });

    test('closed is final: no reopening, no timer changes, no new messages or participants (50377); initial closed is 50384', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({ 'timers.closed': 'PT10M' });
      const closed = await cv.conversations(c.sid).update({ state: 'closed' });
      assert.equal(closed.state, 'closed');
      assert.deepEqual(closed.timers, { date_closed: new Date(t.clock.now()).toISOString().replace('.000', '') });
      const before = await conversationRows(t);
      await rejects(cv.conversations(c.sid).update({ state: 'active' }), 400, 50377);
      await rejects(cv.conversations(c.sid).update({ state: 'inactive' }), 400, 50377);
      await rejects(cv.conversations(c.sid).update({ 'timers.inactive': 'PT5M' }), 400, 50377);
      await rejects(cv.conversations(c.sid).messages.create({ body: 'x' }), 400, 50377);
      await rejects(cv.conversations(c.sid).participants.create({ identity: 'x' }), 400, 50377);
      assert.deepEqual(await conversationRows(t), before, 'nothing stored');
      assert.equal((await cv.conversations(c.sid).update({ friendlyName: 'archived' })).friendlyName, 'archived', 'metadata can still change');
      await rejects(cv.conversations.create({ state: 'closed' }), 400, 50384);
      const timers = await t.server.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM conversation_timers WHERE conversation_sid = ?', [c.sid]);
      assert.equal(Number(timers?.n), 0, 'closing stopped its timers');
    });

    test('timers can be changed, switched off with PT0S, and moved by State changes through the API', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({ 'timers.inactive': 'PT5M', 'timers.closed': 'PT10M' });
      const off = await cv.conversations(c.sid).update({ 'timers.inactive': 'PT0S' });
      assert.deepEqual(Object.keys(off.timers), ['date_closed']);
      t.clock.advance(6 * MINUTE);
      await tick();
      assert.equal((await cv.conversations(c.sid).fetch()).state, 'active', 'no inactive timer any more');
      const inactive = await cv.conversations(c.sid).update({ state: 'inactive' });
      assert.equal(inactive.state, 'inactive');
      // Back to active through the API: the timers start over.
      await cv.conversations(c.sid).update({ 'timers.inactive': 'PT3M' });
      const active = await cv.conversations(c.sid).update({ state: 'active' });
      assert.equal(new Date(active.timers.date_inactive).getTime(), t.clock.now() + 3 * MINUTE);
      assert.equal(new Date(active.timers.date_closed).getTime(), t.clock.now() + 10 * MINUTE);
      const reasons = (await eventsOf(t, c.sid)).filter((e) => e.type === 'onConversationStateUpdated').map((e) => [e.data.state_to, e.data.reason]);
      assert.deepEqual(reasons, [
        ['inactive', 'api'],
        ['active', 'api'],
      ]);
    });

    test('account defaults (Configuration DefaultInactiveTimer / DefaultClosedTimer) apply to new conversations', async () => {
      const other = await t.newAccount();
      const cv = other.client.conversations.v1;
      const cfg = await cv.configuration().update({ defaultInactiveTimer: 'PT2M', defaultClosedTimer: 'PT20M' });
      assert.equal(cfg.defaultInactiveTimer, 'PT2M');
      assert.equal(cfg.defaultClosedTimer, 'PT20M');
      const c = await cv.conversations.create();
      assert.equal(new Date(c.timers.date_inactive).getTime(), t.clock.now() + 2 * MINUTE);
      assert.equal(new Date(c.timers.date_closed).getTime(), t.clock.now() + 20 * MINUTE);
      const own = await cv.conversations.create({ 'timers.inactive': 'PT0S' });
      assert.deepEqual(Object.keys(own.timers), ['date_closed'], 'an explicit PT0S overrides the default');
      await cv.configuration().update({ defaultInactiveTimer: '', defaultClosedTimer: '' });
      assert.deepEqual((await cv.conversations.create()).timers, {});
    });

    test('POST /switchyard/v1/Clock fires conversation timers too', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({ 'timers.inactive': 'PT1M' });
      const res = await t.http('POST', '/switchyard/v1/Clock', { body: 'AdvanceSeconds=61' });
      assert.equal(res.status, 200);
      assert.ok(res.body.timers_fired >= 1);
      assert.equal((await cv.conversations(c.sid).fetch()).state, 'inactive');
    });

    test('timers are durable rows, due at the last activity plus the duration', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create({ 'timers.inactive': 'PT1M' });
      const row = await t.server.db.get<{ due_at: number }>("SELECT due_at FROM conversation_timers WHERE conversation_sid = ? AND kind = 'inactive'", [c.sid]);
      assert.equal(Number(row?.due_at), t.clock.now() + MINUTE);
    });
  });
}

describe('conversations: timers fire on their own when the server runs its timers', () => {
  test('timers: auto polls conversation timers every second', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-conv-'));
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 9, 0, 0));
    const server = await createServer({ sqliteFile: join(dir, 'db.sqlite'), clock });
    try {
      const account = await server.accounts.create('auto');
      const c = await server.conversations.conversations.create(account.accountSid, { timerInactive: 'PT1M' }, { source: 'api', webhooksEnabled: false });
      clock.advance(MINUTE);
      const deadline = Date.now() + 5000;
      let state = c.state;
      while (state === 'active' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        state = (await server.conversations.conversations.get(account.accountSid, c.sid)).state;
      }
      assert.equal(state, 'inactive');
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
