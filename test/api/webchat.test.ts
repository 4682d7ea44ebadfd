import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { connectSdk, within, type Client, type Message, type Participant } from '../support/conversations-sdk.ts';
import { conversationOf, sdkFor, seenAfter, shutdownAll } from '../support/sdk-chat.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { flexWorkspace, members, type FlexFixture } from './flex-helpers.ts';
import { advance } from './routing-helpers.ts';

/**
 * Web chat: widgets (the account's admin API) and customer sessions (public): a session is a real
 * conversation with the customer in it and a real `web` interaction routed to an available agent.
 */

const WIDGETS = '/switchyard/v1/WebChat/Widgets';
const SESSIONS = '/webchat/v1/Sessions';

const form = (o: Record<string, string>) => new URLSearchParams(o).toString();


async function rowCount(t: TestServer, table: string): Promise<number> {
  return Number((await t.server.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n ?? 0);
}

function expectTwilioError(res: { status: number; body: any }, status: number, code: number, message?: RegExp) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.code, code, JSON.stringify(res.body));
  assert.equal(res.body.status, status);
  assert.equal(res.body.more_info, `https://www.twilio.com/docs/errors/${code}`);
  if (message) assert.match(res.body.message, message);
}

for (const backend of backends()) {
  describe(`web chat (${backend.name})`, () => {
    let t: TestServer;
    let f: FlexFixture;
    let widgetSid: string;
    before(async () => {
      t = await startServer(backend);
      f = await flexWorkspace(t, ['alice']);
      const res = await t.http('POST', WIDGETS, { body: form({ WorkspaceSid: f.wsSid, WorkflowSid: f.workflowSid, FriendlyName: 'Support chat' }) });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      widgetSid = res.body.sid;
    });
    const clients: Client[] = [];
    after(async () => {
      await shutdownAll(clients);
      await t.close();
    });

    test('widgets: create, list, fetch, delete; TaskChannel defaults to chat, WorkflowSid to the only workflow', async () => {
      const res = await t.http('POST', WIDGETS, { body: form({ WorkspaceSid: f.wsSid }) });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const w = res.body;
      assert.match(w.sid, /^YW[0-9a-f]{32}$/);
      assert.equal(w.account_sid, t.account.accountSid);
      assert.equal(w.workspace_sid, f.wsSid);
      assert.equal(w.workflow_sid, null);
      assert.equal(w.task_channel, 'chat');
      assert.equal(w.friendly_name, 'Web chat');
      assert.match(w.date_created, /^2026-01-15T09:0\d:\d\dZ$/);
      assert.equal(w.chat_url, `${t.baseUrl}/webchat/?widget=${w.sid}`);
      assert.equal(w.embed_script, `<script src="${t.baseUrl}/webchat/embed.js" data-widget="${w.sid}"></script>`);
      assert.equal(w.url, `${t.baseUrl}/switchyard/v1/WebChat/Widgets/${w.sid}`);

      const fetched = await t.http('GET', `${WIDGETS}/${w.sid}`);
      assert.equal(fetched.status, 200);
      assert.deepEqual(fetched.body, w);

      const list = await t.http('GET', `${WIDGETS}?PageSize=50`);
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.widgets.map((x: any) => x.sid), [widgetSid, w.sid]);
      assert.equal(list.body.meta.key, 'widgets');
      assert.equal(list.body.meta.next_page_url, null);
      const first = await t.http('GET', `${WIDGETS}?PageSize=1`);
      assert.deepEqual(first.body.widgets.map((x: any) => x.sid), [widgetSid]);
      assert.ok(first.body.meta.next_page_url);

      // The public view of a widget tells what the page shows, and nothing of the account or its routing.
      const pub = await t.http('GET', `/webchat/v1/Widgets/${w.sid}`, { auth: null });
      assert.deepEqual(pub.body, {
        sid: w.sid,
        friendly_name: 'Web chat',
        title: 'Web chat',
        greeting: null,
        accent_color: null,
        accent_text_color: null,
        header_color: null,
        header_text_color: null,
        pre_engagement_config: { fields: [] },
      });
      assert.deepEqual([w.title, w.greeting, w.accent_color, w.header_color, w.pre_engagement_config], [null, null, null, null, null]);

      const del = await t.http('DELETE', `${WIDGETS}/${w.sid}`);
      assert.equal(del.status, 204);
      expectTwilioError(await t.http('GET', `${WIDGETS}/${w.sid}`), 404, 20404);
      expectTwilioError(await t.http('DELETE', `${WIDGETS}/${w.sid}`), 404, 20404);
      expectTwilioError(await t.http('GET', `/webchat/v1/Widgets/${w.sid}`, { auth: null }), 404, 20404);
      // A chat can no longer start from it.
      expectTwilioError(await t.http('POST', SESSIONS, { body: form({ Widget: w.sid, Name: 'Ada' }), auth: null }), 404, 20404);
    });

    test('widgets: bad input is a 400 / 20001 (404 / 20404 for unknown SIDs) and creates nothing', async () => {
      const other = await flexWorkspace(t, []);
      await other.workflow({ filters: [], default_filter: { queue: other.queueSid } }); // two workflows now
      const stranger = await t.newAccount();
      const theirs = await stranger.client.taskrouter.v1.workspaces.create({ friendlyName: 'theirs' });
      const rows: [string, Record<string, string>, RegExp][] = [
        ['no WorkspaceSid', {}, /WorkspaceSid/],
        ['empty WorkspaceSid', { WorkspaceSid: '' }, /WorkspaceSid/],
        ['malformed WorkspaceSid', { WorkspaceSid: 'WS123' }, /WorkspaceSid/],
        ['not a WS SID', { WorkspaceSid: f.workflowSid }, /WorkspaceSid/],
        ['unknown workspace', { WorkspaceSid: 'WS' + '0'.repeat(32) }, /not found/],
        ["another account's workspace", { WorkspaceSid: theirs.sid }, /not found/],
        ['two workflows, none named', { WorkspaceSid: other.wsSid }, /exactly one workflow/],
        ['malformed WorkflowSid', { WorkspaceSid: f.wsSid, WorkflowSid: 'WWnope' }, /WorkflowSid/],
        ["another workspace's workflow", { WorkspaceSid: other.wsSid, WorkflowSid: f.workflowSid }, /not in Workspace/],
        ['unknown TaskChannel', { WorkspaceSid: f.wsSid, TaskChannel: 'fax' }, /TaskChannel/],
        ['empty TaskChannel', { WorkspaceSid: f.wsSid, TaskChannel: ' ' }, /TaskChannel/],
        ['empty FriendlyName', { WorkspaceSid: f.wsSid, FriendlyName: '' }, /FriendlyName/],
        ['FriendlyName too long', { WorkspaceSid: f.wsSid, FriendlyName: 'x'.repeat(65) }, /FriendlyName/],
      ];
      const before = await rowCount(t, 'webchat_widgets');
      for (const [what, params, message] of rows) {
        const res = await t.http('POST', WIDGETS, { body: form(params) });
        assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
        expectTwilioError(res, 400, 20001, message);
      }
      expectTwilioError(await t.http('POST', WIDGETS, { body: '%zz' }), 400, 20001);
      expectTwilioError(await t.http('GET', `${WIDGETS}?PageSize=0`), 400, 20001);
      assert.equal(await rowCount(t, 'webchat_widgets'), before, 'nothing was created');
      // TaskChannel by SID is fine too.
      const chat = (await f.w.taskChannels.list()).find((c) => c.uniqueName === 'chat')!;
      const bySid = await t.http('POST', WIDGETS, { body: form({ WorkspaceSid: other.wsSid, WorkflowSid: other.workflowSid, TaskChannel: chat.sid }) });
      expectTwilioError(bySid, 400, 20001, /TaskChannel/); // f's channel, not other's
      const otherChat = (await other.w.taskChannels.list()).find((c) => c.uniqueName === 'chat')!;
      const ok = await t.http('POST', WIDGETS, { body: form({ WorkspaceSid: other.wsSid, WorkflowSid: other.workflowSid, TaskChannel: otherChat.sid }) });
      assert.equal(ok.status, 201);
      assert.equal(ok.body.task_channel, otherChat.sid);

      for (const sid of ['YW' + '0'.repeat(32), 'nope', 'WS' + '0'.repeat(32)]) {
        expectTwilioError(await t.http('GET', `${WIDGETS}/${sid}`), 404, 20404);
        expectTwilioError(await t.http('DELETE', `${WIDGETS}/${sid}`), 404, 20404);
      }
      expectTwilioError(await t.http('PUT', `${WIDGETS}/${widgetSid}`, { body: '' }), 405, 20004);
      expectTwilioError(await t.http('GET', WIDGETS, { auth: null }), 401, 20003);
      // Found by the fuzz test (500): a Host or X-Forwarded-Proto that makes no URL. Its URLs are built from what was sent, as everywhere else.
      for (const headers of <Record<string, string>[]>[{ host: '[::1' }, { host: 'x:99999' }, { 'x-forwarded-proto': '' }, { 'x-forwarded-proto': 'https, http' }]) {
        const one = await t.http('GET', `${WIDGETS}/${widgetSid}`, { headers });
        assert.equal(one.status, 200, `${JSON.stringify(headers)}: ${JSON.stringify(one.body)}`);
        assert.equal(one.body.sid, widgetSid);
        const list = await t.http('GET', WIDGETS, { headers });
        assert.equal(list.status, 200, `${JSON.stringify(headers)}: ${JSON.stringify(list.body)}`);
      }
    });

    test("widgets: one account never sees another's", async () => {
      const stranger = await t.newAccount();
      const auth = 'Basic ' + Buffer.from(`${stranger.account.accountSid}:${stranger.account.authToken}`).toString('base64');
      const list = await t.http('GET', WIDGETS, { auth });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.widgets, []);
      expectTwilioError(await t.http('GET', `${WIDGETS}/${widgetSid}`, { auth }), 404, 20404);
      expectTwilioError(await t.http('DELETE', `${WIDGETS}/${widgetSid}`, { auth }), 404, 20404);
      assert.equal((await t.http('GET', `${WIDGETS}/${widgetSid}`)).status, 200, 'still there for its owner');
    });

    test('a session: a conversation with the customer, a web interaction routed to the available agent, a chat token', async () => {
      const res = await t.http('POST', SESSIONS, { body: form({ Widget: widgetSid, Name: 'Ada Lovelace' }), auth: null });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const s = res.body;
      assert.deepEqual(Object.keys(s).sort(), ['conversation_sid', 'expires', 'identity', 'interaction_sid', 'token', 'ttl', 'twilsock_url']);
      assert.match(s.identity, /^guest-[0-9a-f]{24}$/);
      assert.match(s.conversation_sid, /^CH[0-9a-f]{32}$/);
      assert.match(s.interaction_sid, /^KD[0-9a-f]{32}$/);
      assert.equal(s.twilsock_url, `${t.baseUrl.replace('http', 'ws')}/tsock/v3/wsconnect`, "the Conversations SDK's twilsock.uri");
      assert.equal(s.ttl, 3600);
      assert.equal(Date.parse(s.expires), t.clock.now() - (t.clock.now() % 1000) + 3600_000);

      // The conversation, with the customer in it under their name.
      const cv = t.client.conversations.v1;
      const people = await cv.conversations(s.conversation_sid).participants.list();
      assert.equal(people.length, 1);
      const grant = JSON.parse(Buffer.from(s.token.split('.')[1], 'base64url').toString()).grants;
      assert.deepEqual(grant, { identity: s.identity, chat: { service_sid: (await cv.conversations(s.conversation_sid).fetch()).chatServiceSid } });
      assert.equal(people[0].identity, s.identity);
      assert.deepEqual(JSON.parse(people[0].attributes), { friendlyName: 'Ada Lovelace' });

      // The interaction: web, initiated by the customer, bound to that conversation, its task offered to alice.
      const interaction = await t.client.flexApi.v1.interaction(s.interaction_sid).fetch();
      const channel = interaction.channel as { sid: string; type: string; initiated_by?: string };
      const ch = await t.client.flexApi.v1.interaction(s.interaction_sid).channels(channel.sid).fetch();
      assert.equal(ch.type, 'web');
      assert.equal(ch.status, 'active');
      const tasks = await f.w.tasks.list({ evaluateTaskAttributes: `conversationSid == "${s.conversation_sid}"` });
      assert.equal(tasks.length, 1);
      const attrs = JSON.parse(tasks[0].attributes);
      assert.equal(attrs.customerName, 'Ada Lovelace');
      assert.equal(attrs.channelType, 'web');
      assert.equal(attrs.initiatedBy, 'customer');
      assert.equal(attrs.flexInteractionSid, s.interaction_sid);
      assert.equal(tasks[0].taskChannelUniqueName, 'chat');
      assert.equal(tasks[0].workflowSid, f.workflowSid);
      const [offer] = await f.pending(tasks[0].sid);
      assert.equal(offer.workerSid, f.agents.alice);

      // The customer's SDK: the agent joins when they accept, their reply arrives, the customer writes back.
      const browser = await sdkFor(t, s.token, clients);
      const chat = await conversationOf(t, browser, s.conversation_sid);
      const joined = await seenAfter<Participant>(t, chat, 'participantJoined', () => true, () =>
        f.w.tasks(tasks[0].sid).reservations(offer.sid).update({ reservationStatus: 'accepted' }),
      );
      assert.equal(joined.identity, 'alice');
      assert.equal((joined.attributes as { member_type?: string }).member_type, 'agent');
      const reply = await seenAfter<Message>(t, chat, 'messageAdded', () => true, () =>
        cv.conversations(s.conversation_sid).messages.create({ author: 'alice', body: 'Hello Ada, how can I help?' }),
      );
      assert.deepEqual([reply.author, reply.body], ['alice', 'Hello Ada, how can I help?']);
      const index = await within(chat.sendMessage('My order never came'), 'sendMessage');
      const stored = await cv.conversations(s.conversation_sid).messages.list();
      assert.deepEqual(stored.map((m) => [m.index, m.author, m.body]), [[0, 'alice', 'Hello Ada, how can I help?'], [index, s.identity, 'My order never came']]);

      // A reloaded page (another SDK client, the same token) reads back the messages so far and who is in the chat.
      const reloaded = await sdkFor(t, s.token, clients);
      const again = await conversationOf(t, reloaded, s.conversation_sid);
      assert.deepEqual((await within(again.getMessages(), 'getMessages')).items.map((m) => [m.author, m.body]), [['alice', 'Hello Ada, how can I help?'], [s.identity, 'My order never came']]);
      assert.deepEqual((await within(again.getParticipants(), 'getParticipants')).map((p) => p.identity).sort(), [s.identity, 'alice'].sort());

      // The agent closes the chat: they leave, the customer sees it, and the token is no longer renewed.
      const left = await seenAfter<Participant>(t, chat, 'participantLeft', () => true, () =>
        t.client.flexApi.v1.interaction(s.interaction_sid).channels(channel.sid).update({ status: 'closed', routing: { status: 'wrapup' } }),
      );
      assert.equal(left.identity, 'alice');
      assert.deepEqual(await members(t, s.conversation_sid), [s.identity]);
      expectTwilioError(await t.http('POST', `${SESSIONS}/Token`, { body: form({ Token: s.token }), auth: null }), 404, 20404, /ended/);
    });

    test('a session from a JSON body; the token is renewed while valid, and refused once expired', async () => {
      const res = await t.http('POST', SESSIONS, { body: JSON.stringify({ Widget: widgetSid, Name: '  Grace  ' }), headers: { 'content-type': 'application/json' }, auth: null });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const s = res.body;
      const people = await t.client.conversations.v1.conversations(s.conversation_sid).participants.list();
      assert.deepEqual(JSON.parse(people[0].attributes), { friendlyName: 'Grace' }, 'the name is trimmed');

      await advance(t, 50 * 60);
      const renewed = await t.http('POST', `${SESSIONS}/Token`, { body: form({ Token: s.token }), auth: null });
      assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
      assert.equal(renewed.body.identity, s.identity);
      assert.equal(renewed.body.conversation_sid, s.conversation_sid);
      assert.notEqual(renewed.body.token, s.token);
      assert.deepEqual(JSON.parse(Buffer.from(renewed.body.token.split('.')[1], 'base64url').toString()).grants.chat, JSON.parse(Buffer.from(s.token.split('.')[1], 'base64url').toString()).grants.chat, 'the same service');
      assert.equal(Date.parse(renewed.body.expires) - Date.parse(s.expires), 50 * 60 * 1000);
      // Bearer works as well as the Token field.
      const again = await t.http('POST', `${SESSIONS}/Token`, { auth: `Bearer ${renewed.body.token}` });
      assert.equal(again.status, 200);

      await advance(t, 11 * 60); // the first token is past its hour; the renewed one is not
      expectTwilioError(await t.http('POST', `${SESSIONS}/Token`, { body: form({ Token: s.token }), auth: null }), 401, 20104);
      await assert.rejects(connectSdk(t.baseUrl, s.token), /expired/i);
      const sdk = await sdkFor(t, renewed.body.token, clients);
      assert.equal(sdk.user.identity, s.identity);
    });

    test('sessions: bad input is a 400 / 20001, unknown widgets 404 / 20404, bad tokens 401; nothing is created', async () => {
      const before = { conversations: await rowCount(t, 'conversations'), interactions: await rowCount(t, 'interactions'), tasks: await rowCount(t, 'tasks') };
      const json = { 'content-type': 'application/json' };
      const rows: [string, { body: string; headers?: Record<string, string> }, number, number, RegExp?][] = [
        ['no Widget', { body: form({ Name: 'Ada' }) }, 400, 20001, /Widget/],
        ['empty Widget', { body: form({ Widget: '', Name: 'Ada' }) }, 400, 20001, /Widget/],
        ['no Name', { body: form({ Widget: widgetSid }) }, 400, 20001, /Name/],
        ['blank Name', { body: form({ Widget: widgetSid, Name: '   ' }) }, 400, 20001, /Name/],
        ['Name of 65 characters', { body: form({ Widget: widgetSid, Name: 'x'.repeat(65) }) }, 400, 20001, /limit is 64/],
        ['Name with a control character', { body: form({ Widget: widgetSid, Name: 'Ada\u0007' }) }, 400, 20001, /control/],
        ['Name with NUL (JSON): refused as the body is read', { body: JSON.stringify({ Widget: widgetSid, Name: 'Ada\u0000' }), headers: json }, 400, 20001, /NUL/],
        ['Name not a string (JSON)', { body: JSON.stringify({ Widget: widgetSid, Name: 42 }), headers: json }, 400, 20001, /Name/],
        ['Widget not a string (JSON)', { body: JSON.stringify({ Widget: ['x'], Name: 'Ada' }), headers: json }, 400, 20001, /Widget/],
        ['JSON array', { body: JSON.stringify([widgetSid, 'Ada']), headers: json }, 400, 20001],
        ['malformed JSON', { body: '{"Widget":', headers: json }, 400, 20001, /JSON/],
        ['malformed form', { body: 'Widget=%zz' }, 400, 20001],
        ['unknown widget', { body: form({ Widget: 'YW' + 'f'.repeat(32), Name: 'Ada' }) }, 404, 20404],
        ['not a widget SID', { body: form({ Widget: f.wsSid, Name: 'Ada' }) }, 404, 20404],
        ['garbage widget', { body: form({ Widget: '../../etc', Name: 'Ada' }) }, 404, 20404],
      ];
      for (const [what, init, status, code, message] of rows) {
        const res = await t.http('POST', SESSIONS, { ...init, auth: null });
        assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
        expectTwilioError(res, status, code, message);
      }
      const agentToken = new twilio.jwt.AccessToken(t.account.accountSid, t.account.apiKey, t.account.apiSecret, { identity: 'alice', ttl: 600 });
      agentToken.addGrant(new twilio.jwt.AccessToken.ChatGrant({}));
      const tokenRows: [string, { body?: string; auth?: string | null }, number, number][] = [
        ['no token', { body: '' }, 400, 20001],
        ['garbage token', { body: form({ Token: 'abc' }) }, 401, 20101],
        ['forged token', { body: form({ Token: agentToken.toJwt().replace(/\.[^.]*$/, '.AAAA') }) }, 401, 20101],
        ["an agent's token, not a guest's", { body: form({ Token: agentToken.toJwt() }) }, 401, 20101],
      ];
      for (const [what, init, status, code] of tokenRows) {
        const res = await t.http('POST', `${SESSIONS}/Token`, { auth: null, ...init });
        assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
        expectTwilioError(res, status, code);
      }
      assert.deepEqual(
        { conversations: await rowCount(t, 'conversations'), interactions: await rowCount(t, 'interactions'), tasks: await rowCount(t, 'tasks') },
        before,
      );
    });

    test('a widget whose routing broke since: 400, and no conversation is left behind', async () => {
      const g = await flexWorkspace(t, []);
      const made = await t.http('POST', WIDGETS, { body: form({ WorkspaceSid: g.wsSid }) });
      assert.equal(made.status, 201);
      await g.workflow({ filters: [], default_filter: { queue: g.queueSid } }); // now it has two: which one?
      // Nothing is written: no conversation, none of its events (their webhooks would fire), no failed interaction.
      const counts = async () => Promise.all(['conversations', 'conversation_events', 'interactions'].map((table) => rowCount(t, table)));
      const before = await counts();
      const res = await t.http('POST', SESSIONS, { body: form({ Widget: made.body.sid, Name: 'Ada' }), auth: null });
      expectTwilioError(res, 400, 20001, /cannot route chats.*exactly one workflow/);
      assert.deepEqual(await counts(), before);

      // Deleting the workspace takes its widgets with it.
      await t.client.taskrouter.v1.workspaces(g.wsSid).remove();
      expectTwilioError(await t.http('GET', `${WIDGETS}/${made.body.sid}`), 404, 20404);
    });
  });
}
