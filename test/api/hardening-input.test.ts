import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import twilio from 'twilio';
import { TwilioError } from '../../src/core/errors.ts';
import { JSON_LIMITS } from '../../src/core/input.ts';
import { newSid } from '../../src/core/sid.ts';
import { channels, interactions } from '../../src/flex/model.ts';
import { planInteraction, type SetupPlan } from '../../src/flex/plan.ts';
import { STALE_SETUP_MS } from '../../src/flex/service/setup.ts';
import { isPermanent } from '../../src/store/failures.ts';
import { within, type Client } from '../support/conversations-sdk.ts';
import { conversationOf, sdkFor, shutdownAll } from '../support/sdk-chat.ts';
import { backends, startServer, type Backend, type TestServer } from '../support/server.ts';
import { assertTwilioError } from '../support/twilio-error.ts';
import { EB_PATH, workerToken } from './event-bridge-support.ts';
import { flexWorkspace, routedTask, type FlexFixture } from './flex-helpers.ts';

/**
 * Issue 10, defects 4 and 5: text a caller sends is refused up front, with Twilio's 400, when it
 * holds a NUL (PostgreSQL cannot store one, SQLite can: the stores must agree) or JSON nested
 * deeper than the limit (a recursive walk would overflow the stack). Every refusal leaves every
 * table as it was. A Flex channel whose setup fails for good ends `failed` instead of being
 * retried for ever.
 */

const LIMIT = JSON_LIMITS.depth;
const NO = (prefix: string) => prefix + '0'.repeat(32);
/** JSON text of `levels` objects, one inside the other. */
const nest = (levels: number, leaf = '1') => '{"a":'.repeat(levels) + leaf + '}'.repeat(levels);
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const JSON_CT = { 'content-type': 'application/json' };

/** Every row of every table, so that a refusal can be shown to have written nothing. */
async function snapshot(t: TestServer, backend: Backend): Promise<Record<string, string[]>> {
  const tables = await t.server.db.all<{ name: string }>(
    backend.name === 'sqlite'
      ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
      : 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()',
  );
  const out: Record<string, string[]> = {};
  for (const { name } of tables) out[name] = (await t.server.db.all(`SELECT * FROM ${name}`)).map((r) => JSON.stringify(r)).sort();
  return out;
}

function chatToken(t: TestServer, identity: string): string {
  const token = new twilio.jwt.AccessToken(t.account.accountSid, t.account.apiKey, t.account.apiSecret, { identity, ttl: 3600 });
  token.addGrant(new twilio.jwt.AccessToken.ChatGrant({}));
  return token.toJwt();
}

interface Row {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  headers?: Record<string, string>;
  auth?: null;
  message: RegExp;
}

for (const backend of backends()) {
  describe(`input hardening: NUL and deep JSON are refused with a Twilio 400 and change nothing (${backend.name})`, () => {
    let t: TestServer;
    let f: FlexFixture;
    /** An active chat interaction (customer `ada`), its channel, its first task. */
    let kd: string;
    let uo: string;
    let wt: string;
    let conversation: string;
    let aliceToken: string;

    const routing = (extra = '') => `{"properties":{"workspace_sid":"${f.wsSid}","workflow_sid":"${f.workflowSid}"${extra}}}`;
    const chatChannel = (identity = 'ada') => JSON.stringify({ type: 'chat', initiated_by: 'api', participants: [{ identity }] });
    const channelPath = () => `/flex-api/v1/Interactions/${kd}/Channels/${uo}`;

    before(async () => {
      t = await startServer(backend);
      f = await flexWorkspace(t, ['alice', 'bob']);
      const made = await t.client.flexApi.v1.interaction.create({ channel: JSON.parse(chatChannel()), routing: f.routing() });
      kd = made.sid;
      uo = (made.channel as { sid: string }).sid;
      const task = routedTask(made.routing);
      wt = task.sid;
      conversation = task.attrs.conversationSid;
      aliceToken = workerToken(t, f.wsSid, f.agents.alice);
    });
    const clients: Client[] = [];
    after(async () => {
      await shutdownAll(clients);
      await t.close();
    });

    const refusedRow = (row: () => Row) => async () => {
      const r = row();
      const before = await snapshot(t, backend);
      const res = await t.http(r.method, r.path, { body: r.body, headers: r.headers, auth: r.auth });
      assertTwilioError(res, 400, 20001, r.message);
      assert.deepEqual(await snapshot(t, backend), before, 'nothing was written');
    };

    describe('a NUL in a path segment or query, on every kind of route', () => {
      const rows: [string, () => Row][] = [
        ['taskrouter: fetch a workspace', () => ({ method: 'GET', path: '/taskrouter/v1/Workspaces/%00', message: /NUL/ })],
        ['taskrouter: update a worker', () => ({ method: 'POST', path: `/taskrouter/v1/Workspaces/${f.wsSid}/Workers/WK%00`, body: form({ FriendlyName: 'x' }), message: /NUL/ })],
        ['conversations: fetch a conversation', () => ({ method: 'GET', path: '/conversations/v1/Conversations/%00', message: /NUL/ })],
        ['conversations: add a message', () => ({ method: 'POST', path: '/conversations/v1/Conversations/x%00y/Messages', body: form({ Body: 'hi' }), message: /NUL/ })],
        ['flex-api: fetch an interaction', () => ({ method: 'GET', path: '/flex-api/v1/Interactions/%00', message: /NUL/ })],
        ['flex-api: invite on a channel', () => ({ method: 'POST', path: `/flex-api/v1/Interactions/${kd}/Channels/UO%00/Invites`, body: form({ Routing: routing() }), message: /NUL/ })],
        ['switchyard: fetch a web chat widget', () => ({ method: 'GET', path: '/switchyard/v1/WebChat/Widgets/%00', message: /NUL/ })],
        ['switchyard: explain a task', () => ({ method: 'GET', path: `/switchyard/v1/Workspaces/${f.wsSid}/Tasks/%00/Explain`, message: /NUL/ })],
        ["agent: a task's messages", () => ({ method: 'GET', path: '/switchyard/v1/Agent/Tasks/%00/Messages', headers: { authorization: `Bearer ${aliceToken}` }, auth: null, message: /NUL/ })],
        ['agent: end a chat', () => ({ method: 'POST', path: '/switchyard/v1/Agent/Tasks/WT%00/EndChat', body: '', headers: { authorization: `Bearer ${aliceToken}` }, auth: null, message: /NUL/ })],
        ['webchat: fetch a widget', () => ({ method: 'GET', path: '/webchat/v1/Widgets/%00', auth: null, message: /NUL/ })],
        ['webchat: a query naming a widget', () => ({ method: 'GET', path: `/webchat/v1/Widgets/${NO('FW')}?Widget=%00`, auth: null, message: /NUL/ })],
        ['pages: a vendored script', () => ({ method: 'GET', path: '/vendor/%00.js', auth: null, message: /NUL/ })],
      ];
      for (const [why, row] of rows) test(why, refusedRow(row));
    });

    describe('a NUL inside a JSON string or key (\\u0000 decodes to one)', () => {
      const withNul = (v: unknown) => JSON.stringify(v);
      const rows: [string, () => Row][] = [
        ['Interactions Channel: a participant identity', () => ({ method: 'POST', path: '/flex-api/v1/Interactions', body: form({ Channel: chatChannel('ada\u0000'), Routing: routing() }), message: /Channel.*NUL/ })],
        ['Interactions Channel: a key', () => ({ method: 'POST', path: '/flex-api/v1/Interactions', body: form({ Channel: withNul({ type: 'chat', initiated_by: 'api', participants: [{ identity: 'ada', 'x\u0000': 1 }] }), Routing: routing() }), message: /Channel.*NUL/ })],
        ['Interactions Routing: task attributes', () => ({ method: 'POST', path: '/flex-api/v1/Interactions', body: form({ Channel: chatChannel(), Routing: routing(`,"attributes":${withNul({ note: 'a\u0000b' })}`) }), message: /Routing.*NUL/ })],
        ['Agent Sessions: Username in a JSON body', () => ({ method: 'POST', path: '/switchyard/v1/Agent/Sessions', body: withNul({ AccountSid: t.account.accountSid, Username: 'olga\u0000', Password: 'secret-password' }), headers: JSON_CT, auth: null, message: /NUL/ })],
        ['web chat Sessions: Widget in a JSON body', () => ({ method: 'POST', path: '/webchat/v1/Sessions', body: withNul({ Widget: 'FW\u0000', Name: 'Ada' }), headers: JSON_CT, auth: null, message: /NUL/ })],
        ['Transfers: attributes in a JSON body', () => ({ method: 'POST', path: `${channelPath()}/Transfers`, body: withNul({ type: 'cold', from: NO('UT'), to: f.queueSid, attributes: { note: '\u0000' } }), headers: JSON_CT, message: /NUL/ })],
        ['TaskRouter Attributes (a JSON-valued form parameter)', () => ({ method: 'POST', path: `/taskrouter/v1/Workspaces/${f.wsSid}/Workers`, body: form({ FriendlyName: 'nul', Attributes: withNul({ a: '\u0000' }) }), message: /Attributes.*NUL/ })],
        ['Conversations Attributes (a JSON-valued form parameter)', () => ({ method: 'POST', path: '/conversations/v1/Conversations', body: form({ Attributes: withNul({ a: '\u0000' }) }), message: /Attributes.*NUL/ })],
        ['event-bridge envelope: url', () => ({ method: 'POST', path: EB_PATH, body: withNul({ url: `Workspaces/${f.wsSid}/Workers/${f.agents.alice}\u0000`, method: 'GET', token: aliceToken }), auth: null, message: /NUL/ })],
        ['event-bridge envelope: params', () => ({ method: 'POST', path: EB_PATH, body: withNul({ url: `Workspaces/${f.wsSid}/Workers/${f.agents.alice}`, method: 'POST', params: { Attributes: { note: 'a\u0000b' } }, token: aliceToken }), auth: null, message: /NUL/ })],
      ];
      for (const [why, row] of rows) test(why, refusedRow(row));

      test('a message the Conversations SDK sends: refused, and no message', async () => {
        await t.client.conversations.v1.conversations(conversation).participants.create({ identity: 'nul-writer' });
        const sdk = await sdkFor(t, chatToken(t, 'nul-writer'), clients);
        const chat = await conversationOf(t, sdk, conversation);
        const before = await snapshot(t, backend);
        // The SDK rejects with the tunnelled answer: its status and Twilio's body.
        const refused = (message: RegExp) => (e: { status?: number; body?: { code?: number; message?: string } }) =>
          e.status === 400 && e.body?.code === 20001 && message.test(e.body.message ?? '');
        await assert.rejects(within(chat.sendMessage('hi\u0000there'), 'sendMessage'), refused(/NUL/));
        await assert.rejects(within(chat.sendMessage('fine', { a: '\u0000' }), 'sendMessage'), refused(/NUL/));
        assert.deepEqual(await snapshot(t, backend), before, 'nothing was written');
      });
    });

    describe(`JSON nested deeper than ${LIMIT} levels`, () => {
      // Routing = {"properties":{..., "attributes": A}}: A's levels plus 2.
      const attrs = (levels: number) => routing(`,"attributes":${nest(levels)}`);
      const attrsText = (levels: number) => routing(`,"attributes":${JSON.stringify(nest(levels))}`);
      const transfer = (levels: number) => `{"type":"cold","from":"${NO('UT')}","to":"${f.queueSid}","attributes":${nest(levels)}}`;
      const envelopeAttrs = (levels: number) =>
        `{"url":"Workspaces/${f.wsSid}/Workers/${f.agents.alice}","method":"POST","token":"${aliceToken}","params":{"Attributes":{"contact_uri":"client:alice","a":${nest(levels - 3)}}}}`;
      const cases: [string, (levels: number) => Row][] = [
        ['Interactions Routing.properties.attributes', (n) => ({ method: 'POST', path: '/flex-api/v1/Interactions', body: form({ Channel: chatChannel(), Routing: attrs(n - 2) }), message: /Routing.*deeper/ })],
        ['Interactions Routing.properties.attributes given as JSON text', (n) => ({ method: 'POST', path: '/flex-api/v1/Interactions', body: form({ Channel: chatChannel(), Routing: attrsText(n) }), message: /attributes.*deeper/ })],
        ['Invites Routing.properties.attributes', (n) => ({ method: 'POST', path: `${channelPath()}/Invites`, body: form({ Routing: attrs(n - 2) }), message: /Routing.*deeper/ })],
        ['channel participants RoutingProperties', (n) => ({ method: 'POST', path: `${channelPath()}/Participants`, body: form({ Type: 'customer', MediaProperties: '{"identity":"bea"}', RoutingProperties: nest(n) }), message: /RoutingProperties.*deeper/ })],
        ['Transfers attributes (a JSON body)', (n) => ({ method: 'POST', path: `${channelPath()}/Transfers`, body: transfer(n - 1), headers: JSON_CT, message: /request body.*deeper/ })],
        ['event-bridge envelope params', (n) => ({ method: 'POST', path: EB_PATH, body: envelopeAttrs(n), auth: null, message: /envelope.*deeper/ })],
      ];
      for (const [why, row] of cases) {
        test(`${why}: 5,000 levels`, refusedRow(() => row(5000)));
        test(`${why}: ${LIMIT + 1} levels`, refusedRow(() => row(LIMIT + 1)));
      }
      // 4,096 characters at most (Twilio's limit) cannot hold 5,000 levels.
      const taskAttributes = (levels: number) => form({ Attributes: nest(levels) });
      test(`TaskRouter Attributes: ${LIMIT + 1} levels`, refusedRow(() => ({ method: 'POST', path: `/taskrouter/v1/Workspaces/${f.wsSid}/Tasks/${wt}`, body: taskAttributes(LIMIT + 1), message: /Attributes.*deeper/ })));

      test(`${LIMIT} levels are accepted in each of them`, async () => {
        const flex = `/flex-api/v1`;
        const ok = async (label: string, p: Promise<{ status: number; body: any }>) => {
          const res = await p;
          assert.ok(res.status >= 200 && res.status < 300, `${label}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
          return res.body;
        };
        const created = await ok('interaction', t.http('POST', `${flex}/Interactions`, { body: form({ Channel: chatChannel('cy'), Routing: attrs(LIMIT - 2) }) }));
        assert.equal(JSON.stringify(routedTask(created.routing).attrs.a).length, nest(LIMIT - 3).length, 'the attributes arrive whole');
        await ok('interaction, attributes as text', t.http('POST', `${flex}/Interactions`, { body: form({ Channel: chatChannel('di'), Routing: attrsText(LIMIT) }) }));
        await ok('invite', t.http('POST', `${channelPath()}/Invites`, { body: form({ Routing: attrs(LIMIT - 2) }) }));
        await ok('participant', t.http('POST', `${channelPath()}/Participants`, { body: form({ Type: 'customer', MediaProperties: '{"identity":"cal"}', RoutingProperties: nest(LIMIT) }) }));
        await ok('task attributes', t.http('POST', `/taskrouter/v1/Workspaces/${f.wsSid}/Tasks/${wt}`, { body: taskAttributes(LIMIT) }));
        await ok('envelope', t.http('POST', EB_PATH, { body: envelopeAttrs(LIMIT), auth: null }));

        // A transfer needs an agent on the channel: whoever is offered the task of a new SMS interaction accepts it.
        const sms = await t.client.flexApi.v1.interaction.create({
          channel: { type: 'sms', initiated_by: 'api', participants: [{ address: '+15551230042', proxy_address: '+15550006666' }] },
          routing: f.routing(),
        });
        const smsUo = (sms.channel as { sid: string }).sid;
        const [offer] = await f.pending(routedTask(sms.routing).sid);
        assert.ok(offer, 'the task is offered');
        await f.w.tasks(routedTask(sms.routing).sid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
        const agent = (await t.client.flexApi.v1.interaction(sms.sid).channels(smsUo).participants.list()).find((p) => p.type === 'agent');
        assert.ok(agent, 'the agent is on the channel');
        const other = offer.workerSid === f.agents.alice ? f.agents.bob : f.agents.alice;
        const body = `{"type":"cold","from":"${agent.sid}","to":"${other}","attributes":${nest(LIMIT - 1)}}`;
        await ok('transfer', t.http('POST', `${flex}/Interactions/${sms.sid}/Channels/${smsUo}/Transfers`, { body, headers: JSON_CT }));
      });
    });

    describe('a Flex setup that fails for good', () => {
      /** A channel left in `setup` with this stored plan (as a version before these checks could leave one), old enough to be resumed. */
      async function stuckChannel(plan: string): Promise<{ kd: string; uo: string }> {
        const now = t.clock.now();
        const row = { sid: newSid('KD'), uo: newSid('UO') };
        await t.server.db.transaction(async (tx) => {
          await interactions.insert(tx, { sid: row.sid, account_sid: t.account.accountSid, channel_sid: row.uo, interaction_context_sid: null, webhook_ttid: null, date_created: now, date_updated: now });
          await channels.insert(tx, {
            sid: row.uo, account_sid: t.account.accountSid, interaction_sid: row.sid, type: 'chat', initiated_by: 'api', status: 'setup',
            error_code: null, error_message: null, conversation_sid: null, workspace_sid: f.wsSid, setup: plan, date_created: now, date_updated: now,
          });
        });
        t.clock.advance(STALE_SETUP_MS + 1000);
        return { kd: row.sid, uo: row.uo };
      }
      const planText = (identity: string, attributes: string) => {
        const request = planInteraction(JSON.parse(chatChannel(identity)), f.routing({ attributes: { placeholder: true } }));
        assert.equal(request.kind, 'new');
        return JSON.stringify((request as { plan: SetupPlan }).plan).replace('{"placeholder":true}', attributes);
      };

      async function endsFailed(plan: string, context: TestContext) {
        const stuck = await stuckChannel(plan);
        const logged = context.mock.method(console, 'error', () => undefined);
        await t.server.flex.poll();
        const channel = await t.client.flexApi.v1.interaction(stuck.kd).channels(stuck.uo).fetch();
        assert.equal(channel.status, 'failed');
        assert.equal(channel.errorCode, 20500);
        assert.match(channel.errorMessage ?? '', /will not be tried again/);
        assert.ok(logged.mock.callCount() <= 1, 'logged once at most');
        const row = await channels.get(t.server.db, stuck.uo);
        assert.equal(row?.setup, null, 'the plan is gone: nothing to resume');

        const calls = logged.mock.callCount();
        t.clock.advance(STALE_SETUP_MS + 1000);
        await t.server.flex.poll();
        assert.equal(logged.mock.callCount(), calls, 'the next poll does not try it again');
        assert.deepEqual(await channels.get(t.server.db, stuck.uo), row, 'the channel stays as it was');
      }

      test('a plan whose task attributes are nested 5,000 levels deep (the stack overflows): failed, not retried', async (context) => {
        await endsFailed(planText('eve', nest(5000)), context);
      });

      if (backend.name === 'postgres')
        test('a plan naming a participant with a NUL (PostgreSQL cannot store it): failed, not retried', async (context) => {
          await endsFailed(planText('nul\u0000', '{}'), context);
        });
    });

    test('which errors fail a job for good: refusals, data and integrity errors, broken data; not lost connections or conflicts', async () => {
      const db = t.server.db;
      const real = async (sql: string, params: unknown[] = []) => db.run(sql, params as never).then(() => assert.fail(`${sql} should fail`), (e: unknown) => e);
      assert.equal(isPermanent(await real('SELECT * FROM no_such_table')), true, 'an unknown table (a code error)');
      assert.equal(isPermanent(await real('INSERT INTO interactions (sid, account_sid, channel_sid, date_created, date_updated) VALUES (?, ?, ?, 0, 0)', [kd, t.account.accountSid, uo])), true, 'a duplicate key');
      if (backend.name === 'postgres') assert.equal(isPermanent(await real('SELECT ?::text AS x', ['a\u0000'])), true, 'a NUL in text');
      assert.equal(isPermanent(new TwilioError(20001, 400, 'refused')), true);
      assert.equal(isPermanent(new RangeError('Maximum call stack size exceeded')), true);
      assert.equal(isPermanent(new SyntaxError('Unexpected token')), true);

      const pgError = (code: string) => Object.assign(new pg.DatabaseError('failed', 0, 'error'), { code });
      for (const code of ['40001', '40P01', '08006', '57P01', '53300', '55P03']) assert.equal(isPermanent(pgError(code)), false, `SQLSTATE ${code}`);
      for (const code of ['22021', '23505', '42P01']) assert.equal(isPermanent(pgError(code)), true, `SQLSTATE ${code}`);
      assert.equal(isPermanent(new BetterSqlite3.SqliteError('database is locked', 'SQLITE_BUSY')), false);
      assert.equal(isPermanent(new BetterSqlite3.SqliteError('constraint', 'SQLITE_CONSTRAINT_UNIQUE')), true);
      assert.equal(isPermanent(new Error('Connection terminated unexpectedly')), false);
      assert.equal(isPermanent(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), false);
      assert.equal(isPermanent(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })), false);
      assert.equal(isPermanent(new TwilioError(20500, 500, 'internal')), false);
    });
  });
}
