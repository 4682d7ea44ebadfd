import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isDeferredWriteFailure, isUniqueViolation, later, readTogether, type Database, type Executor } from '../../src/store/database.ts';
import { openDatabase } from '../../src/store/open.ts';
import { activities, taskChannels, workspaces } from '../../src/taskrouter/model.ts';
import { backends } from '../support/server.ts';
import {
  createScratch,
  gate,
  insertAccount,
  insertWorkspace,
  scratchValue,
  sharedStore,
  T0,
  taskChannelRow,
  tick,
  withFreshStore,
  withOpen,
  workspaceRow,
} from './fixtures.ts';

/**
 * The storage contract (src/store/database.ts), run unchanged against every backend: migrations,
 * the executor (`all/get/run`), and transactions. Constraints and the Table helper: table.test.ts.
 */

const CONFIG_TABLES = ['workspaces', 'activities', 'task_channels', 'task_queues', 'workflows', 'workflow_queues', 'workers', 'worker_channels'];

const migrationRows = (db: Database) => db.all<{ id: number; applied_at: number }>('SELECT id, applied_at FROM schema_migrations ORDER BY id');

async function assertEachMigrationOnce(db: Database) {
  const rows = await db.all<{ id: number; n: number }>('SELECT id, COUNT(*) AS n FROM schema_migrations GROUP BY id ORDER BY id');
  assert.ok(rows.length > 0, 'no migration recorded');
  assert.deepEqual(rows.map((r) => Number(r.id)), rows.map((_, i) => i + 1), 'migration ids are not 1..n');
  for (const r of rows) assert.equal(Number(r.n), 1, `migration ${r.id} recorded ${r.n} times`);
}

for (const backend of backends()) {
  describe(`store: migrations (${backend.name})`, () => {
    test('are applied at open: every configuration table exists and is empty', () =>
      withFreshStore(backend, (config) =>
        withOpen(config, async (db) => {
          for (const table of CONFIG_TABLES) {
            const row = await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
            assert.equal(row?.n, 0, table);
          }
          await assertEachMigrationOnce(db);
        }),
      ));

    test('a second open of the same store is a no-op and keeps the data', () =>
      withFreshStore(backend, async (config) => {
        const { first, wsSid } = await withOpen(config, async (db) => {
          const account = await insertAccount(db);
          const { ws } = await insertWorkspace(db, account);
          return { first: await migrationRows(db), wsSid: ws.sid };
        });
        await withOpen(config, async (db) => {
          assert.deepEqual(await migrationRows(db), first, 'schema_migrations changed on the second open');
          await assertEachMigrationOnce(db);
          assert.equal((await workspaces.get(db, wsSid))?.friendly_name, 'Support');
        });
      }));

    // Several nodes (PostgreSQL) or processes (SQLite) may start at once on one store.
    test('two concurrent opens of the same store both succeed', () =>
      withFreshStore(backend, async (config) => {
        const opened = await Promise.allSettled([openDatabase(config), openDatabase(config)]);
        for (const o of opened) if (o.status === 'fulfilled') await o.value.close();
        const failures = opened.flatMap((o) => (o.status === 'rejected' ? [`${o.reason?.code}: ${o.reason?.message}`] : []));
        assert.deepEqual(failures, [], 'a concurrent open failed');
        await withOpen(config, assertEachMigrationOnce);
      }));

    // Deferred writes let a read run ahead of inserts and updates of tables it does not name
    // (store/deferred.ts, canReadPast): true only while no write reaches beyond its own table.
    test('the schema has no triggers, no views and no ON UPDATE actions (a write changes its own table, or cascades on DELETE only)', () =>
      withFreshStore(backend, (config) =>
        withOpen(config, async (db) => {
          if (db.dialect === 'sqlite') {
            assert.deepEqual(await db.all("SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')"), []);
            const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
            assert.ok(tables.length > 20);
            const onUpdate: string[] = [];
            for (const { name } of tables)
              for (const fk of await db.all<{ table: string; on_update: string }>(`SELECT * FROM pragma_foreign_key_list('${name}')`))
                if (fk.on_update !== 'NO ACTION') onUpdate.push(`${name} → ${fk.table}: ON UPDATE ${fk.on_update}`);
            assert.deepEqual(onUpdate, []);
          } else {
            assert.deepEqual(await db.all('SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = current_schema()'), []);
            assert.deepEqual(await db.all('SELECT table_name FROM information_schema.views WHERE table_schema = current_schema()'), []);
            const fks = await db.all<{ constraint_name: string; update_rule: string }>(
              'SELECT constraint_name, update_rule FROM information_schema.referential_constraints WHERE constraint_schema = current_schema()',
            );
            assert.ok(fks.length > 20);
            assert.deepEqual(fks.filter((f) => f.update_rule !== 'NO ACTION'), []);
          }
        }),
      ));
  });

  describe(`store: all/get/run (${backend.name})`, () => {
    const store = sharedStore(backend);

    test('`?` placeholders bind positionally, several per statement', async () => {
      const { db } = store;
      const account = await insertAccount(db);
      const a = workspaceRow(account, { friendly_name: 'A', date_created: T0 });
      const b = workspaceRow(account, { friendly_name: 'B', date_created: T0 + 1000 });
      await workspaces.insert(db, a);
      await workspaces.insert(db, b);
      const sql = 'SELECT sid FROM workspaces WHERE account_sid = ? AND date_created >= ? AND friendly_name <> ? ORDER BY seq';
      assert.deepEqual(await db.all(sql, [account, T0, 'B']), [{ sid: a.sid }]);
      assert.deepEqual(await db.all(sql, [account, T0 + 1, 'A']), [{ sid: b.sid }]);
      assert.deepEqual(await db.all(sql, [account, T0, 'C']), [{ sid: a.sid }, { sid: b.sid }]);
    });

    test('booleans are stored as 0/1, bind in WHERE, and come back as booleans through Table.decode', async () => {
      const { db } = store;
      const { ws } = await insertWorkspace(db, await insertAccount(db), { multi_task_enabled: false });
      const raw = await db.get('SELECT * FROM workspaces WHERE sid = ?', [ws.sid]);
      assert.equal(Number(raw?.multi_task_enabled), 0);
      assert.equal(workspaces.decode(raw!).multi_task_enabled, false);
      await db.run('UPDATE workspaces SET multi_task_enabled = ? WHERE sid = ?', [true, ws.sid]);
      const again = await db.get('SELECT * FROM workspaces WHERE sid = ? AND multi_task_enabled = ?', [ws.sid, true]);
      assert.ok(again, 'a boolean parameter did not match the stored 1');
      assert.equal(workspaces.decode(again).multi_task_enabled, true);
      assert.equal('seq' in workspaces.decode(again), false, 'decode must drop the internal seq column');
    });

    test('a nullable boolean keeps NULL apart from false', async () => {
      const { db } = store;
      const { ws } = await insertWorkspace(db, await insertAccount(db));
      const values = [null, false, true] as const;
      for (const [i, v] of values.entries()) await taskChannels.insert(db, taskChannelRow(ws, { unique_name: `c${i}`, channel_optimized_routing: v }));
      const rows = await db.all('SELECT * FROM task_channels WHERE workspace_sid = ? ORDER BY unique_name', [ws.sid]);
      assert.deepEqual(rows.map((r) => taskChannels.decode(r).channel_optimized_routing), [null, false, true]);
    });

    test('BIGINT epoch-ms values, counts and aggregates come back as JS numbers', async () => {
      const { db } = store;
      const { ws } = await insertWorkspace(db, await insertAccount(db), { date_updated: T0 + 1 });
      const raw = await db.get<Record<string, unknown>>('SELECT seq, date_created, date_updated FROM workspaces WHERE sid = ?', [ws.sid]);
      assert.strictEqual(raw?.date_created, T0);
      assert.strictEqual(raw?.date_updated, T0 + 1);
      assert.equal(typeof raw?.seq, 'number');
      const agg = await db.get<Record<string, unknown>>('SELECT COUNT(*) AS n, MAX(date_created) AS latest FROM activities WHERE workspace_sid = ?', [ws.sid]);
      assert.strictEqual(agg?.n, 1);
      assert.strictEqual(agg?.latest, T0);
    });

    test('run returns the number of rows changed', async () => {
      const { db } = store;
      const { ws } = await insertWorkspace(db, await insertAccount(db));
      assert.equal(await db.run('INSERT INTO activities (sid, account_sid, workspace_sid, friendly_name, available, date_created, date_updated) VALUES (?, ?, ?, ?, ?, ?, ?)', ['WAx' + ws.sid, ws.account_sid, ws.sid, 'Busy', false, T0, T0]), 1);
      assert.equal(await db.run('UPDATE activities SET date_updated = ? WHERE workspace_sid = ?', [T0 + 5, ws.sid]), 2);
      assert.equal(await db.run('UPDATE activities SET date_updated = ? WHERE workspace_sid = ?', [T0, 'WSnone']), 0);
      assert.equal(await db.run('DELETE FROM activities WHERE workspace_sid = ?', [ws.sid]), 2);
    });

    test('NULL round-trips as null, both stored and bound; a missing row is undefined / []', async () => {
      const { db } = store;
      const { ws } = await insertWorkspace(db, await insertAccount(db));
      const read = async () => (await db.get<{ event_callback_url: unknown }>('SELECT event_callback_url FROM workspaces WHERE sid = ?', [ws.sid]))?.event_callback_url;
      assert.strictEqual(await read(), null);
      await db.run('UPDATE workspaces SET event_callback_url = ? WHERE sid = ?', ['https://example.com/cb', ws.sid]);
      assert.equal(await read(), 'https://example.com/cb');
      await db.run('UPDATE workspaces SET event_callback_url = ? WHERE sid = ?', [null, ws.sid]);
      assert.strictEqual(await read(), null);
      assert.strictEqual(await db.get('SELECT sid FROM workspaces WHERE sid = ?', ['WSmissing']), undefined);
      assert.deepEqual(await db.all('SELECT sid FROM workspaces WHERE sid = ?', ['WSmissing']), []);
      assert.equal((await activities.get(db, 'WAmissing')), undefined);
    });
  });

  describe(`store: transactions (${backend.name})`, () => {
    const store = sharedStore(backend);
    const put = (db: Pick<Database, 'run'>, name: string, n: number) => db.run('INSERT INTO scratch (name, n) VALUES (?, ?)', [name, n]);

    test('commit makes every write visible and returns what the function returned', async () => {
      const { db } = store;
      await createScratch(db);
      const result = await db.transaction(async (tx) => {
        await put(tx, 'commit-a', 1);
        await tick();
        await put(tx, 'commit-b', 2);
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal(await scratchValue(db, 'commit-a'), 1);
      assert.equal(await scratchValue(db, 'commit-b'), 2);
    });

    test('a throw rolls back every write and rethrows the same error', async () => {
      const { db } = store;
      await createScratch(db);
      await put(db, 'rollback-existing', 1);
      const boom = new Error('boom');
      await assert.rejects(
        db.transaction(async (tx) => {
          await put(tx, 'rollback-new', 1);
          await tx.run('UPDATE scratch SET n = ? WHERE name = ?', [99, 'rollback-existing']);
          await tick();
          await tx.run('DELETE FROM scratch WHERE name = ?', ['rollback-existing']);
          throw boom;
        }),
        (err) => err === boom,
      );
      assert.equal(await scratchValue(db, 'rollback-new'), undefined, 'an insert of the failed transaction landed');
      assert.equal(await scratchValue(db, 'rollback-existing'), 1, 'an update/delete of the failed transaction landed');
    });

    test('reads inside a transaction see its own writes', async () => {
      const { db } = store;
      await createScratch(db);
      await db.transaction(async (tx) => {
        await put(tx, 'own-a', 1);
        assert.equal(await scratchValue(tx, 'own-a'), 1);
        await tx.run('UPDATE scratch SET n = n + 1 WHERE name = ?', ['own-a']);
        assert.equal(await scratchValue(tx, 'own-a'), 2);
        const rows = await tx.all<{ name: string }>("SELECT name FROM scratch WHERE name LIKE 'own-%'");
        assert.deepEqual(rows.map((r) => r.name), ['own-a']);
      });
    });

    test('deferred writes run before the next read, which sees them; one that fails fails that read, marked as a deferred write, and nothing lands', async () => {
      const { db } = store;
      await createScratch(db);
      await db.transaction(async (tx) => {
        await later(tx, 'INSERT INTO scratch (name, n) VALUES (?, ?)', ['deferred-a', 1]);
        await later(tx, 'UPDATE scratch SET n = n + 1 WHERE name = ?', ['deferred-a']);
        assert.equal(await scratchValue(tx, 'deferred-a'), 2);
      });
      await put(db, 'deferred-dup', 1);
      let failure: unknown;
      await assert.rejects(
        db.transaction(async (tx) => {
          await later(tx, 'INSERT INTO scratch (name, n) VALUES (?, ?)', ['deferred-b', 1]);
          await later(tx, 'INSERT INTO scratch (name, n) VALUES (?, ?)', ['deferred-dup', 2]);
          try {
            await scratchValue(tx, 'deferred-b');
          } catch (err) {
            failure = err;
            throw err;
          }
        }),
      );
      assert.ok(isUniqueViolation(failure), String(failure));
      assert.ok(isDeferredWriteFailure(failure));
      assert.equal(await scratchValue(db, 'deferred-b'), undefined);
      assert.equal(await scratchValue(db, 'deferred-dup'), 1);
    });

    test("deferred writes keep every value as bound: quotes, a `?` inside quoted SQL text, NULL, booleans, numbers", async () => {
      const { db } = store;
      await db.run('CREATE TABLE IF NOT EXISTS literals (name TEXT PRIMARY KEY, n INTEGER, note TEXT)');
      const names = ["it's", "''", '?', "a ' b ? c", 'back\\slash', 'ünï ✓'];
      await db.transaction(async (tx) => {
        for (const [i, name] of names.entries()) {
          await later(tx, "INSERT INTO literals (name, n, note) VALUES (?, ?, 'x''?y')", [name, i]);
        }
        // A `?` and a doubled quote inside the SQL's own quoted text are not placeholders.
        await later(tx, "UPDATE literals SET note = note || '?''' || ? WHERE n = ?", ['z', 0]);
        await later(tx, 'INSERT INTO literals (name, n, note) VALUES (?, ?, ?)', ['flag', true, null]);
      });
      const rows = await db.all<{ name: string; n: number; note: string | null }>('SELECT name, n, note FROM literals ORDER BY n, name');
      const want = [
        ...names.map((name, i) => ({ name, n: i, note: i === 0 ? "x'?y?'z" : "x'?y" })),
        { name: 'flag', n: 1, note: null },
      ].sort((x, y) => x.n - y.n || (x.name < y.name ? -1 : 1));
      assert.deepEqual(rows.map((r) => ({ ...r, n: Number(r.n) })), want);
    });

    test('readTogether: each read gets its own rows, in order, after the deferred writes before it; one failing write fails the reads, marked as a deferred write', async () => {
      const { db } = store;
      await createScratch(db);
      await put(db, 'together-a', 1);
      await db.transaction(async (tx) => {
        await later(tx, 'INSERT INTO scratch (name, n) VALUES (?, ?)', ['together-b', 2]);
        const [a, b, none, both] = await readTogether(tx, [
          { sql: 'SELECT n FROM scratch WHERE name = ?', params: ['together-a'] },
          { sql: 'SELECT n FROM scratch WHERE name = ?', params: ['together-b'] },
          { sql: 'SELECT n FROM scratch WHERE name = ?', params: ['together-none'] },
          { sql: "SELECT name FROM scratch WHERE name LIKE 'together-%' ORDER BY name", params: [] },
        ]);
        assert.deepEqual(a.map((r) => Number(r.n)), [1]);
        assert.deepEqual(b.map((r) => Number(r.n)), [2], 'the deferred insert ran before the reads');
        assert.deepEqual(none, []);
        assert.deepEqual(both.map((r) => r.name), ['together-a', 'together-b']);
      });
      let failure: unknown;
      await assert.rejects(
        db.transaction(async (tx) => {
          await later(tx, 'INSERT INTO scratch (name, n) VALUES (?, ?)', ['together-a', 3]);
          try {
            await readTogether(tx, [
              { sql: 'SELECT n FROM scratch WHERE name = ?', params: ['together-a'] },
              { sql: 'SELECT n FROM scratch WHERE name = ?', params: ['together-b'] },
            ]);
          } catch (err) {
            failure = err;
            throw err;
          }
        }),
      );
      assert.ok(isUniqueViolation(failure) && isDeferredWriteFailure(failure), String(failure));
      assert.equal(await scratchValue(db, 'together-a'), 1);
    });

    test('a read of another table goes ahead of waiting writes: they still wait (a failing one fails the first read of its table)', async () => {
      const { db } = store;
      await createScratch(db);
      await db.run('CREATE TABLE IF NOT EXISTS literals (name TEXT PRIMARY KEY, n INTEGER, note TEXT)');
      await put(db, 'ahead-dup', 1);
      let failure: unknown;
      await assert.rejects(
        db.transaction(async (tx) => {
          // (On PostgreSQL the transaction's BEGIN waits with its first statement: this one.)
          await tx.all('SELECT name FROM literals WHERE name = ?', ['none']);
          await later(tx, 'INSERT INTO scratch (name, n) VALUES (?, ?)', ['ahead-dup', 2]);
          assert.deepEqual(await tx.all('SELECT name FROM literals WHERE name = ?', ['none']), [], 'not held back by the write, nor failed by it');
          try {
            await scratchValue(tx, 'ahead-dup');
          } catch (err) {
            failure = err;
            throw err;
          }
        }),
      );
      assert.ok(isUniqueViolation(failure) && isDeferredWriteFailure(failure), String(failure));
    });

    test('a write run at once goes ahead of waiting writes it cannot depend on (the schema says so); one that may depend on them sends them first', async () => {
      const { db } = store;
      await createScratch(db);
      await db.run('CREATE TABLE IF NOT EXISTS literals (name TEXT PRIMARY KEY, n INTEGER, note TEXT)');
      await put(db, 'write-ahead-dup', 1);
      // Where the waiting write's failure comes out: the step that sent it.
      const failsAt = async (steps: [string, (tx: Executor) => Promise<unknown>][]) => {
        let at = '';
        let failure: unknown;
        await assert.rejects(
          db.transaction(async (tx) => {
            await tx.all('SELECT sid FROM accounts WHERE sid = ?', ['none']); // (PostgreSQL: BEGIN goes with it)
            await later(tx, 'INSERT INTO scratch (name, n) VALUES (?, ?)', ['write-ahead-dup', 2]);
            for (const [name, step] of steps) {
              at = name;
              await step(tx).catch((err) => {
                failure = err;
                throw err;
              });
            }
          }),
        );
        assert.ok(isUniqueViolation(failure) && isDeferredWriteFailure(failure), String(failure));
        return at;
      };
      const readScratch: [string, (tx: Executor) => Promise<unknown>] = ['read of its table', (tx) => scratchValue(tx, 'write-ahead-dup')];
      // accounts refers to nothing: the insert goes ahead, and the waiting write fails the read of its table.
      assert.equal(await failsAt([['insert into accounts', (tx) => insertAccount(tx)], readScratch]), 'read of its table');
      // A table the schema does not know (created after the store opened): what waits goes first.
      assert.equal(
        await failsAt([['insert into literals', (tx) => tx.run('INSERT INTO literals (name, n, note) VALUES (?, ?, ?)', ['write-ahead', 1, null])], readScratch]),
        'insert into literals',
      );
    });

    test('lock(tx, key): what a transaction does after taking it waits for the holder before it to commit', async () => {
      const { db } = store;
      await createScratch(db);
      await put(db, 'locked', 0);
      const key = `scratch-lock-${Math.random()}`;
      const holding = gate();
      const release = gate();
      const first = db.transaction(async (tx) => {
        await db.lock(tx, key);
        await tx.run('UPDATE scratch SET n = ? WHERE name = ?', [1, 'locked']);
        holding.open();
        await release.wait;
      });
      await holding.wait;
      const second = db.transaction(async (tx) => {
        await db.lock(tx, key);
        return scratchValue(tx, 'locked');
      });
      if (db.dialect === 'postgres') {
        // The second's read went with its lock, and waits on it (SQLite runs one transaction at a time).
        const waiting = "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid::text::bigint = (hashtext(?)::bigint & 4294967295)";
        let n = 0;
        for (let i = 0; i < 2000 && n === 0; i++) n = Number((await db.get<{ n: number }>(waiting, [key]))?.n);
        assert.equal(n, 1, 'the second transaction never waited for the lock');
      }
      release.open();
      await first;
      assert.equal(await second, 1, 'the second read before the first committed');
    });

    // SQLite has one connection: a statement issued elsewhere while a transaction awaits must
    // neither run inside it (and be rolled back with it) nor see its uncommitted writes.
    for (const outcome of ['rolls back', 'commits'] as const) {
      test(`a statement issued outside while a transaction is in flight stays outside it (the transaction ${outcome})`, async () => {
        const { db } = store;
        await createScratch(db);
        const name = `outside-${outcome === 'commits' ? 'c' : 'r'}`;
        const written = gate();
        const paused = gate();
        const inside = db.transaction(async (tx) => {
          await put(tx, `${name}-tx`, 1);
          written.open();
          await paused.wait;
          if (outcome === 'rolls back') throw new Error('abandon');
        });
        await written.wait; // the transaction has begun and holds an uncommitted write
        const outsideWrite = put(db, `${name}-out`, 2);
        const outsideRead = scratchValue(db, `${name}-tx`);
        await tick();
        paused.open();
        if (outcome === 'rolls back') await assert.rejects(inside, /abandon/);
        else await inside;
        assert.equal(await outsideWrite, 1);
        assert.equal(await scratchValue(db, `${name}-out`), 2, 'the outside write was lost');
        assert.equal(await scratchValue(db, `${name}-tx`), outcome === 'commits' ? 1 : undefined);
        if (outcome === 'rolls back') assert.equal(await outsideRead, undefined, 'the outside read saw an uncommitted write');
      });
    }

    test('failed transactions leave the store usable (no leaked connection or lock)', { timeout: 20_000 }, async () => {
      const { db } = store;
      await createScratch(db);
      const failures = Array.from({ length: 15 }, (_, i) =>
        db.transaction(async (tx) => {
          await put(tx, `leak-${i}`, i);
          throw new Error(`fail ${i}`);
        }),
      );
      const settled = await Promise.allSettled(failures);
      assert.ok(settled.every((s) => s.status === 'rejected'));
      await db.transaction((tx) => put(tx, 'leak-after', 1));
      await put(db, 'leak-after-direct', 1);
      const row = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM scratch WHERE name LIKE 'leak-%'");
      assert.equal(row?.n, 2);
    });

    test('50 concurrent read-modify-write transactions end with the exact total', { timeout: 30_000 }, async () => {
      const { db } = store;
      await createScratch(db);
      await put(db, 'counter', 0);
      // SQLite serialises whole transactions, so a plain read is enough there. PostgreSQL runs them
      // concurrently under READ COMMITTED: the read must lock the row (SELECT ... FOR UPDATE), as
      // the real code must, or two transactions read the same value and one increment is lost.
      const read = 'SELECT n FROM scratch WHERE name = ?' + (db.dialect === 'postgres' ? ' FOR UPDATE' : '');
      await Promise.all(
        Array.from({ length: 50 }, () =>
          db.transaction(async (tx) => {
            const row = await tx.get<{ n: number }>(read, ['counter']);
            await tick(); // give the others every chance to interleave
            await tx.run('UPDATE scratch SET n = ? WHERE name = ?', [row!.n + 1, 'counter']);
          }),
        ),
      );
      assert.equal(await scratchValue(db, 'counter'), 50);
    });
  });
}
