/**
 * The supervisor board's server side, part one: who may open it. A supervisor signs in with their
 * own credentials (a worker whose attributes carry Flex's supervisor role, with the username and
 * password an administrator gave it), never the account's auth token; an agent without the role is
 * refused, and cannot give it to themself through the worker SDK. The token is a TaskRouter
 * supervisor token: the official worker SDK's Supervisor takes it. Changing an agent's activity.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { assertTwilioError } from '../support/twilio-error.ts';
import { connectWorker, release, sdkOptions, Supervisor, type SdkWorker } from './event-bridge-support.ts';
import { flexWorkspace } from './flex-helpers.ts';
import { boardServer, call, form, makeSupervisor, setPassword, signIn, type BoardServer } from './supervisor-helpers.ts';

const PASSWORD = 'supervisor password 1';
const FAILED = /^Authenticate: the AccountSid, Username and Password do not match an agent$/;
const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

for (const backend of backends()) {
  describe(`supervisor: sign-in, roles, tokens, activities (${backend.name})`, () => {
    let t: TestServer;
    let board: BoardServer;
    const sdkWorkers: SdkWorker[] = [];
    before(async () => {
      t = await startServer(backend);
      // The worker SDK runs on real timers: the server's clock starts at the real time.
      t.clock.set(Date.now());
      board = await boardServer(t);
    });
    after(async () => {
      for (const w of sdkWorkers) release(w);
      await board.close();
      await t.close();
    });

    let teams = 0;
    /**
     * A workspace with agents alice and bob and a supervisor sam, each able to sign in. Usernames
     * are unique in an account: each team's names end with its number (alice1, bob1, sam1...).
     */
    async function team() {
      const n = ++teams;
      const names = { alice: `alice${n}`, bob: `bob${n}`, sam: `sam${n}` };
      const f = await flexWorkspace(t, Object.values(names));
      const agents = { alice: f.agents[names.alice], bob: f.agents[names.bob], sam: f.agents[names.sam] };
      for (const name of Object.values(names)) await setPassword(t, f.wsSid, f.agents[name], PASSWORD);
      await makeSupervisor(t, f.wsSid, agents.sam);
      const res = await signIn(board.url, t.account.accountSid, names.sam, PASSWORD);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return { f: { ...f, agents }, names, sam: res.body };
    }

    test('a supervisor signs in with their own credentials and gets a supervisor token for their workspace', async () => {
      const { f, names, sam } = await team();
      assert.equal(sam.username, names.sam);
      assert.equal(sam.account_sid, t.account.accountSid);
      assert.equal(sam.workspace_sid, f.wsSid);
      assert.equal(sam.worker_sid, f.agents.sam);
      assert.deepEqual(sam.roles, ['supervisor']);
      assert.match(sam.workspace_friendly_name, /^ws-/);
      const grant = decode(sam.token).grants.task_router;
      assert.deepEqual(grant, { workspace_sid: f.wsSid, worker_sid: f.agents.sam, role: 'supervisor' });
      assert.equal(sam.ttl, 3600);
      assert.ok(Date.parse(sam.expires) > Date.now());
      assert.match(sam.event_bridge.wsServer, /^ws:\/\/127\.0\.0\.1:\d+\/event-bridge\/v1\/wschannels$/);
      // Flex's admin role opens the board too; the role's case does not matter.
      await makeSupervisor(t, f.wsSid, f.agents.bob, ['Admin']);
      assert.equal((await signIn(board.url, t.account.accountSid, names.bob, PASSWORD)).status, 201);
    });

    test('an agent without the role is refused (403), whatever else is right; wrong or unknown credentials are one 401', async () => {
      const { f, names } = await team();
      assertTwilioError(await signIn(board.url, t.account.accountSid, names.alice, PASSWORD), 403, 20403, new RegExp(`${names.alice} .* is not a supervisor`));
      // A role that is not an array of names is no role.
      await t.client.taskrouter.v1.workspaces(f.wsSid).workers(f.agents.alice).update({ attributes: JSON.stringify({ roles: 'supervisor', contact_uri: `client:${names.alice}` }) });
      assertTwilioError(await signIn(board.url, t.account.accountSid, names.alice, PASSWORD), 403, 20403);
      assertTwilioError(await signIn(board.url, t.account.accountSid, names.sam, 'wrong password'), 401, 20003, FAILED);
      assertTwilioError(await signIn(board.url, t.account.accountSid, 'nobody', PASSWORD), 401, 20003, FAILED);
      const other = await t.newAccount();
      assertTwilioError(await signIn(board.url, other.account.accountSid, names.sam, PASSWORD), 401, 20003, FAILED);
      // The account's own auth token is no supervisor's password.
      assertTwilioError(await signIn(board.url, t.account.accountSid, names.sam, t.account.authToken), 401, 20003, FAILED);
      assertTwilioError(await call(board.url, 'POST', '/Sessions', { body: { AccountSid: t.account.accountSid, Username: names.sam } }), 400, 20001, /Password/);
      assertTwilioError(await call(board.url, 'POST', '/Sessions', { body: { AccountSid: 'AC123', Username: names.sam, Password: PASSWORD } }), 400, 20001, /AccountSid/);
      assertTwilioError(await call(board.url, 'POST', '/Sessions', { body: { AccountSid: t.account.accountSid, Username: 'x'.repeat(300), Password: PASSWORD } }), 400, 20001);
    });

    test("the board's routes take only a supervisor's token: none, a broken one, an agent's or Basic credentials are refused", async () => {
      const { f, names } = await team();
      assertTwilioError(await call(board.url, 'GET', '/Board'), 401, 20003);
      assertTwilioError(await call(board.url, 'GET', '/Board', { token: 'not.a.token' }), 401, 20101);
      const basic = 'Basic ' + Buffer.from(`${t.account.accountSid}:${t.account.authToken}`).toString('base64');
      assertTwilioError(await call(board.url, 'GET', '/Board', { headers: { authorization: basic } }), 401, 20003);
      // The agent desktop's worker token (role worker) does not open the board.
      const agent = await t.http('POST', '/switchyard/v1/Agent/Sessions', { body: form({ AccountSid: t.account.accountSid, Username: names.alice, Password: PASSWORD }), auth: null });
      assert.equal(agent.status, 201);
      assertTwilioError(await call(board.url, 'GET', '/Board', { token: agent.body.worker_token }), 403, 20403, /worker token/);
      for (const path of ['/Board/Stream', `/Chats/WT${'0'.repeat(32)}`]) assertTwilioError(await call(board.url, 'GET', path, { token: agent.body.worker_token }), 403, 20403);
      assertTwilioError(await call(board.url, 'POST', `/Workers/${f.agents.bob}`, { token: agent.body.worker_token, body: { ActivitySid: f.act.offline } }), 403, 20403);
    });

    test('an agent cannot make themself a supervisor through the worker SDK, nor a supervisor another one; an administrator can', async () => {
      const { f, names, sam } = await team();
      const agent = await t.http('POST', '/switchyard/v1/Agent/Sessions', { body: form({ AccountSid: t.account.accountSid, Username: names.alice, Password: PASSWORD }), auth: null });
      const { worker } = await connectWorker(t.baseUrl, agent.body.worker_token);
      sdkWorkers.push(worker);
      const before = JSON.parse((await t.client.taskrouter.v1.workspaces(f.wsSid).workers(f.agents.alice).fetch()).attributes);
      await assert.rejects(worker.setAttributes({ ...before, roles: ['supervisor'] }), (e: Error) => /403/.test(e.message) && /role supervisor/.test(e.message));
      // The supervisor's own token, with the official SDK's Supervisor: other attributes yes, a role no.
      const supervisor = new Supervisor(sam.token, { ...sdkOptions(t.baseUrl), logLevel: 'silent' } as never);
      sdkWorkers.push(supervisor as unknown as SdkWorker);
      await new Promise((resolve, reject) => {
        supervisor.once('ready', resolve);
        supervisor.once('error', reject);
      });
      await assert.rejects(supervisor.setWorkerAttributes(f.agents.alice, { ...before, roles: ['admin'] }), /403/);
      await supervisor.setWorkerAttributes(f.agents.alice, { ...before, languages: ['en'] });
      // The SDK's Supervisor sets another worker's activity with the token the board signed in with.
      await supervisor.setWorkerActivity(f.agents.bob, f.act.offline);
      assert.equal((await t.client.taskrouter.v1.workspaces(f.wsSid).workers(f.agents.bob).fetch()).activitySid, f.act.offline);
      assertTwilioError(await signIn(board.url, t.account.accountSid, names.alice, PASSWORD), 403, 20403);
      // An administrator grants it; the agent may drop it again (tokens set attributes whole).
      await makeSupervisor(t, f.wsSid, f.agents.alice);
      assert.equal((await signIn(board.url, t.account.accountSid, names.alice, PASSWORD)).status, 201);
      await worker.setAttributes(before);
      assertTwilioError(await signIn(board.url, t.account.accountSid, names.alice, PASSWORD), 403, 20403);
    });

    test('tokens: renewed while valid; the role taken away closes the board at once; a changed password ends renewals', async () => {
      const { f, sam } = await team();
      t.clock.advance(2000);
      const renewed = await call(board.url, 'POST', '/Tokens', { token: sam.token });
      assert.equal(renewed.status, 201, JSON.stringify(renewed.body));
      assert.notEqual(renewed.body.token, sam.token);
      assert.equal(decode(renewed.body.token).grants.task_router.role, 'supervisor');
      assert.equal((await call(board.url, 'GET', '/Board', { token: renewed.body.token })).status, 200);

      await makeSupervisor(t, f.wsSid, f.agents.sam, []);
      assertTwilioError(await call(board.url, 'GET', '/Board', { token: renewed.body.token }), 403, 20403, /not a supervisor/);
      assertTwilioError(await call(board.url, 'POST', '/Tokens', { token: renewed.body.token }), 403, 20403);
      await makeSupervisor(t, f.wsSid, f.agents.sam);
      assert.equal((await call(board.url, 'GET', '/Board', { token: renewed.body.token })).status, 200);

      t.clock.advance(2000);
      const changed = await t.http('POST', `/switchyard/v1/Workspaces/${f.wsSid}/Workers/${f.agents.sam}/Credentials`, { body: form({ Password: 'a brand new password' }) });
      assert.equal(changed.status, 200);
      assertTwilioError(await call(board.url, 'POST', '/Tokens', { token: renewed.body.token }), 401, 20003, /revoked or changed/);
      // An expired token is refused everywhere (the server's clock decides).
      t.clock.advance(3601_000);
      assertTwilioError(await call(board.url, 'GET', '/Board', { token: renewed.body.token }), 401, 20104);
      t.clock.set(Date.now());
    });

    test("changing an agent's activity: any worker of the supervisor's workspace, with TaskRouter's rules and errors", async () => {
      const { f, sam } = await team();
      const moved = await call(board.url, 'POST', `/Workers/${f.agents.bob}`, { token: sam.token, body: { ActivitySid: f.act.unavailable } });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.deepEqual([moved.body.sid, moved.body.activity_name, moved.body.available], [f.agents.bob, 'Unavailable', false]);
      assert.equal(moved.body.activity_since, t.clock.now());
      const bob = await t.client.taskrouter.v1.workspaces(f.wsSid).workers(f.agents.bob).fetch();
      assert.equal(bob.activitySid, f.act.unavailable);

      assertTwilioError(await call(board.url, 'POST', `/Workers/${f.agents.bob}`, { token: sam.token, body: {} }), 400, 20001, /ActivitySid/);
      assertTwilioError(await call(board.url, 'POST', `/Workers/${f.agents.bob}`, { token: sam.token, body: { ActivitySid: 'Available' } }), 400, 20001, /WA SID/);
      const unknownActivity = await call(board.url, 'POST', `/Workers/${f.agents.bob}`, { token: sam.token, body: { ActivitySid: `WA${'0'.repeat(32)}` } });
      assert.ok([400, 404].includes(unknownActivity.status), JSON.stringify(unknownActivity.body));
      assert.deepEqual(Object.keys(unknownActivity.body).sort(), ['code', 'message', 'more_info', 'status']);
      assertTwilioError(await call(board.url, 'POST', `/Workers/WK${'0'.repeat(32)}`, { token: sam.token, body: { ActivitySid: f.act.offline } }), 404, 20404);
      assertTwilioError(await call(board.url, 'POST', '/Workers/nope', { token: sam.token, body: { ActivitySid: f.act.offline } }), 404, 20404);
      // Another workspace's worker does not exist for this supervisor.
      const other = await flexWorkspace(t, ['zed']);
      assertTwilioError(await call(board.url, 'POST', `/Workers/${other.agents.zed}`, { token: sam.token, body: { ActivitySid: other.act.offline } }), 404, 20404);
      assert.equal((await other.w.workers(other.agents.zed).fetch()).activitySid, other.act.available);
    });

    test('failed sign-ins lock the username for a while, right password or not; other usernames are not affected', async () => {
      const { f, names } = await team();
      await makeSupervisor(t, f.wsSid, f.agents.bob);
      for (let i = 0; i < 5; i++) assertTwilioError(await signIn(board.url, t.account.accountSid, names.bob, `wrong ${i}`), 401, 20003);
      assertTwilioError(await signIn(board.url, t.account.accountSid, names.bob, PASSWORD), 429, 20429, /failed sign-ins/);
      // The lock is per username.
      assert.equal((await signIn(board.url, t.account.accountSid, names.sam, PASSWORD)).status, 201);
      t.clock.advance(15 * 60_000);
      assert.equal((await signIn(board.url, t.account.accountSid, names.bob, PASSWORD)).status, 201);
      t.clock.set(Date.now());
    });
  });
}
