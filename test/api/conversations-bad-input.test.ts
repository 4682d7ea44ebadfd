import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { conversationRows } from './conversations-helpers.ts';

interface Row {
  name: string;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  status: number;
  code: number;
}

for (const backend of backends()) {
  describe(`conversations: bad input is a 4xx Twilio error and stores nothing (${backend.name})`, () => {
    let t: TestServer;
    let ch: string;
    let closed: string;
    let im: string;
    let channelUser: string;
    let customRole: string;
    let cr: string;
    let svc: string;
    let dflt: string;
    let inSvc: string;
    before(async () => {
      t = await startServer(backend);
      const cv = t.client.conversations.v1;
      ch = (await cv.conversations.create({ uniqueName: 'bad-input' })).sid;
      await cv.conversations(ch).participants.create({ identity: 'alice' });
      im = (await cv.conversations(ch).messages.create({ body: 'x' })).sid;
      closed = (await cv.conversations.create()).sid;
      await cv.conversations(closed).update({ state: 'closed' });
      channelUser = (await cv.roles.list()).find((r) => r.friendlyName === 'channel user')!.sid;
      customRole = (await cv.roles.create({ friendlyName: 'custom', type: 'conversation', permission: ['sendMessage'] })).sid;
      cr = (await cv.credentials.create({ type: 'fcm', secret: 'k' })).sid;
      dflt = (await cv.configuration().fetch()).defaultChatServiceSid;
      svc = (await cv.services.create({ friendlyName: 'second' })).sid;
      inSvc = (await cv.services(svc).conversations.create({ uniqueName: 'in-second' })).sid;
      await cv.services(svc).conversations(inSvc).participants.create({ 'messagingBinding.address': '+15550100000', 'messagingBinding.proxyAddress': '+15550100001' });
    });
    after(() => t.close());

    const rows = (): Row[] => {
      const C = `/conversations/v1/Conversations`;
      const P = `${C}/${ch}/Participants`;
      const M = `${C}/${ch}/Messages`;
      return [
        // Conversations
        { name: 'attributes not JSON', method: 'POST', path: C, body: 'Attributes=%7Boops', status: 400, code: 20001 },
        { name: 'attributes too long', method: 'POST', path: C, body: `Attributes=${encodeURIComponent(JSON.stringify({ a: 'x'.repeat(17000) }))}`, status: 400, code: 50303 },
        { name: 'bad state', method: 'POST', path: C, body: 'State=paused', status: 400, code: 20001 },
        { name: 'initializing is not for callers', method: 'POST', path: C, body: 'State=initializing', status: 400, code: 20001 },
        { name: 'closed at creation', method: 'POST', path: C, body: 'State=closed', status: 400, code: 50384 },
        { name: 'inactive timer not a duration', method: 'POST', path: C, body: 'Timers.Inactive=5', status: 400, code: 50379 },
        { name: 'inactive timer garbage', method: 'POST', path: C, body: 'Timers.Inactive=PT5X', status: 400, code: 50379 },
        { name: 'closed timer not a duration', method: 'POST', path: C, body: 'Timers.Closed=tomorrow', status: 400, code: 50380 },
        { name: 'inactive timer under a minute', method: 'POST', path: C, body: 'Timers.Inactive=PT30S', status: 400, code: 50375 },
        { name: 'closed timer under ten minutes', method: 'POST', path: C, body: 'Timers.Closed=PT9M', status: 400, code: 50376 },
        { name: 'messaging service not an MG SID', method: 'POST', path: C, body: 'MessagingServiceSid=IS123', status: 400, code: 20001 },
        { name: 'DateCreated not a date', method: 'POST', path: C, body: 'DateCreated=2025-13-45', status: 400, code: 20001 },
        { name: 'unique name like a SID', method: 'POST', path: C, body: `UniqueName=CH${'a'.repeat(32)}`, status: 400, code: 50390 },
        { name: 'unique name taken', method: 'POST', path: C, body: 'UniqueName=bad-input', status: 409, code: 50353 },
        { name: 'friendly name too long', method: 'POST', path: C, body: `FriendlyName=${'x'.repeat(257)}`, status: 400, code: 20001 },
        { name: 'webhook header not a boolean', method: 'POST', path: C, body: 'FriendlyName=x', headers: { 'X-Twilio-Webhook-Enabled': 'yes' }, status: 400, code: 20001 },
        { name: 'update unknown conversation', method: 'POST', path: `${C}/CH${'0'.repeat(32)}`, body: 'FriendlyName=x', status: 404, code: 20404 },
        { name: 'update unknown unique name', method: 'POST', path: `${C}/nobody`, body: 'FriendlyName=x', status: 404, code: 20404 },
        { name: 'update with a bad timer', method: 'POST', path: `${C}/${ch}`, body: 'Timers.Closed=P', status: 400, code: 50380 },
        { name: 'reopen closed', method: 'POST', path: `${C}/${closed}`, body: 'State=active', status: 400, code: 50377 },
        { name: 'list with a bad date', method: 'GET', path: `${C}?StartDate=last-week`, status: 400, code: 20001 },
        { name: 'list with a bad page token', method: 'GET', path: `${C}?PageToken=zzz`, status: 400, code: 20001 },
        { name: 'wrong method on the list', method: 'DELETE', path: C, status: 405, code: 20004 },
        { name: 'wrong method on configuration', method: 'DELETE', path: '/conversations/v1/Configuration', status: 405, code: 20004 },
        { name: 'malformed form body', method: 'POST', path: C, body: 'FriendlyName=%zz', status: 400, code: 20001 },
        // Participants
        { name: 'neither identity nor address', method: 'POST', path: P, body: 'Attributes=%7B%7D', status: 400, code: 20001 },
        { name: 'identity and address', method: 'POST', path: P, body: 'Identity=x&MessagingBinding.Address=%2B15550001', status: 400, code: 50211 },
        { name: 'identity and proxy address', method: 'POST', path: P, body: 'Identity=x&MessagingBinding.ProxyAddress=%2B15550001', status: 400, code: 50211 },
        { name: 'empty address', method: 'POST', path: P, body: 'MessagingBinding.Address=', status: 400, code: 50411 },
        { name: 'address too long', method: 'POST', path: P, body: `MessagingBinding.Address=${'1'.repeat(257)}`, status: 400, code: 50407 },
        { name: 'empty identity', method: 'POST', path: P, body: 'Identity=', status: 400, code: 20001 },
        { name: 'identity taken', method: 'POST', path: P, body: 'Identity=alice', status: 409, code: 50433 },
        { name: 'role not an RL SID', method: 'POST', path: P, body: 'Identity=z&RoleSid=XX1', status: 400, code: 20001 },
        { name: 'participant attributes not JSON', method: 'POST', path: P, body: 'Identity=z&Attributes=nope', status: 400, code: 20001 },
        { name: 'participant to a closed conversation', method: 'POST', path: `${C}/${closed}/Participants`, body: 'Identity=z', status: 400, code: 50377 },
        { name: 'participant to an unknown conversation', method: 'POST', path: `${C}/CH${'0'.repeat(32)}/Participants`, body: 'Identity=z', status: 404, code: 20404 },
        { name: 'negative last read index', method: 'POST', path: `${P}/alice`, body: 'LastReadMessageIndex=-1', status: 400, code: 20001 },
        { name: 'last read index not a number', method: 'POST', path: `${P}/alice`, body: 'LastReadMessageIndex=three', status: 400, code: 20001 },
        { name: 'address cannot change', method: 'POST', path: `${P}/alice`, body: 'MessagingBinding.Address=%2B1555', status: 400, code: 20001 },
        { name: 'unknown participant', method: 'POST', path: `${P}/MB${'0'.repeat(32)}`, body: 'Attributes=%7B%7D', status: 404, code: 20404 },
        { name: 'page size over 100', method: 'GET', path: `${P}?PageSize=101`, status: 400, code: 20001 },
        { name: 'page size zero', method: 'GET', path: `${P}?PageSize=0`, status: 400, code: 20001 },
        // Messages
        { name: 'message without content', method: 'POST', path: M, body: 'Author=alice', status: 400, code: 20001 },
        { name: 'message body too long', method: 'POST', path: M, body: `Body=${'x'.repeat(1601)}`, status: 400, code: 50504 },
        { name: 'message to a closed conversation', method: 'POST', path: `${C}/${closed}/Messages`, body: 'Body=x', status: 400, code: 50377 },
        { name: 'message media not an ME SID', method: 'POST', path: M, body: 'MediaSid=IM123', status: 400, code: 20001 },
        { name: 'update unknown message', method: 'POST', path: `${M}/IM${'0'.repeat(32)}`, body: 'Body=y', status: 404, code: 20404 },
        { name: 'update a message to nothing', method: 'POST', path: `${M}/${im}`, body: 'Body=y&Attributes=%5B', status: 400, code: 20001 },
        { name: 'message addressed by a non-IM SID', method: 'GET', path: `${M}/MB${'0'.repeat(32)}`, status: 404, code: 20404 },
        { name: 'receipts of an unknown message', method: 'GET', path: `${M}/IM${'0'.repeat(32)}/Receipts`, status: 404, code: 20404 },
        { name: 'wrong method on receipts', method: 'POST', path: `${M}/${im}/Receipts`, body: 'Status=read', status: 405, code: 20004 },
        // Service scope and configuration
        { name: 'unknown service', method: 'GET', path: `/conversations/v1/Services/IS${'0'.repeat(32)}/Conversations`, status: 404, code: 20404 },
        { name: 'configuration: bad default timer', method: 'POST', path: '/conversations/v1/Configuration', body: 'DefaultInactiveTimer=PT10', status: 400, code: 50379 },
        { name: 'participant conversations: both filters', method: 'GET', path: '/conversations/v1/ParticipantConversations?Identity=a&Address=b', status: 400, code: 20001 },
        // Services, their configuration, notifications, webhooks and bindings; conversations with participants
        ...((S = '/conversations/v1/Services', SC = `/conversations/v1/Services/${svc}/Configuration`, B = `/conversations/v1/Services/${svc}/Bindings`, CWP = '/conversations/v1/ConversationWithParticipants', none = `IS${'0'.repeat(32)}`) => [
          { name: 'service without a friendly name', method: 'POST', path: S, body: 'X=1', status: 400, code: 20001 },
          { name: 'service with an empty friendly name', method: 'POST', path: S, body: 'FriendlyName=', status: 400, code: 20001 },
          { name: 'service friendly name too long', method: 'POST', path: S, body: `FriendlyName=${'x'.repeat(257)}`, status: 400, code: 20001 },
          { name: 'unknown service fetched', method: 'GET', path: `${S}/${none}`, status: 404, code: 20404 },
          { name: 'service addressed by no SID', method: 'DELETE', path: `${S}/support`, status: 404, code: 20404 },
          { name: 'the default service deleted', method: 'DELETE', path: `${S}/${dflt}`, status: 400, code: 20001 },
          { name: 'wrong method on services', method: 'DELETE', path: S, status: 405, code: 20004 },
          { name: 'services page size over 100', method: 'GET', path: `${S}?PageSize=101`, status: 400, code: 20001 },
          { name: 'default service: not a service', method: 'POST', path: '/conversations/v1/Configuration', body: `DefaultChatServiceSid=${none}`, status: 400, code: 20001 },
          { name: 'conversation of another service', method: 'GET', path: `${S}/${dflt}/Conversations/${inSvc}`, status: 404, code: 20404 },
          { name: 'unique name of another service', method: 'POST', path: `${S}/${dflt}/Conversations/in-second/Messages`, body: 'Body=x', status: 404, code: 20404 },
          { name: 'account level: another service', method: 'DELETE', path: `/conversations/v1/Conversations/${inSvc}`, status: 404, code: 20404 },
          { name: 'service configuration: reachability not a boolean', method: 'POST', path: SC, body: 'ReachabilityEnabled=maybe', status: 400, code: 20001 },
          { name: 'service configuration: not a role SID', method: 'POST', path: SC, body: 'DefaultConversationRoleSid=RL123', status: 400, code: 20001 },
          { name: 'service configuration: unknown role', method: 'POST', path: SC, body: `DefaultConversationRoleSid=RL${'0'.repeat(32)}`, status: 400, code: 50100 },
          { name: "service configuration: another service's role", method: 'POST', path: SC, body: `DefaultConversationRoleSid=${customRole}`, status: 400, code: 50100 },
          { name: 'service configuration of an unknown service', method: 'GET', path: `${S}/${none}/Configuration`, status: 404, code: 20404 },
          { name: 'notifications: enabled not a boolean', method: 'POST', path: `${SC}/Notifications`, body: 'NewMessage.Enabled=yes', status: 400, code: 20001 },
          { name: 'notifications: template too long', method: 'POST', path: `${SC}/Notifications`, body: `NewMessage.Template=${'x'.repeat(2049)}`, status: 400, code: 20001 },
          { name: 'service webhooks: bad method', method: 'POST', path: `${SC}/Webhooks`, body: 'Method=PUT', status: 400, code: 20001 },
          { name: 'service webhooks: unknown filter', method: 'POST', path: `${SC}/Webhooks`, body: 'Filters=onNothing', status: 400, code: 20001 },
          { name: 'service webhooks: not an http URL', method: 'POST', path: `${SC}/Webhooks`, body: 'PostWebhookUrl=ftp%3A%2F%2Fexample.com', status: 400, code: 20001 },
          { name: 'service webhooks: URL too long', method: 'POST', path: `${SC}/Webhooks`, body: `PreWebhookUrl=https%3A%2F%2Fexample.com%2F${'x'.repeat(600)}`, status: 400, code: 20001 },
          { name: 'wrong method on service webhooks', method: 'DELETE', path: `${SC}/Webhooks`, status: 405, code: 20004 },
          { name: 'bindings: unknown type', method: 'GET', path: `${B}?BindingType=sms`, status: 400, code: 20001 },
          { name: 'bindings: unknown binding', method: 'GET', path: `${B}/BS${'0'.repeat(32)}`, status: 404, code: 20404 },
          { name: 'bindings: unknown binding deleted', method: 'DELETE', path: `${B}/BS${'0'.repeat(32)}`, status: 404, code: 20404 },
          { name: 'bindings of an unknown service', method: 'GET', path: `${S}/${none}/Bindings`, status: 404, code: 20404 },
          { name: 'bindings cannot be created over REST', method: 'POST', path: B, body: 'Identity=x', status: 405, code: 20004 },
          { name: 'with participants: not JSON', method: 'POST', path: CWP, body: 'Participant=%7Bidentity', status: 400, code: 20001 },
          { name: 'with participants: not an object', method: 'POST', path: CWP, body: 'Participant=%5B%5D', status: 400, code: 20001 },
          { name: 'with participants: unknown field', method: 'POST', path: CWP, body: `Participant=${encodeURIComponent('{"identity":"a","colour":"red"}')}`, status: 400, code: 20001 },
          { name: 'with participants: identity and address', method: 'POST', path: CWP, body: `Participant=${encodeURIComponent('{"identity":"a","messaging_binding":{"address":"+1555"}}')}`, status: 400, code: 50211 },
          { name: 'with participants: bad attributes', method: 'POST', path: CWP, body: `Participant=${encodeURIComponent('{"identity":"a","attributes":"{oops"}')}`, status: 400, code: 20001 },
          { name: 'with participants: eleven', method: 'POST', path: CWP, body: Array.from({ length: 11 }, (_, i) => `Participant=${encodeURIComponent(JSON.stringify({ identity: `u${i}` }))}`).join('&'), status: 400, code: 20001 },
          { name: 'with participants: a binding in use', method: 'POST', path: CWP, body: `Participant=${encodeURIComponent('{"messaging_binding":{"address":"+15550100000","proxy_address":"+15550100001"}}')}`, status: 409, code: 50416 },
          { name: 'with participants: closed at creation', method: 'POST', path: CWP, body: 'State=closed', status: 400, code: 50384 },
          { name: 'with participants: unique name taken', method: 'POST', path: CWP, body: 'UniqueName=bad-input', status: 409, code: 50353 },
          { name: 'with participants: unknown service', method: 'POST', path: `${S}/${none}/ConversationWithParticipants`, body: 'FriendlyName=x', status: 404, code: 20404 },
        ])(),
        // Users and user conversations
        ...((U = '/conversations/v1/Users', UC = `${U}/alice/Conversations`) => [
          { name: 'user without identity', method: 'POST', path: U, body: 'FriendlyName=x', status: 400, code: 50204 },
          { name: 'user with an empty identity', method: 'POST', path: U, body: 'Identity=', status: 400, code: 50204 },
          { name: 'user identity like a user SID', method: 'POST', path: U, body: `Identity=US${'a'.repeat(32)}`, status: 400, code: 50206 },
          { name: 'user identity too long', method: 'POST', path: U, body: `Identity=${'x'.repeat(257)}`, status: 400, code: 20001 },
          { name: 'user identity taken (made by joining)', method: 'POST', path: U, body: 'Identity=alice', status: 409, code: 50201 },
          { name: 'user attributes not JSON', method: 'POST', path: U, body: 'Identity=z&Attributes=nope', status: 400, code: 20001 },
          { name: 'user role not an RL SID', method: 'POST', path: U, body: 'Identity=z&RoleSid=XX1', status: 400, code: 20001 },
          { name: 'user role unknown', method: 'POST', path: U, body: `Identity=z&RoleSid=RL${'0'.repeat(32)}`, status: 400, code: 50100 },
          { name: 'user role of conversation type', method: 'POST', path: U, body: `Identity=z&RoleSid=${channelUser}`, status: 400, code: 50100 },
          { name: 'user webhook header not a boolean', method: 'POST', path: U, body: 'Identity=z', headers: { 'X-Twilio-Webhook-Enabled': 'maybe' }, status: 400, code: 20001 },
          { name: 'update unknown user', method: 'POST', path: `${U}/nobody`, body: 'FriendlyName=x', status: 404, code: 20404 },
          { name: 'update user to a conversation role', method: 'POST', path: `${U}/alice`, body: `RoleSid=${channelUser}`, status: 400, code: 50100 },
          { name: 'delete unknown user', method: 'DELETE', path: `${U}/US${'0'.repeat(32)}`, status: 404, code: 20404 },
          { name: 'users page size over 50', method: 'GET', path: `${U}?PageSize=51`, status: 400, code: 20001 },
          { name: 'users of an unknown service', method: 'GET', path: `/conversations/v1/Services/IS${'0'.repeat(32)}/Users`, status: 404, code: 20404 },
          { name: 'conversations of an unknown user', method: 'GET', path: `${U}/nobody/Conversations`, status: 404, code: 20404 },
          { name: 'user conversation: unknown notification level', method: 'POST', path: `${UC}/${ch}`, body: 'NotificationLevel=loud', status: 400, code: 20001 },
          { name: 'user conversation: negative read index', method: 'POST', path: `${UC}/${ch}`, body: 'LastReadMessageIndex=-1', status: 400, code: 20001 },
          { name: 'user conversation: timestamp not a date', method: 'POST', path: `${UC}/${ch}`, body: 'LastReadTimestamp=yesterday', status: 400, code: 20001 },
          { name: 'user conversation the user is not in', method: 'POST', path: `${UC}/${closed}`, body: 'NotificationLevel=muted', status: 404, code: 20404 },
          { name: 'leave a conversation the user is not in', method: 'DELETE', path: `${UC}/${closed}`, status: 404, code: 20404 },
          { name: 'user conversations page size over 50', method: 'GET', path: `${UC}?PageSize=51`, status: 400, code: 20001 },
        ])(),
        // Roles
        ...((R = '/conversations/v1/Roles') => [
          { name: 'role without permission', method: 'POST', path: R, body: 'FriendlyName=x&Type=service', status: 400, code: 20001 },
          { name: 'role without type', method: 'POST', path: R, body: 'FriendlyName=x&Permission=sendMessage', status: 400, code: 20001 },
          { name: 'role without name', method: 'POST', path: R, body: 'Type=service&Permission=joinConversation', status: 400, code: 20001 },
          { name: 'role name too long', method: 'POST', path: R, body: `FriendlyName=${'x'.repeat(65)}&Type=service&Permission=joinConversation`, status: 400, code: 20001 },
          { name: 'role of an unknown type', method: 'POST', path: R, body: 'FriendlyName=x&Type=channel&Permission=sendMessage', status: 400, code: 50105 },
          { name: 'role with a permission of the other type', method: 'POST', path: R, body: 'FriendlyName=x&Type=service&Permission=sendMessage', status: 400, code: 50104 },
          { name: 'role with an unknown permission', method: 'POST', path: R, body: 'FriendlyName=x&Type=conversation&Permission=destroyChannel', status: 400, code: 50104 },
          { name: 'update role without permission', method: 'POST', path: `${R}/${customRole}`, body: '', status: 400, code: 20001 },
          { name: 'update role to another type’s permission', method: 'POST', path: `${R}/${customRole}`, body: 'Permission=createConversation', status: 400, code: 50104 },
          { name: 'delete a built-in role', method: 'DELETE', path: `${R}/${channelUser}`, status: 400, code: 20001 },
          { name: 'unknown role', method: 'GET', path: `${R}/RL${'0'.repeat(32)}`, status: 404, code: 20404 },
          { name: 'role addressed by a non-RL SID', method: 'GET', path: `${R}/US${'0'.repeat(32)}`, status: 404, code: 20404 },
          { name: 'roles page size over 50', method: 'GET', path: `${R}?PageSize=51`, status: 400, code: 20001 },
          { name: 'roles of an unknown service', method: 'POST', path: `/conversations/v1/Services/IS${'0'.repeat(32)}/Roles`, body: 'FriendlyName=x&Type=service&Permission=joinConversation', status: 404, code: 20404 },
        ])(),
        // Credentials
        ...((CR = '/conversations/v1/Credentials') => [
          { name: 'credential without type', method: 'POST', path: CR, body: 'FriendlyName=x', status: 400, code: 20001 },
          { name: 'credential of an unknown type', method: 'POST', path: CR, body: 'Type=sms', status: 400, code: 20001 },
          { name: 'credential sandbox not a boolean', method: 'POST', path: CR, body: 'Type=apn&Sandbox=maybe', status: 400, code: 20001 },
          { name: 'credential name too long', method: 'POST', path: CR, body: `Type=apn&FriendlyName=${'x'.repeat(65)}`, status: 400, code: 20001 },
          { name: 'credential secret too long', method: 'POST', path: CR, body: `Type=fcm&Secret=${'x'.repeat(16 * 1024 + 1)}`, status: 400, code: 20001 },
          { name: 'update credential to an unknown type', method: 'POST', path: `${CR}/${cr}`, body: 'Type=sms', status: 400, code: 20001 },
          { name: 'unknown credential', method: 'GET', path: `${CR}/CR${'0'.repeat(32)}`, status: 404, code: 20404 },
          { name: 'delete unknown credential', method: 'DELETE', path: `${CR}/CR${'0'.repeat(32)}`, status: 404, code: 20404 },
          { name: 'credentials page size over 100', method: 'GET', path: `${CR}?PageSize=101`, status: 400, code: 20001 },
          { name: 'wrong method on credentials', method: 'DELETE', path: CR, status: 405, code: 20004 },
        ])(),
      ];
    };

    test('each row: Twilio error body, status and code; nothing stored', async () => {
      for (const row of rows()) {
        const before = await conversationRows(t);
        const res = await t.http(row.method, row.path, { body: row.body, headers: row.headers });
        assert.equal(res.status, row.status, `${row.name}: status (${JSON.stringify(res.body)})`);
        assert.equal(res.body.code, row.code, `${row.name}: code (${res.body.message})`);
        assert.equal(res.body.status, row.status, row.name);
        assert.equal(res.body.more_info, `https://www.twilio.com/docs/errors/${row.code}`, row.name);
        assert.equal(typeof res.body.message, 'string', row.name);
        assert.deepEqual(await conversationRows(t), before, `${row.name}: nothing stored`);
      }
    });

    test('no credentials: 401; another account: 404', async () => {
      const res = await t.http('GET', `/conversations/v1/Conversations/${ch}`, { auth: null });
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 20003);
      const other = await t.newAccount();
      const basic = 'Basic ' + Buffer.from(`${other.account.accountSid}:${other.account.authToken}`).toString('base64');
      const foreign = await t.http('GET', `/conversations/v1/Conversations/${ch}`, { auth: basic });
      assert.equal(foreign.status, 404);
      const foreignMessage = await t.http('POST', `/conversations/v1/Conversations/${ch}/Messages`, { auth: basic, body: 'Body=x' });
      assert.equal(foreignMessage.status, 404);
    });

    test('Host routing: conversations.twilio.com reaches the same API and answers with Twilio URLs', async () => {
      const res = await t.http('GET', `/v1/Conversations/${ch}`, { headers: { host: 'conversations.twilio.com' } });
      assert.equal(res.status, 200);
      assert.equal(res.body.url, `https://conversations.twilio.com/v1/Conversations/${ch}`);
    });

    test('at once: one binding, one winner; messages get distinct indexes', async () => {
      const cv = t.client.conversations.v1;
      const convs = await Promise.all([0, 1, 2, 3].map(() => cv.conversations.create()));
      const binding = { 'messagingBinding.address': '+15559990000', 'messagingBinding.proxyAddress': '+15559990001' };
      const results = await Promise.allSettled(convs.map((c) => cv.conversations(c.sid).participants.create(binding)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code: number }).code, 50416);
      const c = convs[0];
      const msgs = await Promise.all(Array.from({ length: 10 }, (_, i) => cv.conversations(c.sid).messages.create({ body: `m${i}` })));
      assert.deepEqual(msgs.map((m) => m.index).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const ids = await Promise.allSettled([0, 1, 2].map(() => cv.conversations(c.sid).participants.create({ identity: 'same' })));
      assert.equal(ids.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of ids) if (r.status === 'rejected') assert.equal((r.reason as { code: number }).code, 50433);
      const names = await Promise.allSettled([0, 1, 2].map(() => cv.conversations.create({ uniqueName: 'race' })));
      assert.equal(names.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of names) if (r.status === 'rejected') assert.equal((r.reason as { code: number }).code, 50353);
    });
  });
}
