import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type twilio from 'twilio';
import type { Credentials } from '../../src/accounts/accounts.ts';
import { backends, startServer, type Backend, type TestServer } from '../support/server.ts';
import { accountRows, basic, count, postSeed, seedDocument, tables, workspaceRows } from './twin-helpers.ts';

/**
 * Resets (POST /switchyard/v1/Reset, SWITCHYARD_ADMIN=1): an account's data or one workspace's, its interactions and
 * their conversations with it, in one transaction; every other account and workspace is left exactly as it was.
 */

const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
/** The seed's Acme support widget asks for an email before a chat starts. */
const chatForm = (widget: string, name: string) => form({ Widget: widget, Name: name, PreEngagementData: JSON.stringify({ email: `${name.toLowerCase()}@example.com` }) });

interface Side {
  account: Required<Credentials>;
  client: twilio.Twilio;
  auth: string;
  support: any; // the seed's answer for Support
  backoffice?: string;
  /** A web chat in Support: its interaction and conversation. */
  chat: { interaction_sid: string; conversation_sid: string };
  /** A conversation no interaction is bound to. */
  loose: string;
  task: string;
}

/** An account seeded with Support (and, for A, Backoffice), a web chat, a task in each workspace, a loose conversation. */
async function populate(t: TestServer, account: Required<Credentials>, client: twilio.Twilio, withBackoffice: boolean): Promise<Side> {
  const auth = basic(account.accountSid, account.authToken);
  const doc = seedDocument();
  if (withBackoffice)
    doc.workspaces.push({
      friendly_name: 'Backoffice',
      task_queues: [{ friendly_name: 'Claims' }],
      workflows: [{ friendly_name: 'Claims', configuration: { task_routing: { default_filter: { queue: 'Claims' } } } }],
      workers: [{ friendly_name: 'dora', activity: 'Available' }],
    });
  const seeded = await postSeed(t, doc, auth);
  assert.equal(seeded.status, 200, JSON.stringify(seeded.body));
  const support = seeded.body.workspaces.Support;
  const chat = await t.http('POST', '/webchat/v1/Sessions', { body: chatForm(support.widgets['Acme support'], 'Ada'), auth: null });
  assert.equal(chat.status, 201, JSON.stringify(chat.body));
  const tr = client.taskrouter.v1;
  const task = await tr.workspaces(support.sid).tasks.create({ workflowSid: support.workflows.Main, attributes: JSON.stringify({ type: 'sales' }), taskChannel: 'chat' });
  let backoffice: string | undefined;
  if (withBackoffice) {
    const b = seeded.body.workspaces.Backoffice;
    backoffice = b.sid;
    await tr.workspaces(b.sid).tasks.create({ workflowSid: b.workflows.Claims, attributes: '{}' });
  }
  const loose = await client.conversations.v1.conversations.create({ friendlyName: 'loose' });
  await client.conversations.v1.conversations(loose.sid).messages.create({ author: 'system', body: 'hello' });
  return { account, client, auth, support, backoffice, chat: chat.body, loose: loose.sid, task: task.sid };
}

async function setup(backend: Backend) {
  const t = await startServer(backend, { admin: true });
  const a = await populate(t, t.account, t.client, true);
  const other = await t.newAccount();
  const b = await populate(t, other.account, other.client, false);
  return { t, a, b };
}

const reset = (t: TestServer, side: Side, fields: Record<string, string> = {}) => t.http('POST', '/switchyard/v1/Reset', { body: form(fields), auth: side.auth });

/** Rows anywhere that still name a workspace, interaction or conversation. */
async function mentions(t: TestServer, column: string, sid: string): Promise<string[]> {
  const found: string[] = [];
  for (const [table, cols] of await tables(t.server.db))
    if (cols.includes(column) && (await count(t.server.db, `SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`, [sid])) > 0) found.push(table);
  return found;
}

const status = async (p: Promise<unknown>) => p.then(() => 200, (err: { status?: number }) => err.status);

for (const backend of backends()) {
  describe(`resets (${backend.name})`, () => {
    test('a workspace reset takes the workspace, its interactions and their conversations, and nothing else', async () => {
      const { t, a, b } = await setup(backend);
      try {
        const ws = a.support.sid;
        const keptWorkspace = await workspaceRows(t.server.db, a.backoffice!);
        const keptLoose = await workspaceRows(t.server.db, 'none', { conversations: [a.loose] });
        const otherAccount = await accountRows(t.server.db, b.account.accountSid);

        const res = await reset(t, a, { WorkspaceSid: ws });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(res.body, {
          account_sid: a.account.accountSid,
          workspace_sid: ws,
          keep_configuration: false,
          deleted: { workspaces: 1, tasks: 2, events: res.body.deleted.events, interactions: 1, conversations: 1 },
        });
        assert.ok(res.body.deleted.events > 20);

        assert.equal(await status(a.client.taskrouter.v1.workspaces(ws).fetch()), 404);
        assert.equal(await status(a.client.flexApi.v1.interaction(a.chat.interaction_sid).fetch()), 404);
        assert.equal(await status(a.client.conversations.v1.conversations(a.chat.conversation_sid).fetch()), 404);
        for (const [column, sid] of [['workspace_sid', ws], ['interaction_sid', a.chat.interaction_sid], ['conversation_sid', a.chat.conversation_sid]])
          assert.deepEqual(await mentions(t, column, sid), [], `rows still naming ${sid}`);
        // The web chat's widget went with its workspace: its page can start no more chats.
        const chat = await t.http('POST', '/webchat/v1/Sessions', { body: chatForm(a.support.widgets['Acme support'], 'Ada'), auth: null });
        assert.equal(chat.status, 404);

        assert.deepEqual(await workspaceRows(t.server.db, a.backoffice!), keptWorkspace, 'the other workspace is as it was');
        assert.deepEqual(await workspaceRows(t.server.db, 'none', { conversations: [a.loose] }), keptLoose, 'a conversation of no interaction is as it was');
        assert.deepEqual(await accountRows(t.server.db, b.account.accountSid), otherAccount, 'the other account is as it was');
        // The seed makes it again (new SIDs), and it routes.
        const again = await postSeed(t, seedDocument(), a.auth);
        assert.notEqual(again.body.workspaces.Support.sid, ws);
        const s = again.body.workspaces.Support;
        const task = await a.client.taskrouter.v1.workspaces(s.sid).tasks.create({ workflowSid: s.workflows.Main, attributes: JSON.stringify({ type: 'sales' }) });
        assert.equal((await a.client.taskrouter.v1.workspaces(s.sid).tasks(task.sid).fetch()).assignmentStatus, 'reserved');
      } finally {
        await t.close();
      }
    });

    test('KeepConfiguration: the workspace keeps its configuration and SIDs, loses what happened, and routes afresh', async () => {
      const { t, a, b } = await setup(backend);
      try {
        const ws = a.support.sid;
        const tr = a.client.taskrouter.v1.workspaces(ws);
        const alice = a.support.workers.alice;
        assert.equal((await tr.workers(alice).workerChannels('chat').fetch()).assignedTasks + (await tr.tasks.list()).length > 0, true);
        const otherAccount = await accountRows(t.server.db, b.account.accountSid);
        const keptWorkspace = await workspaceRows(t.server.db, a.backoffice!);

        const res = await reset(t, a, { WorkspaceSid: ws, KeepConfiguration: 'true' });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.deleted.workspaces, 0);
        assert.equal(res.body.deleted.tasks, 2);
        assert.equal(res.body.deleted.interactions, 1);
        assert.equal(res.body.deleted.conversations, 1);

        assert.deepEqual(await tr.tasks.list(), []);
        assert.deepEqual(await tr.events.list(), []);
        assert.equal(await status(a.client.conversations.v1.conversations(a.chat.conversation_sid).fetch()), 404);
        // Configuration and SIDs stay: the seed finds nothing to do.
        const seeded = await postSeed(t, seedDocument(), a.auth);
        assert.deepEqual(seeded.body.changes, []);
        assert.deepEqual(seeded.body.workspaces.Support, a.support);
        // Nothing is held on the agent's channels any more, and a new task is offered to her at once.
        const channel = await tr.workers(alice).workerChannels('chat').fetch();
        assert.equal(channel.assignedTasks, 0);
        assert.equal(channel.availableCapacityPercentage, 100);
        const task = await tr.tasks.create({ workflowSid: a.support.workflows.Main, attributes: JSON.stringify({ type: 'sales' }), taskChannel: 'chat' });
        assert.deepEqual((await tr.tasks(task.sid).reservations.list()).map((r) => r.workerSid), [alice]);
        // The widget stays (its SID is what pages embed): a new chat starts.
        const chat = await t.http('POST', '/webchat/v1/Sessions', { body: chatForm(a.support.widgets['Acme support'], 'Bea'), auth: null });
        assert.equal(chat.status, 201, JSON.stringify(chat.body));

        assert.deepEqual(await workspaceRows(t.server.db, a.backoffice!), keptWorkspace);
        assert.deepEqual(await accountRows(t.server.db, b.account.accountSid), otherAccount);
      } finally {
        await t.close();
      }
    });

    test('an account reset empties the account, keeps its credentials, and leaves other accounts untouched', async () => {
      const { t, a, b } = await setup(backend);
      try {
        const key = a.account;
        await a.client.conversations.v1.services.create({ friendlyName: 'Extra' });
        const defaultService = (await a.client.conversations.v1.configuration().fetch()).defaultChatServiceSid;
        const otherAccount = await accountRows(t.server.db, b.account.accountSid);

        const res = await reset(t, a);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(
          { ...res.body, deleted: { ...res.body.deleted, events: 0 } },
          { account_sid: key.accountSid, workspace_sid: null, keep_configuration: false, deleted: { workspaces: 2, tasks: 3, events: 0, interactions: 1, conversations: 2 } },
        );
        // Nothing of the account is left but the account and its API keys.
        for (const [table, cols] of await tables(t.server.db))
          if (cols.includes('account_sid') && table !== 'api_keys')
            assert.equal(await count(t.server.db, `SELECT COUNT(*) AS n FROM ${table} WHERE account_sid = ?`, [key.accountSid]), 0, table);
        for (const ws of [a.support.sid, a.backoffice!]) assert.deepEqual(await mentions(t, 'workspace_sid', ws), []);
        assert.deepEqual(await accountRows(t.server.db, b.account.accountSid), otherAccount, 'the other account is as it was');

        // Its token and its API key still work, on an empty account.
        assert.deepEqual(await a.client.taskrouter.v1.workspaces.list(), []);
        const byKey = await t.http('GET', '/conversations/v1/Conversations', { auth: basic(key.apiKey, key.apiSecret) });
        assert.equal(byKey.status, 200);
        assert.deepEqual(byKey.body.conversations, []);
        const services = await a.client.conversations.v1.services.list();
        assert.deepEqual(services.map((s) => s.sid), [defaultService], 'only the default service, made again with its SID');
        const again = await postSeed(t, seedDocument(), a.auth);
        assert.equal(again.status, 200);
        assert.ok(again.body.changes.length > 10);
      } finally {
        await t.close();
      }
    });

    test('an account reset with KeepConfiguration keeps workspaces and Conversations services, and drops what happened', async () => {
      const { t, a, b } = await setup(backend);
      try {
        const extra = await a.client.conversations.v1.services.create({ friendlyName: 'Extra' });
        const otherAccount = await accountRows(t.server.db, b.account.accountSid);
        const res = await reset(t, a, { KeepConfiguration: 'true' });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.deleted.workspaces, 0);
        assert.equal(res.body.deleted.conversations, 2);
        assert.deepEqual((await a.client.taskrouter.v1.workspaces.list()).map((w) => w.friendlyName).sort(), ['Backoffice', 'Support']);
        assert.deepEqual(await a.client.conversations.v1.conversations.list(), []);
        assert.ok((await a.client.conversations.v1.services.list()).some((s) => s.sid === extra.sid));
        for (const ws of [a.support.sid, a.backoffice!]) {
          assert.equal(await count(t.server.db, 'SELECT COUNT(*) AS n FROM tasks WHERE workspace_sid = ?', [ws]), 0);
          assert.equal(await count(t.server.db, 'SELECT COUNT(*) AS n FROM events WHERE workspace_sid = ?', [ws]), 0);
        }
        assert.deepEqual((await postSeed(t, seedDocument(), a.auth)).body.changes, []);
        assert.deepEqual(await accountRows(t.server.db, b.account.accountSid), otherAccount);
      } finally {
        await t.close();
      }
    });

    test("another account's workspace, bad input and missing credentials change nothing; without SWITCHYARD_ADMIN there is no reset", async () => {
      const { t, a, b } = await setup(backend);
      try {
        const before = [await accountRows(t.server.db, a.account.accountSid), await accountRows(t.server.db, b.account.accountSid)];
        const cases: [Record<string, string>, string | null, number, number][] = [
          [{ WorkspaceSid: b.support.sid }, a.auth, 404, 20404],
          [{ WorkspaceSid: 'WS123' }, a.auth, 400, 20001],
          [{ KeepConfiguration: 'perhaps' }, a.auth, 400, 20001],
          [{}, null, 401, 20003],
          [{}, basic(a.account.accountSid, 'wrong-token'), 401, 20003],
        ];
        for (const [fields, auth, code, twilioCode] of cases) {
          const res = await t.http('POST', '/switchyard/v1/Reset', { body: form(fields), auth });
          assert.equal(res.status, code, JSON.stringify([fields, res.body]));
          assert.equal(res.body.code, twilioCode);
        }
        assert.equal((await t.http('GET', '/switchyard/v1/Reset', { auth: a.auth })).status, 405);
        assert.deepEqual([await accountRows(t.server.db, a.account.accountSid), await accountRows(t.server.db, b.account.accountSid)], before);
        const plain = await startServer(backend);
        try {
          const res = await plain.http('POST', '/switchyard/v1/Reset', { body: '' });
          assert.equal(res.status, 404);
          assert.equal(res.body.code, 20404);
        } finally {
          await plain.close();
        }
      } finally {
        await t.close();
      }
    });
  });
}
