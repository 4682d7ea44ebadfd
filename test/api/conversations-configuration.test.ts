import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { conversationRows, rejects } from './conversations-helpers.ts';

const FW = 'FW' + 'a'.repeat(32);
const MG = 'MG' + 'c'.repeat(32);

for (const backend of backends()) {
  describe(`conversations: scoped webhooks, configuration, address configurations (${backend.name})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer(backend);
    });
    after(() => t.close());

    test('conversation-scoped webhooks: webhook, trigger and studio targets with every parameter', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create();
      const hooks = cv.conversations(c.sid).webhooks;
      const w = await hooks.create({
        target: 'webhook',
        'configuration.url': 'https://example.com/events',
        'configuration.method': 'get',
        'configuration.filters': ['onMessageAdded', 'onConversationRemoved'],
        'configuration.replayAfter': 7,
      });
      assert.match(w.sid, /^WH[0-9a-f]{32}$/);
      assert.equal(w.target, 'webhook');
      assert.deepEqual(w.configuration, { url: 'https://example.com/events', method: 'get', filters: ['onMessageAdded', 'onConversationRemoved'] });
      assert.ok(w.url.endsWith(`/v1/Conversations/${c.sid}/Webhooks/${w.sid}`));
      const trigger = await hooks.create({ target: 'trigger', 'configuration.url': 'https://example.com/t', 'configuration.triggers': ['help', 'agent'] });
      assert.deepEqual(trigger.configuration, { url: 'https://example.com/t', method: 'post', filters: ['help', 'agent'] });
      const studio = await hooks.create({ target: 'studio', 'configuration.flowSid': FW });
      assert.deepEqual(studio.configuration, { flow_sid: FW });
      assert.deepEqual((await cv.conversations(c.sid).webhooks(studio.sid).fetch()).toJSON(), studio.toJSON());

      const u = await cv.conversations(c.sid).webhooks(w.sid).update({
        'configuration.url': 'https://example.com/v2',
        'configuration.method': 'post',
        'configuration.filters': ['onParticipantAdded'],
      });
      assert.deepEqual(u.configuration, { url: 'https://example.com/v2', method: 'post', filters: ['onParticipantAdded'] });
      const ut = await cv.conversations(c.sid).webhooks(trigger.sid).update({ 'configuration.triggers': ['keyword1', 'keyword2'] });
      assert.deepEqual(ut.configuration.filters, ['keyword1', 'keyword2']);
      const us = await cv.conversations(c.sid).webhooks(studio.sid).update({ 'configuration.flowSid': 'FW' + 'b'.repeat(32) });
      assert.equal(us.configuration.flow_sid, 'FW' + 'b'.repeat(32));

      assert.equal((await hooks.list()).length, 3);
      assert.equal(await cv.conversations(c.sid).webhooks(trigger.sid).remove(), true);
      await rejects(cv.conversations(c.sid).webhooks(trigger.sid).fetch(), 404, 20404);
      assert.deepEqual((await hooks.list()).map((x) => x.sid), [w.sid, studio.sid]);
    });

    test('at most five per conversation (50361); pages of 1..5, 5 by default', async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create();
      for (let i = 0; i < 5; i++) await cv.conversations(c.sid).webhooks.create({ target: 'studio', 'configuration.flowSid': FW });
      await rejects(cv.conversations(c.sid).webhooks.create({ target: 'studio', 'configuration.flowSid': FW }), 400, 50361);
      const raw = await t.http('GET', `/conversations/v1/Conversations/${c.sid}/Webhooks`);
      assert.equal(raw.body.meta.page_size, 5);
      assert.equal(raw.body.webhooks.length, 5);
      const page = await cv.conversations(c.sid).webhooks.page({ pageSize: 2 });
      assert.equal(page.instances.length, 2);
      await rejects(cv.conversations(c.sid).webhooks.page({ pageSize: 6 }), 400, 20001);
      assert.equal((await cv.conversations(c.sid).webhooks.list()).length, 5);
    });

    test("each target's rules, with Twilio's codes; nothing stored", async () => {
      const cv = t.client.conversations.v1;
      const c = await cv.conversations.create();
      const hooks = cv.conversations(c.sid).webhooks;
      const before = await conversationRows(t);
      const url = 'https://example.com/x';
      const noTarget = await t.http('POST', `/conversations/v1/Conversations/${c.sid}/Webhooks`, { body: 'Configuration.Url=https%3A%2F%2Fexample.com' });
      assert.deepEqual([noTarget.status, noTarget.body.code], [400, 50368]);
      await rejects(hooks.create({ target: 'email' as 'webhook' }), 400, 50364);
      await rejects(hooks.create({ target: 'webhook', 'configuration.filters': ['onMessageAdded'] }), 400, 50369);
      await rejects(hooks.create({ target: 'webhook', 'configuration.url': url }), 400, 50370);
      await rejects(hooks.create({ target: 'webhook', 'configuration.url': url, 'configuration.filters': ['onSomething'] }), 400, 50365);
      await rejects(hooks.create({ target: 'webhook', 'configuration.url': 'https://e.com/' + 'x'.repeat(600), 'configuration.filters': ['onMessageAdded'] }), 400, 50372);
      await rejects(hooks.create({ target: 'webhook', 'configuration.url': 'not a url', 'configuration.filters': ['onMessageAdded'] }), 400, 20001);
      await rejects(hooks.create({ target: 'webhook', 'configuration.url': url, 'configuration.filters': ['onMessageAdded'], 'configuration.method': 'put' as 'get' }), 400, 20001);
      await rejects(hooks.create({ target: 'trigger', 'configuration.url': url }), 400, 50371);
      await rejects(hooks.create({ target: 'trigger', 'configuration.url': url, 'configuration.triggers': ['a', 'b', 'c', 'd', 'e', 'f'] }), 400, 50362);
      await rejects(hooks.create({ target: 'trigger', 'configuration.url': url, 'configuration.triggers': ['x'.repeat(249)] }), 400, 50366);
      await rejects(hooks.create({ target: 'studio' }), 400, 50367);
      await rejects(hooks.create({ target: 'studio', 'configuration.flowSid': 'FW123' }), 400, 50367);
      await rejects(hooks.create({ target: 'studio', 'configuration.flowSid': FW, 'configuration.replayAfter': -1 }), 400, 20001);
      await rejects(cv.conversations('CH' + '0'.repeat(32)).webhooks.create({ target: 'studio', 'configuration.flowSid': FW }), 404, 20404);
      assert.deepEqual(await conversationRows(t), before);
      const w = await hooks.create({ target: 'webhook', 'configuration.url': url, 'configuration.filters': ['onMessageAdded'] });
      await rejects(cv.conversations(c.sid).webhooks(w.sid).update({ 'configuration.url': '' }), 400, 50369);
      assert.equal((await cv.conversations(c.sid).webhooks(w.sid).fetch()).configuration.url, url);
    });

    test('account Configuration: defaults for new conversations', async () => {
      const other = await t.newAccount();
      const cv = other.client.conversations.v1;
      const cfg = await cv.configuration().fetch();
      assert.match(cfg.defaultChatServiceSid, /^IS[0-9a-f]{32}$/);
      assert.equal(cfg.defaultMessagingServiceSid, null);
      assert.equal(cfg.defaultInactiveTimer, null);
      assert.equal(cfg.defaultClosedTimer, null);
      assert.ok(cfg.links.service.endsWith(`/v1/Services/${cfg.defaultChatServiceSid}/Configuration`));
      assert.ok(cfg.links.webhooks.endsWith('/v1/Configuration/Webhooks'));
      const u = await cv.configuration().update({
        defaultChatServiceSid: cfg.defaultChatServiceSid,
        defaultMessagingServiceSid: MG,
        defaultInactiveTimer: 'PT1M',
        defaultClosedTimer: 'PT10M',
      });
      assert.equal(u.defaultMessagingServiceSid, MG);
      assert.equal(u.defaultInactiveTimer, 'PT1M');
      assert.equal(u.defaultClosedTimer, 'PT10M');
      assert.equal((await cv.conversations.create()).messagingServiceSid, MG, 'new conversations take the default messaging service');
      await rejects(cv.configuration().update({ defaultChatServiceSid: 'IS' + '0'.repeat(32) }), 400, 20001);
      await rejects(cv.configuration().update({ defaultInactiveTimer: 'five minutes' }), 400, 50379);
      await rejects(cv.configuration().update({ defaultClosedTimer: 'PT5M' }), 400, 50376);
      await rejects(cv.configuration().update({ defaultMessagingServiceSid: 'MG1' }), 400, 20001);
      assert.deepEqual((await cv.configuration().fetch()).toJSON(), u.toJSON(), 'failed updates changed nothing');
    });

    test('account Configuration/Webhooks: stored and shown', async () => {
      const other = await t.newAccount();
      const cv = other.client.conversations.v1;
      const initial = await cv.configuration.webhooks().fetch();
      assert.equal(initial.method, 'POST');
      assert.deepEqual(initial.filters, []);
      assert.equal(initial.preWebhookUrl, null);
      assert.equal(initial.postWebhookUrl, null);
      assert.equal(initial.target, 'webhook');
      const u = await cv.configuration.webhooks().update({
        method: 'GET',
        filters: ['onMessageAdd', 'onConversationUpdated', 'onConversationStateUpdated'],
        preWebhookUrl: 'https://example.com/pre',
        postWebhookUrl: 'https://example.com/post',
        target: 'flex',
      });
      assert.equal(u.method, 'GET');
      assert.deepEqual(u.filters, ['onMessageAdd', 'onConversationUpdated', 'onConversationStateUpdated']);
      assert.equal(u.preWebhookUrl, 'https://example.com/pre');
      assert.equal(u.postWebhookUrl, 'https://example.com/post');
      assert.equal(u.target, 'flex');
      assert.equal((await cv.configuration.webhooks().update({ method: 'post' })).method, 'POST', 'method in any case');
      const cleared = await cv.configuration.webhooks().update({ preWebhookUrl: '' });
      assert.equal(cleared.preWebhookUrl, null);
      await rejects(cv.configuration.webhooks().update({ filters: ['onNothing'] }), 400, 20001);
      await rejects(cv.configuration.webhooks().update({ method: 'PUT' }), 400, 20001);
      await rejects(cv.configuration.webhooks().update({ target: 'studio' as 'flex' }), 400, 20001);
      await rejects(cv.configuration.webhooks().update({ postWebhookUrl: 'ftp://x' }), 400, 20001);
      assert.equal((await cv.configuration.webhooks().fetch()).postWebhookUrl, 'https://example.com/post');
    });

    test('address configurations: create with every parameter, fetch by SID or address, update, list by type, delete', async () => {
      const other = await t.newAccount();
      const cv = other.client.conversations.v1;
      const { defaultChatServiceSid: is } = await cv.configuration().fetch();
      const a = await cv.addressConfigurations.create({
        type: 'sms',
        address: '+37256123457',
        friendlyName: 'My Test Configuration',
        'autoCreation.enabled': true,
        'autoCreation.type': 'webhook',
        'autoCreation.conversationServiceSid': is,
        'autoCreation.webhookUrl': 'https://example.com',
        'autoCreation.webhookMethod': 'post',
        'autoCreation.webhookFilters': ['onParticipantAdded', 'onMessageAdded'],
        addressCountry: 'CA',
      });
      assert.match(a.sid, /^IG[0-9a-f]{32}$/);
      assert.equal(a.type, 'sms');
      assert.equal(a.address, '+37256123457');
      assert.equal(a.friendlyName, 'My Test Configuration');
      assert.equal(a.addressCountry, 'CA');
      assert.deepEqual(a.autoCreation, {
        enabled: true,
        type: 'webhook',
        conversation_service_sid: is,
        webhook_url: 'https://example.com',
        webhook_method: 'POST',
        webhook_filters: ['onParticipantAdded', 'onMessageAdded'],
      });
      assert.deepEqual((await cv.addressConfigurations('+37256123457').fetch()).toJSON(), (await cv.addressConfigurations(a.sid).fetch()).toJSON());
      const wa = await cv.addressConfigurations.create({ type: 'whAtsAPP' as 'whatsapp', address: 'whatsapp:+15550001111', 'autoCreation.enabled': true, 'autoCreation.type': 'default' });
      assert.equal(wa.type, 'whatsapp', 'type in any case');
      assert.deepEqual(wa.autoCreation, { enabled: true, type: 'default' });
      assert.equal(wa.addressCountry, null);
      const plain = await cv.addressConfigurations.create({ type: 'email', address: 'help@example.com' });
      assert.deepEqual(plain.autoCreation, { enabled: false });
      // The same address under another type is another configuration; under the same type it is a duplicate.
      await cv.addressConfigurations.create({ type: 'whatsapp', address: '+37256123457' });
      await rejects(cv.addressConfigurations.create({ type: 'sms', address: '+37256123457' }), 400, 20001);

      t.clock.advance(1000);
      const u = await cv.addressConfigurations(a.sid).update({
        friendlyName: 'Updated',
        'autoCreation.enabled': false,
        'autoCreation.type': 'studio',
        'autoCreation.studioFlowSid': FW,
        'autoCreation.studioRetryCount': 3,
      });
      assert.equal(u.friendlyName, 'Updated');
      assert.deepEqual(u.autoCreation, { enabled: false, type: 'studio', conversation_service_sid: is, studio_flow_sid: FW, studio_retry_count: 3 });
      assert.equal(u.dateUpdated.getTime(), t.clock.now());

      assert.deepEqual((await cv.addressConfigurations.list()).map((x) => x.address), ['+37256123457', 'whatsapp:+15550001111', 'help@example.com', '+37256123457']);
      assert.deepEqual((await cv.addressConfigurations.list({ type: 'whatsapp' })).map((x) => x.sid).includes(wa.sid), true);
      assert.equal((await cv.addressConfigurations.list({ type: 'sms' })).length, 1);
      await rejects(cv.addressConfigurations.page({ pageSize: 51 }), 400, 20001);
      assert.equal(await cv.addressConfigurations(wa.sid).remove(), true);
      await rejects(cv.addressConfigurations(wa.sid).fetch(), 404, 20404);
      // Another account sees none of it.
      await rejects(t.client.conversations.v1.addressConfigurations(a.sid).fetch(), 404, 20404);
    });

    test('address configurations: bad input, nothing stored', async () => {
      const cv = t.client.conversations.v1;
      const before = await conversationRows(t);
      const noType = await t.http('POST', '/conversations/v1/Configuration/Addresses', { body: 'Address=%2B15550009999' });
      assert.deepEqual([noType.status, noType.body.code], [400, 20001]);
      await rejects(cv.addressConfigurations.create({ type: 'pigeon' as 'sms', address: '+15550009999' }), 400, 20001);
      const noAddress = await t.http('POST', '/conversations/v1/Configuration/Addresses', { body: 'Type=sms' });
      assert.deepEqual([noAddress.status, noAddress.body.code], [400, 20001]);
      await rejects(cv.addressConfigurations.create({ type: 'sms', address: '+1', 'autoCreation.type': 'webhook' }), 400, 20001);
      await rejects(cv.addressConfigurations.create({ type: 'sms', address: '+1', 'autoCreation.type': 'studio' }), 400, 20001);
      await rejects(cv.addressConfigurations.create({ type: 'sms', address: '+1', 'autoCreation.webhookUrl': 'nope' }), 400, 20001);
      await rejects(cv.addressConfigurations.create({ type: 'sms', address: '+1', 'autoCreation.webhookFilters': ['onFoo'] }), 400, 20001);
      await rejects(cv.addressConfigurations.create({ type: 'sms', address: '+1', 'autoCreation.conversationServiceSid': 'IS' + '0'.repeat(32) }), 400, 20001);
      await rejects(cv.addressConfigurations.create({ type: 'sms', address: '+1', addressCountry: 'Canada' }), 400, 20001);
      await rejects(cv.addressConfigurations.create({ type: 'sms', address: '+1', 'autoCreation.enabled': 'yes' as unknown as boolean }), 400, 20001);
      await rejects(cv.addressConfigurations.create({ type: 'sms', address: '+1', 'autoCreation.studioRetryCount': -1 }), 400, 20001);
      await rejects(cv.addressConfigurations('IG' + '0'.repeat(32)).update({ friendlyName: 'x' }), 404, 20404);
      assert.deepEqual(await conversationRows(t), before);
    });
  });
}
