/**
 * The agent desktop's server side: credentials set and revoked by an administrator, sign-in and
 * token renewal, and the agent actions the worker SDK cannot do (EndChat, Transfer), each only on
 * the agent's own tasks. Tokens are checked where they are used: the official worker SDK on the
 * event bridge, the official Conversations SDK on twilsock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { connectSdk, type Client } from '../support/conversations-sdk.ts';
import { sdkFor, shutdownAll } from '../support/sdk-chat.ts';
import { assertTwilioError } from '../support/twilio-error.ts';
import { connectWorker, type SdkWorker } from './event-bridge-support.ts';
import { flexWorkspace, members, routedTask, type FlexFixture } from './flex-helpers.ts';

const PASSWORD = 'correct horse battery';
const FAILED = /^Authenticate: the AccountSid, Username and Password do not match an agent$/;

/** The JWT's payload, without checking it (the server's verifiers are what check it). */
function decode(token: string): any {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

for (const backend of backends()) {
  describe(`agent: credentials, sign-in, tokens and agent actions (${backend.name})`, () => {
    let t: TestServer;
    const workers: SdkWorker[] = [];
    const clients: Client[] = [];
    before(async () => {
      t = await startServer(backend);
      // The SDK's socket lives on real timers: the server's clock starts at the real time.
      t.clock.set(Date.now());
    });
    after(async () => {
      for (const w of workers) w.disconnect();
      await shutdownAll(clients);
      await t.close();
    });

    const credentialsPath = (ws: string, wk: string) => `/switchyard/v1/Workspaces/${ws}/Workers/${wk}/Credentials`;
    const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
    const setCredentials = (ws: string, wk: string, fields: Record<string, string>, auth?: string) =>
      t.http('POST', credentialsPath(ws, wk), { body: form(fields), auth });
    const signIn = (fields: Record<string, string>) => t.http('POST', '/switchyard/v1/Agent/Sessions', { body: form(fields), auth: null });
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const agentCall = (method: string, path: string, token: string, body?: Record<string, string>) =>
      t.http(method, `/switchyard/v1/Agent${path}`, { auth: null, headers: bearer(token), body: body ? form(body) : undefined });

    /** A flex workspace whose agents can sign in with PASSWORD; the session of each, by name. */
    async function agents(names: string[]): Promise<{ f: FlexFixture; sessions: Record<string, any> }> {
      const f = await flexWorkspace(t, names);
      const sessions: Record<string, any> = {};
      for (const name of names) {
        assert.equal((await setCredentials(f.wsSid, f.agents[name], { Password: PASSWORD })).status, 201);
        const res = await signIn({ AccountSid: t.account.accountSid, Username: name, Password: PASSWORD });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        sessions[name] = res.body;
      }
      return { f, sessions };
    }

    /** A chat interaction offered to, and accepted by, `name` over REST; its task and conversation. */
    async function acceptedChat(f: FlexFixture, name = 'alice') {
      const created = await t.client.flexApi.v1.interaction.create({
        channel: { type: 'chat', initiated_by: 'api', participants: [{ identity: `customer-${f.wsSid.slice(-6)}`, name: 'Ada' }] },
        routing: f.routing(),
      });
      const task = routedTask(created.routing);
      const [offer] = await f.pending(task.sid);
      assert.equal(offer.workerSid, f.agents[name]);
      await f.w.tasks(task.sid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
      return { interactionSid: created.sid, channelSid: (created.channel as { sid: string }).sid, taskSid: task.sid as string, conversationSid: task.attrs.conversationSid as string };
    }

    test('credentials: set (201, never the password), replaced (200), read, revoked (204), then gone (404)', async () => {
      const f = await flexWorkspace(t, ['carol']);
      const wk = f.agents.carol;
      const set = await setCredentials(f.wsSid, wk, { Password: PASSWORD });
      assert.equal(set.status, 201);
      assert.deepEqual(Object.keys(set.body).sort(), ['account_sid', 'date_created', 'date_updated', 'url', 'username', 'worker_sid', 'workspace_sid']);
      assert.equal(set.body.username, 'carol', 'the username defaults to the worker’s friendly name');
      assert.equal(set.body.worker_sid, wk);
      assert.equal(set.body.url, `${t.baseUrl}${credentialsPath(f.wsSid, wk)}`);
      assert.ok(!JSON.stringify(set.body).includes(PASSWORD));

      const row = await t.server.db.get<{ password_hash: string }>('SELECT password_hash FROM agent_credentials WHERE worker_sid = ?', [wk]);
      assert.match(row!.password_hash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      assert.ok(!row!.password_hash.includes(PASSWORD));

      const replaced = await setCredentials(f.wsSid, wk, { Username: 'Carol.K', Password: 'another password' });
      assert.equal(replaced.status, 200);
      assert.equal(replaced.body.username, 'Carol.K');
      const again = await t.server.db.get<{ password_hash: string }>('SELECT password_hash FROM agent_credentials WHERE worker_sid = ?', [wk]);
      assert.notEqual(again!.password_hash, row!.password_hash, 'a new salt and hash');

      const read = await t.http('GET', credentialsPath(f.wsSid, wk));
      assert.equal(read.status, 200);
      assert.equal(read.body.username, 'Carol.K');

      // JSON bodies work as well as forms.
      const json = await t.http('POST', credentialsPath(f.wsSid, wk), { body: JSON.stringify({ Username: 'carol', Password: PASSWORD }), headers: { 'content-type': 'application/json' } });
      assert.equal(json.status, 200);
      assert.equal(json.body.username, 'carol');

      assert.equal((await t.http('DELETE', credentialsPath(f.wsSid, wk))).status, 204);
      const gone = await t.http('GET', credentialsPath(f.wsSid, wk));
      assert.equal(gone.status, 404);
      assert.equal(gone.body.code, 20404);
      assert.equal((await t.http('DELETE', credentialsPath(f.wsSid, wk))).status, 404);
    });

    test('credentials: a worker deleted while its password is hashed is a 404, not a 500, and leaves nothing', async () => {
      const f = await flexWorkspace(t, ['dora']);
      const wk = f.agents.dora;
      // The worker goes between the service's check and its write (found by the fuzz test, as a race with DELETE).
      const db = t.server.db;
      const transaction = db.transaction;
      db.transaction = (async (fn: never) => {
        db.transaction = transaction;
        await t.client.taskrouter.v1.workspaces(f.wsSid).workers(wk).remove();
        return transaction.call(db, fn);
      }) as typeof db.transaction;
      try {
        assertTwilioError(await setCredentials(f.wsSid, wk, { Password: PASSWORD }), 404, 20404);
      } finally {
        db.transaction = transaction;
      }
      assert.equal(await db.get('SELECT 1 AS x FROM agent_credentials WHERE worker_sid = ?', [wk]), undefined);
    });

    test('credentials: usernames are unique per account ignoring case, and accounts are isolated', async () => {
      const f = await flexWorkspace(t, ['dave', 'erin']);
      assert.equal((await setCredentials(f.wsSid, f.agents.dave, { Username: 'Shared', Password: PASSWORD })).status, 201);
      const clash = await setCredentials(f.wsSid, f.agents.erin, { Username: ' shared ', Password: PASSWORD });
      assert.equal(clash.status, 400);
      assert.equal(clash.body.code, 20001);
      assert.match(clash.body.message, /already taken/);

      // Another account: the worker does not exist for it; its own worker may use the same username.
      const other = await t.newAccount();
      const auth = 'Basic ' + Buffer.from(`${other.account.accountSid}:${other.account.authToken}`).toString('base64');
      for (const [method, body] of [['POST', form({ Password: PASSWORD })], ['GET', undefined], ['DELETE', undefined]] as const) {
        const res = await t.http(method, credentialsPath(f.wsSid, f.agents.dave), { body, auth });
        assert.equal(res.status, 404, `${method} from another account`);
        assert.equal(res.body.code, 20404);
      }
      const ows = await other.client.taskrouter.v1.workspaces.create({ friendlyName: 'other' });
      const owk = await other.client.taskrouter.v1.workspaces(ows.sid).workers.create({ friendlyName: 'someone' });
      assert.equal((await setCredentials(ows.sid, owk.sid, { Username: 'shared', Password: 'other password' }, auth)).status, 201);
      // Each account's "shared" signs in to its own worker only.
      const mine = await signIn({ AccountSid: t.account.accountSid, Username: 'SHARED', Password: PASSWORD });
      assert.equal(mine.status, 201);
      assert.equal(mine.body.worker_sid, f.agents.dave);
      const theirs = await signIn({ AccountSid: other.account.accountSid, Username: 'shared', Password: PASSWORD });
      assert.equal(theirs.status, 401, 'the other account’s agent has another password');
      assert.equal((await signIn({ AccountSid: other.account.accountSid, Username: 'shared', Password: 'other password' })).body.worker_sid, owk.sid);
      // Credentials need Basic auth.
      assert.equal((await t.http('POST', credentialsPath(f.wsSid, f.agents.dave), { body: form({ Password: PASSWORD }), auth: null })).status, 401);
    });

    test('sign-in: tokens with the right grants, which the event bridge and the Conversations SDK accept', async () => {
      const { f, sessions } = await agents(['alice']);
      const s = sessions.alice;
      assert.equal(s.account_sid, t.account.accountSid);
      assert.equal(s.workspace_sid, f.wsSid);
      assert.equal(s.worker_sid, f.agents.alice);
      assert.equal(s.identity, 'alice', 'contact_uri client:alice');
      assert.equal(s.username, 'alice');
      assert.equal(s.ttl, 3600);
      assert.equal(Date.parse(s.expires), t.clock.now() - (t.clock.now() % 1000) + 3600_000);
      const host = t.baseUrl.replace(/^http:\/\//, '');
      assert.deepEqual(s.event_bridge, { ebServer: `http://${host}/event-bridge/v1/wschannels`, wsServer: `ws://${host}/event-bridge/v1/wschannels` });
      assert.equal(s.twilsock_url, `ws://${host}/tsock/v3/wsconnect`, "the Conversations SDK's twilsock.uri");
      assert.equal(s.chat_url, undefined, 'the chat socket is gone');

      const w = decode(s.worker_token);
      assert.equal(w.sub, t.account.accountSid);
      assert.match(w.iss, /^SK[0-9a-f]{32}$/);
      assert.equal(w.exp - w.iat, 3600);
      assert.deepEqual(w.grants, { identity: 'alice', task_router: { workspace_sid: f.wsSid, worker_sid: f.agents.alice, role: 'worker' } });
      const c = decode(s.chat_token);
      assert.equal(c.grants.identity, 'alice');
      assert.match(c.grants.chat.service_sid, /^IS[0-9a-f]{32}$/);
      assert.equal(c.grants.task_router, undefined, 'the chat token acts for nobody on the event bridge');

      // The official worker SDK connects with the worker token and the URLs given.
      const { worker } = await connectWorker(t.baseUrl, s.worker_token, s.event_bridge);
      workers.push(worker);
      assert.equal(worker.sid, f.agents.alice);
      assert.equal(worker.friendlyName, 'alice');

      // The official Conversations SDK takes the chat token (as alice), and refuses the worker token.
      const chat = await sdkFor(t, s.chat_token, clients);
      assert.equal(chat.user.identity, 'alice');
      await assert.rejects(connectSdk(t.baseUrl, s.worker_token), /SDK (connection error|init failed)/);

      // A form or a JSON body.
      const json = await t.http('POST', '/switchyard/v1/Agent/Sessions', {
        body: JSON.stringify({ AccountSid: t.account.accountSid, Username: 'ALICE', Password: PASSWORD }),
        headers: { 'content-type': 'application/json' },
        auth: null,
      });
      assert.equal(json.status, 201);
      assert.equal(json.body.worker_sid, f.agents.alice);
    });

    test('sign-in: a wrong password, an unknown user or account, and revoked credentials get the same 401', async () => {
      const { f } = await agents(['frank']);
      const answers = [
        await signIn({ AccountSid: t.account.accountSid, Username: 'frank', Password: 'wrong password' }),
        await signIn({ AccountSid: t.account.accountSid, Username: 'nobody-at-all', Password: PASSWORD }),
        await signIn({ AccountSid: 'AC' + '0'.repeat(32), Username: 'frank', Password: PASSWORD }),
      ];
      assert.equal((await t.http('DELETE', credentialsPath(f.wsSid, f.agents.frank))).status, 204);
      answers.push(await signIn({ AccountSid: t.account.accountSid, Username: 'frank', Password: PASSWORD }));
      for (const a of answers) {
        assert.equal(a.status, 401);
        assert.equal(a.body.code, 20003);
        assert.match(a.body.message, FAILED);
        assert.deepEqual(Object.keys(a.body).sort(), ['code', 'message', 'more_info', 'status']);
      }
    });

    test('tokens: renewed with a valid worker token; refused without one, expired, revoked or after a password change', async () => {
      const { f, sessions } = await agents(['gina']);
      const first = sessions.gina;
      t.clock.advance(5_000);
      const renewed = await agentCall('POST', '/Tokens', first.worker_token);
      assert.equal(renewed.status, 201);
      assert.equal(renewed.body.worker_sid, f.agents.gina);
      assert.ok(decode(renewed.body.worker_token).iat >= decode(first.worker_token).iat + 5, 'fresh tokens');
      assert.ok(Date.parse(renewed.body.expires) > Date.parse(first.expires));
      assert.deepEqual(decode(renewed.body.chat_token).grants.identity, 'gina');

      const none = await t.http('POST', '/switchyard/v1/Agent/Tokens', { auth: null });
      assert.equal(none.status, 401);
      assert.equal(none.body.code, 20003);
      const basic = await t.http('POST', '/switchyard/v1/Agent/Tokens');
      assert.equal(basic.status, 401, 'Basic credentials are not a worker token');
      const forged = await agentCall('POST', '/Tokens', first.worker_token.slice(0, -4) + 'AAAA');
      assert.equal(forged.status, 401);
      assert.equal(forged.body.code, 20101);
      const chat = await agentCall('POST', '/Tokens', first.chat_token);
      assert.equal(chat.status, 401, 'a chat token has no task_router grant');

      // After a password change, tokens issued before it no longer renew; new ones do.
      t.clock.advance(2_000);
      assert.equal((await setCredentials(f.wsSid, f.agents.gina, { Password: 'a new password' })).status, 200);
      const stale = await agentCall('POST', '/Tokens', renewed.body.worker_token);
      assert.equal(stale.status, 401);
      assert.match(stale.body.message, /revoked or changed/);
      t.clock.advance(1_000);
      const again = await signIn({ AccountSid: t.account.accountSid, Username: 'gina', Password: 'a new password' });
      assert.equal((await agentCall('POST', '/Tokens', again.body.worker_token)).status, 201);

      // Revoked: no renewal.
      assert.equal((await t.http('DELETE', credentialsPath(f.wsSid, f.agents.gina))).status, 204);
      assert.equal((await agentCall('POST', '/Tokens', again.body.worker_token)).status, 401);

      // Expired: 20104.
      assert.equal((await setCredentials(f.wsSid, f.agents.gina, { Password: PASSWORD })).status, 201);
      t.clock.advance(1_000);
      const late = await signIn({ AccountSid: t.account.accountSid, Username: 'gina', Password: PASSWORD });
      t.clock.advance(3600_000);
      const expired = await agentCall('POST', '/Tokens', late.body.worker_token);
      t.clock.set(Date.now());
      assert.equal(expired.status, 401);
      assert.equal(expired.body.code, 20104);
    });

    test('EndChat: the agent leaves, the conversation closes, the task wraps up; only on the agent’s own assigned task', async () => {
      const { f, sessions } = await agents(['hal', 'ivy']);
      // ivy is offline, so the chat goes to hal.
      await f.w.workers(f.agents.ivy).update({ activitySid: f.act.offline });
      const chat = await acceptedChat(f, 'hal');
      assert.ok((await members(t, chat.conversationSid)).includes('hal'));

      const theirs = await agentCall('POST', `/Tasks/${chat.taskSid}/EndChat`, sessions.ivy.worker_token);
      assert.equal(theirs.status, 403);
      assert.equal(theirs.body.code, 20403);
      const unknown = await agentCall('POST', `/Tasks/WT${'0'.repeat(32)}/EndChat`, sessions.hal.worker_token);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 20404);
      assert.equal((await agentCall('POST', `/Tasks/${chat.taskSid}/EndChat`, 'not-a-token')).status, 401);
      assert.equal(await f.status(chat.taskSid), 'assigned', 'nothing changed');

      const ended = await agentCall('POST', `/Tasks/${chat.taskSid}/EndChat`, sessions.hal.worker_token);
      assert.equal(ended.status, 200, JSON.stringify(ended.body));
      assert.equal(ended.body.assignment_status, 'wrapping');
      assert.equal(ended.body.channel_status, 'closed');
      assert.equal(await f.status(chat.taskSid), 'wrapping');
      assert.equal((await t.client.flexApi.v1.interaction(chat.interactionSid).channels(chat.channelSid).fetch()).status, 'closed');
      assert.equal((await t.client.conversations.v1.conversations(chat.conversationSid).fetch()).state, 'closed');
      assert.ok(!(await members(t, chat.conversationSid)).includes('hal'), 'the agent left');

      // Wrapping already: no second end.
      const twice = await agentCall('POST', `/Tasks/${chat.taskSid}/EndChat`, sessions.hal.worker_token);
      assert.equal(twice.status, 400);
      assert.match(twice.body.message, /wrapping/);
    });

    test('EndChat and Transfer refuse a task that is only offered, and a task that is not an interaction’s', async () => {
      const { f, sessions } = await agents(['jay']);
      const created = await t.client.flexApi.v1.interaction.create({
        channel: { type: 'chat', initiated_by: 'api', participants: [{ identity: 'customer-offered' }] },
        routing: f.routing(),
      });
      const offered = routedTask(created.routing);
      assert.equal(await f.status(offered.sid), 'reserved');
      assert.equal((await agentCall('POST', `/Tasks/${offered.sid}/EndChat`, sessions.jay.worker_token)).status, 403);
      assert.equal((await agentCall('POST', `/Tasks/${offered.sid}/Transfer`, sessions.jay.worker_token, { To: f.queueSid })).status, 403);
      const [offer] = await f.pending(offered.sid);
      await f.w.tasks(offered.sid).reservations(offer.sid).update({ reservationStatus: 'rejected' });

      // A plain TaskRouter task, accepted by jay.
      const task = await f.task({ workflowSid: f.workflowSid, attributes: JSON.stringify({ type: 'plain' }) });
      const [plainOffer] = await f.pending(task.sid);
      await f.w.tasks(task.sid).reservations(plainOffer.sid).update({ reservationStatus: 'accepted' });
      const plain = await agentCall('POST', `/Tasks/${task.sid}/EndChat`, sessions.jay.worker_token);
      assert.equal(plain.status, 400);
      assert.match(plain.body.message, /not a Flex Interactions task/);
      assert.equal(await f.status(task.sid), 'assigned');
    });

    test('Transfer: cold, to a queue or a worker; the transferring agent wraps up once accepted; only own tasks', async () => {
      const { f, sessions } = await agents(['kim', 'lou']);
      await f.w.workers(f.agents.lou).update({ activitySid: f.act.offline });
      const chat = await acceptedChat(f, 'kim');

      // lou may not transfer kim's task; bad targets are 400 and change nothing.
      assert.equal((await agentCall('POST', `/Tasks/${chat.taskSid}/Transfer`, sessions.lou.worker_token, { To: f.agents.lou })).status, 403);
      for (const [body, message] of [
        [{}, /Missing required parameter To/],
        [{ To: 'nobody' }, /neither a Worker/],
        [{ To: f.workflowSid }, /neither a Worker/],
        [{ To: 'WQ' + '0'.repeat(32) }, /not in Workspace/],
        [{ To: f.agents.kim }, /themselves/],
      ] as const) {
        const res = await agentCall('POST', `/Tasks/${chat.taskSid}/Transfer`, sessions.kim.worker_token, body as Record<string, string>);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.code, 20001);
        assert.match(res.body.message, message);
      }
      assert.equal((await f.w.tasks.list()).length, 1, 'no transfer task was made');

      // To a worker: lou, made available, is offered the new task.
      await f.w.workers(f.agents.lou).update({ activitySid: f.act.available });
      const moved = await agentCall('POST', `/Tasks/${chat.taskSid}/Transfer`, sessions.kim.worker_token, { To: f.agents.lou });
      assert.equal(moved.status, 201, JSON.stringify(moved.body));
      assert.match(moved.body.sid, /^UX[0-9a-f]{32}$/);
      assert.equal(moved.body.type, 'cold');
      assert.equal(moved.body.to, f.agents.lou);
      const [offer] = await f.pending(moved.body.transfer_task_sid);
      assert.equal(offer.workerSid, f.agents.lou);
      assert.equal(await f.status(chat.taskSid), 'assigned', 'kim keeps the chat until someone accepts');
      await f.w.tasks(moved.body.transfer_task_sid).reservations(offer.sid).update({ reservationStatus: 'accepted' });
      assert.equal(await f.status(chat.taskSid), 'wrapping');
      const now = await members(t, chat.conversationSid);
      assert.ok(now.includes('lou') && !now.includes('kim'), now.join(','));

      // To a queue: lou hands it on to the Support queue (kim is still wrapping, so nobody takes it yet).
      const queued = await agentCall('POST', `/Tasks/${moved.body.transfer_task_sid}/Transfer`, sessions.lou.worker_token, { To: f.queueSid });
      assert.equal(queued.status, 201, JSON.stringify(queued.body));
      const next = await f.w.tasks(queued.body.transfer_task_sid).fetch();
      assert.equal(next.taskQueueSid, f.queueSid);
      assert.equal(JSON.parse(next.attributes).conversationSid, chat.conversationSid);
    });

    test('Directory and Messages: the workspace’s queues and other workers; the transcript of an own task only', async () => {
      const { f, sessions } = await agents(['max', 'ned']);
      await f.w.workers(f.agents.ned).update({ activitySid: f.act.offline });
      const dir = await agentCall('GET', '/Directory', sessions.max.worker_token);
      assert.equal(dir.status, 200);
      assert.deepEqual(dir.body.task_queues, [{ sid: f.queueSid, friendly_name: 'Support' }]);
      assert.deepEqual(dir.body.workers, [{ sid: f.agents.ned, friendly_name: 'ned', activity_name: 'Offline', available: false }]);
      assert.equal((await t.http('GET', '/switchyard/v1/Agent/Directory', { auth: null })).status, 401);

      const chat = await acceptedChat(f, 'max');
      const customer = (await t.client.conversations.v1.conversations(chat.conversationSid).participants.list()).find((p) => p.identity?.startsWith('customer-'))!;
      await t.client.conversations.v1.conversations(chat.conversationSid).messages.create({ author: customer.identity!, body: 'Hello?' });
      const msgs = await agentCall('GET', `/Tasks/${chat.taskSid}/Messages`, sessions.max.worker_token);
      assert.equal(msgs.status, 200);
      assert.equal(msgs.body.conversation_sid, chat.conversationSid);
      assert.deepEqual(msgs.body.messages.map((m: any) => [m.author, m.body]), [[customer.identity, 'Hello?']]);
      assert.equal((await agentCall('GET', `/Tasks/${chat.taskSid}/Messages`, sessions.ned.worker_token)).status, 403);
    });

    test('the desktop page and the worker SDK it loads: the bundle needs nothing else (no require of its dependencies)', async () => {
      const page = await fetch(`${t.baseUrl}/agent/`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /<script src="\/vendor\/twilio-taskrouter\.js"><\/script>/);
      const sdk = await fetch(`${t.baseUrl}/vendor/twilio-taskrouter.js`);
      assert.equal(sdk.status, 200);
      const code = await sdk.text();
      assert.match(code, /window\.TaskRouter\s*=/);
      // The npm package's window build requires these; a browser has no require.
      for (const dep of ['axios', 'events', 'loglevel', 'jwt-decode', '@babel/runtime/regenerator']) assert.ok(!code.includes(`require("${dep}")`), dep);
    });

    test('bad input: Twilio error bodies, never a 500, and nothing stored', async () => {
      const f = await flexWorkspace(t, ['olga']);
      const wk = f.agents.olga;
      const rows: { why: string; path: string; method?: string; body?: string; json?: boolean; auth?: null; status: number; code: number; message?: RegExp }[] = [
        { why: 'no password', path: credentialsPath(f.wsSid, wk), body: form({ Username: 'olga' }), status: 400, code: 20001, message: /Password/ },
        { why: 'empty password', path: credentialsPath(f.wsSid, wk), body: form({ Password: '' }), status: 400, code: 20001, message: /Password/ },
        { why: 'short password', path: credentialsPath(f.wsSid, wk), body: form({ Password: 'seven77' }), status: 400, code: 20001, message: /at least 8/ },
        { why: 'huge password', path: credentialsPath(f.wsSid, wk), body: form({ Password: 'x'.repeat(257) }), status: 400, code: 20001, message: /limit is 256/ },
        { why: 'blank username', path: credentialsPath(f.wsSid, wk), body: form({ Username: '  ', Password: PASSWORD }), status: 400, code: 20001, message: /Username/ },
        { why: 'long username', path: credentialsPath(f.wsSid, wk), body: form({ Username: 'u'.repeat(65), Password: PASSWORD }), status: 400, code: 20001, message: /limit is 64/ },
        { why: 'control character in username', path: credentialsPath(f.wsSid, wk), body: form({ Username: 'ol\tga', Password: PASSWORD }), status: 400, code: 20001, message: /control/ },
        { why: 'JSON array', path: credentialsPath(f.wsSid, wk), body: '[1]', json: true, status: 400, code: 20001 },
        { why: 'JSON number value', path: credentialsPath(f.wsSid, wk), body: '{"Password": 12345678}', json: true, status: 400, code: 20001, message: /string/ },
        { why: 'malformed JSON', path: credentialsPath(f.wsSid, wk), body: '{', json: true, status: 400, code: 20001 },
        { why: 'malformed worker SID', path: credentialsPath(f.wsSid, 'WKnope'), body: form({ Password: PASSWORD }), status: 404, code: 20404 },
        { why: 'unknown worker', path: credentialsPath(f.wsSid, 'WK' + '0'.repeat(32)), body: form({ Password: PASSWORD }), status: 404, code: 20404 },
        { why: 'worker of another workspace', path: credentialsPath('WS' + '0'.repeat(32), wk), body: form({ Password: PASSWORD }), status: 404, code: 20404 },
        { why: 'sign-in without AccountSid', path: '/switchyard/v1/Agent/Sessions', auth: null, body: form({ Username: 'olga', Password: PASSWORD }), status: 400, code: 20001, message: /AccountSid/ },
        { why: 'sign-in without Username', path: '/switchyard/v1/Agent/Sessions', auth: null, body: form({ AccountSid: t.account.accountSid, Password: PASSWORD }), status: 400, code: 20001, message: /Username/ },
        { why: 'sign-in without Password', path: '/switchyard/v1/Agent/Sessions', auth: null, body: form({ AccountSid: t.account.accountSid, Username: 'olga' }), status: 400, code: 20001, message: /Password/ },
        { why: 'sign-in with a malformed AccountSid', path: '/switchyard/v1/Agent/Sessions', auth: null, body: form({ AccountSid: 'ACnope', Username: 'olga', Password: PASSWORD }), status: 400, code: 20001, message: /AccountSid/ },
        { why: 'sign-in with an empty body', path: '/switchyard/v1/Agent/Sessions', auth: null, body: '', status: 400, code: 20001 },
        { why: 'sign-in with a JSON array', path: '/switchyard/v1/Agent/Sessions', auth: null, body: '["x"]', json: true, status: 400, code: 20001 },
        { why: 'sign-in with a JSON object value', path: '/switchyard/v1/Agent/Sessions', auth: null, body: '{"AccountSid":{"a":1},"Username":"olga","Password":"x"}', json: true, status: 400, code: 20001 },
        { why: 'sign-in with a bad escape', path: '/switchyard/v1/Agent/Sessions', auth: null, body: 'Username=%zz', status: 400, code: 20001 },
        { why: 'renewal with a Basic header', path: '/switchyard/v1/Agent/Tokens', status: 401, code: 20003 },
        { why: 'EndChat without a token', path: `/switchyard/v1/Agent/Tasks/WT${'0'.repeat(32)}/EndChat`, auth: null, status: 401, code: 20003 },
        { why: 'Transfer with an empty bearer', path: `/switchyard/v1/Agent/Tasks/WT${'0'.repeat(32)}/Transfer`, auth: null, status: 401, code: 20003 },
      ];
      for (const r of rows) {
        const res = await t.http(r.method ?? 'POST', r.path, {
          body: r.body,
          auth: r.auth,
          headers: { ...(r.json ? { 'content-type': 'application/json' } : {}), ...(r.why === 'Transfer with an empty bearer' ? { authorization: 'Bearer ' } : {}) },
        });
        assert.equal(res.status, r.status, `${r.why}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, r.code, r.why);
        assert.deepEqual(Object.keys(res.body).sort(), ['code', 'message', 'more_info', 'status'], r.why);
        if (r.message) assert.match(res.body.message, r.message, r.why);
      }
      const stored = await t.server.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM agent_credentials WHERE worker_sid = ?', [wk]);
      assert.equal(Number(stored!.n), 0);
      // With a good worker token, a malformed task SID is 404.
      assert.equal((await setCredentials(f.wsSid, wk, { Password: PASSWORD })).status, 201);
      const s = (await signIn({ AccountSid: t.account.accountSid, Username: 'olga', Password: PASSWORD })).body;
      const bad = await agentCall('POST', '/Tasks/nope/EndChat', s.worker_token);
      assert.equal(bad.status, 404);
      assert.equal(bad.body.code, 20404);
    });
  });
}
