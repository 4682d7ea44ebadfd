import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { basic, count, dumpAll, postSeed, SEED_FILE, seedDocument } from './twin-helpers.ts';

/**
 * The declarative seed (POST /switchyard/v1/Seed, SWITCHYARD_ADMIN=1): what is missing is made through the services,
 * what differs is updated through them, and applying the same seed again writes nothing at all.
 */
for (const backend of backends()) {
  describe(`the seed (${backend.name})`, () => {
    let t: TestServer;
    let first: any;
    before(async () => {
      t = await startServer(backend, { admin: true });
      const res = await postSeed(t, seedDocument());
      assert.equal(res.status, 200, JSON.stringify(res.body));
      first = res.body;
    });
    after(async () => {
      await t.close();
    });

    test('it makes what it declares, and answers every SID by name', async () => {
      assert.equal(first.account_sid, t.account.accountSid);
      assert.ok(first.changes.length > 10, JSON.stringify(first.changes));
      const ws = first.workspaces.Support;
      assert.match(ws.sid, /^WS[0-9a-f]{32}$/);
      // Activities and task channels: all of them, the ones every workspace has included.
      assert.deepEqual(Object.keys(ws.activities).sort(), ['Available', 'Break', 'Offline', 'Unavailable']);
      assert.deepEqual(Object.keys(ws.task_channels).sort(), ['chat', 'default', 'email', 'sms', 'video', 'voice']);
      assert.deepEqual(Object.keys(ws.task_queues).sort(), ['Everyone', 'Sales']);
      assert.deepEqual(Object.keys(ws.workers).sort(), ['alice', 'bob']);
      assert.match(ws.widgets['Acme support'], /^YW[0-9a-f]{32}$/);

      const tr = t.client.taskrouter.v1.workspaces(ws.sid);
      const workspace = await tr.fetch();
      assert.equal(workspace.defaultActivitySid, ws.activities.Offline);
      assert.equal(workspace.timeoutActivitySid, ws.activities.Break);
      const alice = await tr.workers(ws.workers.alice).fetch();
      assert.equal(alice.activitySid, ws.activities.Available);
      assert.deepEqual(JSON.parse(alice.attributes), { skills: ['sales'], contact_uri: 'client:alice' });
      assert.equal((await tr.workers(ws.workers.alice).workerChannels('chat').fetch()).configuredCapacity, 3);
      const sales = await tr.taskQueues(ws.task_queues.Sales).fetch();
      assert.equal(sales.targetWorkers, "skills HAS 'sales'");
      assert.equal((await tr.taskQueues(ws.task_queues.Everyone).fetch()).maxReservedWorkers, 2);
      const main = await tr.workflows(ws.workflows.Main).fetch();
      assert.equal(main.taskReservationTimeout, 60);
      // Queues named in the configuration are there by SID.
      assert.deepEqual(JSON.parse(main.configuration).task_routing.default_filter, { queue: ws.task_queues.Everyone });
      assert.equal(JSON.parse(main.configuration).task_routing.filters[0].targets[0].queue, ws.task_queues.Sales);
      const widget = await t.http('GET', `/switchyard/v1/WebChat/Widgets/${ws.widgets['Acme support']}`);
      assert.equal(widget.body.workflow_sid, ws.workflows.Main);
      assert.deepEqual(widget.body.allowed_origins, ['https://www.acme.example']);
      assert.deepEqual([widget.body.title, widget.body.greeting, widget.body.accent_color, widget.body.header_color], ['Acme Help', 'Hi! We answer within minutes.', '#0b57d0', null]);
      assert.deepEqual(widget.body.pre_engagement_config.fields.map((x: { attributes: { name: string } }) => x.attributes.name), ['email']);
      // The agent can sign in with the seeded password; the username defaults to the worker's name.
      const signIn = await t.http('POST', '/switchyard/v1/Agent/Sessions', {
        body: new URLSearchParams({ AccountSid: t.account.accountSid, Username: 'alice', Password: 'alice-password' }).toString(),
        auth: null,
      });
      assert.equal(signIn.status, 201, JSON.stringify(signIn.body));
      assert.equal(signIn.body.worker_sid, ws.workers.alice);
      // Made through the services: each creation is a TaskRouter event, at the seeded (frozen) time.
      const events = await tr.events.list({ eventType: 'worker.created' });
      assert.deepEqual(events.map((e) => e.resourceSid).sort(), [ws.workers.alice, ws.workers.bob].sort());
      assert.equal(events[0].eventDate.toISOString(), '2026-01-15T09:00:00.000Z');
      // The seed turned the clock API on.
      const clock = await t.http('GET', '/switchyard/v1/Clock');
      assert.equal(clock.status, 200);
      assert.equal(clock.body.now, '2026-01-15T09:00:00Z');
    });

    test('applied twice, it changes nothing: no row written, no event, the same SIDs', async () => {
      const before = await dumpAll(t.server.db);
      const again = await postSeed(t, seedDocument());
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.deepEqual(again.body.changes, []);
      assert.deepEqual(again.body.workspaces, first.workspaces);
      assert.deepEqual(await dumpAll(t.server.db), before);
    });

    test('a changed entry is updated through its service: events follow, and routing uses the change', async () => {
      const ws = first.workspaces.Support;
      const doc = seedDocument();
      const support = doc.workspaces[0];
      support.workers[0].activity = 'Offline'; // alice
      support.workers[1].activity = 'Available'; // bob
      support.workers[1].attributes = { skills: ['sales'], contact_uri: 'client:bob' };
      support.workers[1].channels = { chat: { capacity: 2 } };
      support.task_queues[1].max_reserved_workers = 1;
      support.workers.push({ friendly_name: 'carol', attributes: { skills: [] } });
      support.widgets[0].greeting = 'Hello again!';
      support.widgets[0].pre_engagement_config = null;
      const eventsBefore = await count(t.server.db, 'SELECT COUNT(*) AS n FROM events WHERE workspace_sid = ?', [ws.sid]);
      const res = await postSeed(t, doc);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const changes: string[] = res.body.changes;
      assert.equal(changes.length, 6, JSON.stringify(changes));
      assert.ok(changes.some((c) => c.startsWith("updated Widget 'Acme support'")));
      assert.ok(changes.some((c) => c.startsWith("updated Worker 'alice'")));
      assert.ok(changes.some((c) => c.startsWith("updated Worker 'bob'")));
      assert.ok(changes.some((c) => c.startsWith("updated Worker 'bob' channel 'chat'")));
      assert.ok(changes.some((c) => c.startsWith("updated TaskQueue 'Everyone'")));
      assert.ok(changes.some((c) => c.startsWith("created Worker 'carol'")));
      assert.equal(res.body.workspaces.Support.workers.alice, ws.workers.alice, 'the SIDs stay');
      const tr = t.client.taskrouter.v1.workspaces(ws.sid);
      const types = (await tr.events.list({ limit: 50 })).map((e) => e.eventType);
      assert.ok(types.includes('worker.activity.update') && types.includes('worker.attributes.update') && types.includes('worker.capacity.update'), types.join());
      assert.ok((await count(t.server.db, 'SELECT COUNT(*) AS n FROM events WHERE workspace_sid = ?', [ws.sid])) > eventsBefore);
      // Routing follows: a sales task goes to bob (now available, with the skill), not to alice (offline).
      const task = await tr.tasks.create({ workflowSid: ws.workflows.Main, attributes: JSON.stringify({ type: 'sales' }), taskChannel: 'chat' });
      const reservations = await tr.tasks(task.sid).reservations.list();
      assert.deepEqual(reservations.map((r) => r.workerSid), [ws.workers.bob]);
      const widget = await t.http('GET', `/switchyard/v1/WebChat/Widgets/${ws.widgets['Acme support']}`);
      assert.deepEqual([widget.body.title, widget.body.greeting], ['Acme Help', 'Hello again!'], 'what the seed names changes, the rest stays');
      assert.equal(widget.body.pre_engagement_config, null, 'null: the name alone');
      // And the updated seed, applied again, changes nothing.
      const again = await postSeed(t, doc);
      assert.deepEqual(again.body.changes, []);
    });

    test('each account seeds its own: the same names in another account are other entries', async () => {
      const other = await t.newAccount();
      const res = await postSeed(t, seedDocument(), basic(other.account.accountSid, other.account.authToken));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.account_sid, other.account.accountSid);
      assert.notEqual(res.body.workspaces.Support.sid, first.workspaces.Support.sid);
      const mine = await t.client.taskrouter.v1.workspaces.list();
      assert.deepEqual(mine.map((w) => w.sid), [first.workspaces.Support.sid]);
      // The other account's agent signs in as its own alice.
      const signIn = await t.http('POST', '/switchyard/v1/Agent/Sessions', {
        body: new URLSearchParams({ AccountSid: other.account.accountSid, Username: 'alice', Password: 'alice-password' }).toString(),
        auth: null,
      });
      assert.equal(signIn.body.worker_sid, res.body.workspaces.Support.workers.alice);
    });

    test('a bad seed is a 400 naming where, and writes nothing', async () => {
      const cases: [string, (d: any) => void, RegExp][] = [
        ['a misspelt field', (d) => (d.workspaces[0].task_queue = []), /workspaces\[0\]\.task_queue is not a seed field/],
        ['a queue the configuration names that is nowhere', (d) => (d.workspaces[0].workflows[0].configuration.task_routing.default_filter.queue = 'Nope'), /workflows\[0\]\.configuration\.task_routing\.default_filter\.queue names the task queue 'Nope'/],
        ['an activity that is nowhere', (d) => (d.workspaces[0].workers[0].activity = 'Lunch'), /workers\[0\]\.activity names the activity 'Lunch'/],
        ['a bad expression', (d) => (d.workspaces[0].task_queues[0].target_workers = 'skills HAS'), /task_queues\[0\]\.target_workers is not a valid expression/],
        ['a capacity out of bounds', (d) => (d.workspaces[0].workers[0].channels.chat.capacity = 51), /channels\.chat\.capacity must be an integer from 0 to 50/],
        ['a name given twice', (d) => d.workspaces[0].workers.push({ friendly_name: 'ALICE' }), /workers\[2\] names "alice" again/],
        ['a username given twice', (d) => d.workspaces[0].workers.push({ friendly_name: 'al', credentials: { username: ' Alice', password: 'another-password' } }), /workers\[2\]\.credentials names "alice" again \(as workspaces\[0\]\.workers\[0\]\.credentials does\)/],
        ['a short password', (d) => (d.workspaces[0].workers[0].credentials.password = 'short'), /credentials\.password must be a string of 8/],
        ['an availability that cannot change', (d) => (d.workspaces[0].activities[1].available = true), /activities\[1\]\.available .*cannot change/],
        ['a widget colour that is none', (d) => (d.workspaces[0].widgets[0].accent_color = 'blue'), /widgets\[0\] Invalid AccentColor parameter: 'blue' is not a hex colour/],
        ['a pre-chat form with a bad field', (d) => (d.workspaces[0].widgets[0].pre_engagement_config = { fields: [{ type: 'Nope' }] }), /widgets\[0\]\.pre_engagement_config /],
        ['a clock going nowhere', (d) => (d.clock.now = 'tomorrow'), /clock\.now must be an ISO 8601 date-time/],
        ['a new workspace naming a queue of another', (d) => d.workspaces.push({ friendly_name: 'Other', workflows: [{ friendly_name: 'W', configuration: { task_routing: { default_filter: { queue: 'Sales' } } } }] }), /workspaces\[1\]\.workflows\[0\].*names the task queue 'Sales'/],
      ];
      const before = await dumpAll(t.server.db);
      for (const [why, change, message] of cases) {
        const doc = seedDocument();
        doc.workspaces[0].workers[0].activity = 'Offline'; // as the previous test left alice: only the bad part differs
        change(doc);
        const res = await postSeed(t, doc);
        assert.equal(res.status, 400, `${why}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, 20001, why);
        assert.equal(res.body.more_info, 'https://www.twilio.com/docs/errors/20001');
        assert.match(res.body.message, message, why);
      }
      const form = await t.http('POST', '/switchyard/v1/Seed', { body: 'workspaces=1' });
      assert.equal(form.status, 400);
      assert.match(form.body.message, /JSON/);
      const notJson = await t.http('POST', '/switchyard/v1/Seed', { body: '{"workspaces": [', headers: { 'content-type': 'application/json' } });
      assert.equal(notJson.status, 400);
      assert.deepEqual(await dumpAll(t.server.db), before, 'nothing was written');
      assert.equal((await t.http('POST', '/switchyard/v1/Seed', { body: '{}', headers: { 'content-type': 'application/json' }, auth: null })).status, 401);
    });

    test('without SWITCHYARD_ADMIN there is no seed route', async () => {
      const plain = await startServer(backend);
      try {
        const res = await postSeed(plain, seedDocument());
        assert.equal(res.status, 404);
        assert.equal(res.body.code, 20404);
      } finally {
        await plain.close();
      }
    });
  });
}

const ROOT = new URL('../..', import.meta.url).pathname;
const ACCOUNT = { sid: 'AC' + 'ab'.repeat(16), token: 'seed-test-token' };

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * `npm start`'s entry point (src/main.ts) with this environment. Resolves once it listens (or has exited), with
 * what it printed so far, a way to call it, and a way to stop it.
 */
async function start(env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '', code: undefined as number | null | undefined };
  child.stdout.on('data', (c: Buffer) => (out.stdout += c));
  child.stderr.on('data', (c: Buffer) => (out.stderr += c));
  const closed = new Promise<void>((resolve) => child.on('close', (code) => ((out.code = code), resolve())));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`src/main.ts neither listened nor exited in 60 s: ${JSON.stringify(out)}`)), 60_000);
    const check = () => {
      if (out.stdout.includes('Switchyard listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    void closed.then(() => (clearTimeout(timer), resolve()));
  });
  const auth = basic(ACCOUNT.sid, ACCOUNT.token);
  return {
    out,
    async call(method: string, path: string, body?: string) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: auth, 'content-type': 'application/json' }, body });
      return { status: res.status, body: (await res.json()) as any };
    },
    async stop() {
      if (out.code === undefined) child.kill('SIGTERM');
      await closed;
    },
  };
}

for (const backend of backends()) {
  describe(`the seed at start, SWITCHYARD_SEED (${backend.name})`, () => {
    test('applied before the server listens, into the configured account; the same seed again, at a restart or over HTTP, changes nothing', async () => {
      const store = await backend.create();
      const env: Record<string, string> = {
        TWILIO_ACCOUNT_SID: ACCOUNT.sid,
        TWILIO_AUTH_TOKEN: ACCOUNT.token,
        SWITCHYARD_SEED: SEED_FILE,
        SWITCHYARD_ADMIN: '1',
        ...(store.config.databaseUrl ? { DATABASE_URL: store.config.databaseUrl, DATABASE_SCHEMA: store.config.schema! } : { SQLITE_FILE: store.config.sqliteFile! }),
      };
      try {
        const first = await start(env);
        try {
          assert.equal(first.out.code, undefined, first.out.stderr);
          const applied = /Seed .* applied to (AC\w+): (\d+) changes\n  Workspace 'Support' (WS\w+)\n/.exec(first.out.stdout);
          assert.ok(applied, first.out.stdout);
          assert.equal(applied[1], ACCOUNT.sid);
          // The seed's clock section turned the clock API on (no SWITCHYARD_CLOCK_CONTROL) and put it at its date, frozen.
          const clock = await first.call('GET', '/switchyard/v1/Clock');
          assert.deepEqual([clock.status, clock.body.now, clock.body.frozen], [200, '2026-01-15T09:00:00Z', true]);
          const workspaces = await first.call('GET', '/taskrouter/v1/Workspaces');
          assert.deepEqual(workspaces.body.workspaces.map((w: any) => [w.sid, w.friendly_name, w.date_created]), [[applied[3], 'Support', '2026-01-15T09:00:00Z']]);
          const again = await first.call('POST', '/switchyard/v1/Seed', JSON.stringify(seedDocument()));
          assert.equal(again.status, 200, JSON.stringify(again.body));
          assert.deepEqual(again.body.changes, []);
          assert.equal(again.body.workspaces.Support.sid, applied[3]);
        } finally {
          await first.stop();
        }
        const second = await start(env);
        try {
          assert.match(second.out.stdout, /Seed .* applied to AC\w+: nothing to change\n/);
        } finally {
          await second.stop();
        }
      } finally {
        await store.dispose();
      }
    });
  });
}

describe('a bad SWITCHYARD_SEED or SWITCHYARD_ADMIN stops the start: one line each, exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-seed-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, doc: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
    return path;
  };
  const cases: [string, Record<string, string>, RegExp[]][] = [
    ['no such file', { SWITCHYARD_SEED: join(dir, 'missing.json') }, [/^SWITCHYARD_SEED must be a readable JSON file .*there is no such file$/m]],
    ['not JSON', { SWITCHYARD_SEED: file('broken.json', '{"workspaces": [') }, [/^SWITCHYARD_SEED \(.*broken\.json\): not valid JSON \(/m]],
    [
      'fields it does not know, a bad value',
      { SWITCHYARD_SEED: file('typo.json', { workspaces: [{ friendly_name: 'S', task_queue: [], multi_task_enabled: 'yes' }] }), SWITCHYARD_ADMIN: 'yes' },
      [
        /^SWITCHYARD_SEED \(.*typo\.json\): workspaces\[0\]\.task_queue is not a seed field here/m,
        /^SWITCHYARD_SEED \(.*typo\.json\): workspaces\[0\]\.multi_task_enabled must be true or false; got "yes"$/m,
        /^SWITCHYARD_ADMIN must be 1, 0, true or false; got 'yes'$/m,
      ],
    ],
    [
      'a name of nothing',
      { SWITCHYARD_SEED: file('ref.json', { workspaces: [{ friendly_name: 'S', workers: [{ friendly_name: 'w', activity: 'Lunch' }] }] }) },
      [/^SWITCHYARD_SEED \(.*ref\.json\): Invalid seed: workspaces\[0\]\.workers\[0\]\.activity names the activity 'Lunch', which is neither in the seed nor in the workspace$/m],
    ],
  ];
  for (const [why, env, lines] of cases)
    test(why, async () => {
      const s = await start({ SQLITE_FILE: join(dir, `${why.replace(/\W/g, '-')}.db`), ...env });
      await s.stop();
      assert.equal(s.out.code, 2, `${s.out.stdout}\n${s.out.stderr}`);
      assert.doesNotMatch(s.out.stdout, /Switchyard listening/);
      for (const line of lines) assert.match(s.out.stderr, line);
      assert.doesNotMatch(s.out.stderr, /\n\s+at /, 'no stack trace');
    });
});
