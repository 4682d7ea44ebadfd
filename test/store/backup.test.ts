/**
 * Backup and restore while a server runs and keeps writing: the SQLite backup command
 * (scripts/backup.ts, `npm run backup -- FILE`) and the PostgreSQL recipe of the README
 * (pg_dump / pg_restore). Each backup is restored under a new server and compared, through the
 * API, with what was committed before it started.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type twilio from 'twilio';
import { switchyardClient } from '../../src/client.ts';
import type { StoreConfig } from '../../src/store/open.ts';
import { backends, startServer, type Backend, type TestServer } from '../support/server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'switchyard-backup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The README's PostgreSQL recipe, as written there. */
const PG_DUMP = 'pg_dump --format=custom --file=switchyard.dump "$DATABASE_URL"';
const PG_DUMP_SCHEMA = 'pg_dump --format=custom --schema="$DATABASE_SCHEMA" --file=switchyard.dump "$DATABASE_URL"';
/** Run with the test's own database name in place of switchyard_restored. */
const PG_CREATE = `psql "$DATABASE_URL" -c 'CREATE DATABASE switchyard_restored'`;
const PG_RESTORE = 'pg_restore --no-owner --single-transaction --dbname="$RESTORE_URL" switchyard.dump';
/** The README's SQLite restore, with the server stopped, as written there. */
const SQLITE_RESTORE = `rm -f data/switchyard.db-wal data/switchyard.db-shm
cp backups/switchyard-2026-01-15.db data/switchyard.db`;

/** A backend whose store is the one given (and kept): the test needs its file or schema. */
const given = (name: Backend['name'], config: StoreConfig): Backend => ({ name, create: async () => ({ config, dispose: async () => {} }) });

/** Runs a command to its end (at most 60 s) with only PATH, HOME and `env`. */
function run(command: string, args: string[], env: Record<string, string>, cwd = ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not end within 60 s: ${stderr}`));
    }, 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const backupScript = (file: string, env: Record<string, string>) => run(process.execPath, ['--import', 'tsx', 'scripts/backup.ts', file], env);

/** What the test creates before the backup: a workspace, its workers, and tasks with some bulk. */
interface Seeded {
  workspaceSid: string;
  workflowSid: string;
  workers: string[];
  tasks: string[];
}

async function seed(client: twilio.Twilio): Promise<Seeded> {
  const ws = await client.taskrouter.v1.workspaces.create({ friendlyName: 'Backed up', template: 'FIFO' });
  const [workflow] = await client.taskrouter.v1.workspaces(ws.sid).workflows.list();
  const workers: string[] = [];
  for (let i = 0; i < 5; i++)
    workers.push((await client.taskrouter.v1.workspaces(ws.sid).workers.create({ friendlyName: `agent-${i}`, attributes: JSON.stringify({ skills: ['sms'], n: i }) })).sid);
  const tasks: string[] = [];
  // Some kilobytes each, so the copy has pages to go through.
  const notes = 'x'.repeat(3000);
  for (let i = 0; i < 60; i++)
    tasks.push((await client.taskrouter.v1.workspaces(ws.sid).tasks.create({ workflowSid: workflow.sid, attributes: JSON.stringify({ i, notes }) })).sid);
  return { workspaceSid: ws.sid, workflowSid: workflow.sid, workers, tasks };
}

/** Creates tasks one after another until stopped: the writes a backup must not disturb. */
function keepWriting(client: twilio.Twilio, s: Seeded) {
  let running = true;
  let written = 0;
  const failures: unknown[] = [];
  const done = (async () => {
    while (running) {
      try {
        await client.taskrouter.v1.workspaces(s.workspaceSid).tasks.create({ workflowSid: s.workflowSid, attributes: JSON.stringify({ during: written }) });
        written++;
      } catch (err) {
        failures.push(err);
      }
    }
  })();
  return {
    written: () => written,
    async stop() {
      running = false;
      await done;
      return { written, failures };
    },
  };
}

/** The tasks a server holds now. */
async function taskSids(client: twilio.Twilio, s: Seeded): Promise<Set<string>> {
  return new Set((await client.taskrouter.v1.workspaces(s.workspaceSid).tasks.list()).map((t) => t.sid));
}

/** Checks, through the API of a server on the restored store, that it holds what the live one committed before the backup. */
async function assertRestored(live: { account: TestServer['account']; tasks: Set<string> }, restored: TestServer, s: Seeded) {
  const client = switchyardClient(restored.baseUrl, live.account.accountSid, live.account.authToken);
  const ws = client.taskrouter.v1.workspaces(s.workspaceSid);
  assert.equal((await ws.fetch()).friendlyName, 'Backed up');
  assert.deepEqual((await ws.workers.list()).map((w) => w.sid).sort(), [...s.workers].sort());
  const restoredTasks = await taskSids(client, s);
  for (const sid of s.tasks) assert.ok(restoredTasks.has(sid), `task ${sid}, committed before the backup, is in it`);
  for (const sid of restoredTasks) assert.ok(live.tasks.has(sid), `task ${sid} of the backup was committed on the live server`);
  const attributes = JSON.parse((await ws.tasks(s.tasks[7]).fetch()).attributes);
  assert.equal(attributes.i, 7);
  // The restored store goes on: its counters and sequences were restored too.
  const added = await ws.tasks.create({ workflowSid: s.workflowSid, attributes: '{"after":"restore"}' });
  assert.equal((await ws.tasks(added.sid).fetch()).sid, added.sid);
  return restoredTasks;
}

describe('SQLite: npm run backup -- FILE', () => {
  test('a backup taken while the server keeps writing holds everything committed before it, passes its checks, and restores', async () => {
    // The README's paths, under a directory of the test's own.
    const file = join(dir, 'data', 'switchyard.db');
    const backup = join(dir, 'backups', 'switchyard-2026-01-15.db');
    const live = await startServer(given('sqlite', { sqliteFile: file }));
    let liveOpen = true;
    let restored: TestServer | undefined;
    // A reader that holds its snapshot from before the data on: no checkpoint can move what follows into
    // the main file, so all of it stays in the WAL, where the backup must find it (the server's automatic
    // checkpoints would otherwise move most of it, and a plain copy would then look good enough).
    const pin = new BetterSqlite3(file, { readonly: true });
    pin.exec('BEGIN');
    pin.prepare('SELECT COUNT(*) FROM workspaces').get();
    try {
      const s = await seed(live.client);
      // Where those rows are now: in the WAL, which a copy of the main file alone misses.
      copyFileSync(file, join(dir, 'cp.db'));
      const cp = new BetterSqlite3(join(dir, 'cp.db'), { readonly: true });
      const inCp = cp.prepare("SELECT name FROM sqlite_master WHERE name = 'tasks'").get() ? (cp.prepare('SELECT COUNT(*) AS n FROM tasks').get() as { n: number }).n : 0;
      cp.close();
      assert.ok(inCp < s.tasks.length, `a cp of the main file has ${inCp} of ${s.tasks.length} tasks: the rest sit in the WAL`);

      const writer = keepWriting(live.client, s);
      const atStart = writer.written();
      const r = await backupScript(backup, { SQLITE_FILE: file });
      const duringBackup = writer.written() - atStart;
      const { written, failures } = await writer.stop();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Backed up ${file} to ${backup}: \\d+ pages, \\d+\\.\\d MB, integrity ok\\n$`));
      assert.ok(duringBackup > 0, 'the server committed writes while the backup command ran');
      assert.deepEqual(failures, [], `every write during the backup succeeded (${written} written)`);
      // Still serving, with everything it wrote.
      const liveTasks = await taskSids(live.client, s);
      assert.equal(liveTasks.size, s.tasks.length + written);

      const check = new BetterSqlite3(backup, { readonly: true });
      assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(check.pragma('foreign_key_check'), []);
      assert.equal(check.pragma('journal_mode', { simple: true }), 'delete', 'one self-contained file, no WAL beside it');
      const inBackup = (check.prepare('SELECT COUNT(*) AS n FROM tasks').get() as { n: number }).n;
      check.close();
      assert.equal(existsSync(`${backup}-wal`), false);
      assert.equal(existsSync(`${backup}.partial`), false);

      // The README's restore, as written: server stopped, its WAL and shared memory gone, the backup in place.
      pin.close();
      await live.close();
      liveOpen = false;
      const restore = await run('bash', ['-c', SQLITE_RESTORE], {}, dir);
      assert.equal(restore.code, 0, restore.stderr);
      restored = await startServer(given('sqlite', { sqliteFile: file }));
      const restoredTasks = await assertRestored({ account: live.account, tasks: liveTasks }, restored, s);
      assert.equal(restoredTasks.size, inBackup);
    } finally {
      if (pin.open) pin.close();
      await restored?.close();
      if (liveOpen) await live.close();
    }
  });

  test('refuses an existing FILE, a missing store, no FILE, and a PostgreSQL store (naming pg_dump)', async () => {
    const existing = join(dir, 'existing.db');
    copyFileSync(new URL(import.meta.url).pathname, existing);
    const before = readFileSync(existing);
    const store = join(dir, 'refusals.db');
    const live = await startServer(given('sqlite', { sqliteFile: store }));
    try {
      const r = await backupScript(existing, { SQLITE_FILE: store });
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `backup failed: ${existing} exists already: a backup never overwrites a file, name a new one\n`);
      assert.deepEqual(readFileSync(existing), before, 'left as it was');
    } finally {
      await live.close();
    }

    const missing = await backupScript(join(dir, 'nothing.db'), { SQLITE_FILE: join(dir, 'no-such-store.db') });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^backup failed: no SQLite store at .*no-such-store\.db \(SQLITE_FILE; by default data\/switchyard\.db/);
    assert.equal(existsSync(join(dir, 'no-such-store.db')), false, 'no empty store created');

    const none = await run(process.execPath, ['--import', 'tsx', 'scripts/backup.ts'], {});
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^usage: npm run backup -- FILE/);

    const pgStore = await backupScript(join(dir, 'pg.db'), { DATABASE_URL: 'postgres://u:hunter2@db.example/switchyard', DATABASE_SCHEMA: 'sy' });
    assert.equal(pgStore.code, 2);
    assert.equal(
      pgStore.stderr,
      'DATABASE_URL is set: the store is PostgreSQL, which this command does not copy. Use pg_dump (README.md, Backup and restore):\n' +
        `  pg_dump --format=custom --schema=sy --file=${join(dir, 'pg.db')} "$DATABASE_URL"\n`,
    );
    assert.equal(existsSync(join(dir, 'pg.db')), false);

    const badConfig = await backupScript(join(dir, 'bad.db'), { SQLITE_FILE: store, SWITCHYARD_CLOCK_CONTROL: 'yes' });
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /^SWITCHYARD_CLOCK_CONTROL must be 1, 0, true or false; got 'yes'\n/);
  });
});

const postgres = backends().find((b) => b.name === 'postgres');
if (postgres) {
  describe('PostgreSQL: the pg_dump / pg_restore recipe', () => {
    // With DATABASE_SCHEMA (a schema of its own, as the tests use), and without (the database's public schema).
    for (const withSchema of [true, false])
      test(`a dump taken while the server keeps writing, restored into a new database, serves what was committed before it (${withSchema ? 'DATABASE_SCHEMA' : 'whole database'})`, async () => {
        const store = await postgres.create();
        const testUrl = store.config.databaseUrl!;
        const suffix = store.config.schema!.slice('sy_test_'.length);
        const urlOf = (database: string) => Object.assign(new URL(testUrl), { pathname: `/${database}` }).toString();
        const liveDb = `sy_live_${suffix}`;
        const restoredDb = `sy_restore_${suffix}`;
        const admin = new pg.Client({ connectionString: testUrl });
        await admin.connect();
        if (!withSchema) await admin.query(`CREATE DATABASE ${liveDb}`);
        const config: StoreConfig = withSchema ? store.config : { databaseUrl: urlOf(liveDb) };
        const env: Record<string, string> = { DATABASE_URL: config.databaseUrl!, ...(withSchema ? { DATABASE_SCHEMA: config.schema! } : {}) };
        const live = await startServer(given('postgres', config));
        let restored: TestServer | undefined;
        try {
          const s = await seed(live.client);
          const writer = keepWriting(live.client, s);
          const atStart = writer.written();
          const dump = await run('bash', ['-c', withSchema ? PG_DUMP_SCHEMA : PG_DUMP], env, dir);
          const duringDump = writer.written() - atStart;
          const { failures } = await writer.stop();
          assert.equal(dump.code, 0, `pg_dump (is it installed, and as new as the server?): ${dump.stderr}`);
          assert.ok(duringDump > 0, 'the server committed writes while pg_dump ran');
          assert.deepEqual(failures, []);

          const create = await run('bash', ['-c', PG_CREATE.replace('switchyard_restored', restoredDb)], env, dir);
          assert.equal(create.code, 0, create.stderr);
          const restore = await run('bash', ['-c', PG_RESTORE], { RESTORE_URL: urlOf(restoredDb) }, dir);
          assert.equal(restore.code, 0, restore.stderr);

          restored = await startServer(given('postgres', { ...config, databaseUrl: urlOf(restoredDb) }));
          await assertRestored({ account: live.account, tasks: await taskSids(live.client, s) }, restored, s);
        } finally {
          await restored?.close();
          await live.close();
          for (const database of [restoredDb, liveDb]) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
          await admin.end();
          await store.dispose();
          rmSync(join(dir, 'switchyard.dump'), { force: true });
        }
      });
  });
}
