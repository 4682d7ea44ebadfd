/**
 * The workspace lock on PostgreSQL, seen from several pools as several nodes would hold them: it
 * serialises read-modify-write work whatever the server's default isolation, and a session that
 * freezes while holding it loses it instead of stalling the workspace for every node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { PostgresDatabase } from '../../src/store/postgres.ts';
import { lockWorkspace } from '../../src/taskrouter/engine/context.ts';
import { postgresStore, sleep, type Store } from './support.ts';

const url = process.env.TEST_DATABASE_URL;

if (!url) {
  console.log('NOTE: TEST_DATABASE_URL is not set: the PostgreSQL workspace-lock tests did NOT run.');
} else {
  describe('the workspace lock on PostgreSQL', () => {
    let store: Store;
    let schema: string;
    const open: PostgresDatabase[] = [];
    const database = (options: { max?: number; idleInTransactionMs?: number } = {}) => {
      const db = new PostgresDatabase(url, { schema, ...options });
      open.push(db);
      return db;
    };

    before(async () => {
      store = await postgresStore(url);
      schema = store.env.DATABASE_SCHEMA!;
      const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
      await c.connect();
      await c.query('CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
      await c.query('INSERT INTO counter VALUES (1, 0), (2, 0)');
      await c.end();
    });
    after(async () => {
      for (const db of open) await db.close().catch(() => undefined);
      await store?.dispose();
    });

    test('increments under the lock from two pools never lose an update, even where transactions default to repeatable read', async () => {
      const pools = [database({ max: 2 }), database({ max: 2 })];
      // As if the DBA had set default_transaction_isolation: on every connection of both pools.
      for (const db of pools) await Promise.all([0, 1].map(() => db.run("SET SESSION default_transaction_isolation = 'repeatable read'")));
      const increment = (db: PostgresDatabase) =>
        db.transaction(async (tx) => {
          await lockWorkspace(db, tx, 'WS-counter');
          const row = await tx.get<{ n: number }>('SELECT n FROM counter WHERE id = 1');
          await sleep(2);
          await tx.run('UPDATE counter SET n = ? WHERE id = 1', [Number(row!.n) + 1]);
        });
      const results = await Promise.allSettled(Array.from({ length: 24 }, (_, i) => increment(pools[i % 2])));
      const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
      assert.deepEqual(failed, [], 'no transaction failed');
      const [row] = await store.all<{ n: number }>('SELECT n FROM counter WHERE id = 1');
      assert.equal(Number(row.n), 24, 'every increment counted');
    });

    test('a session frozen inside a transaction loses the lock, and its node survives', async () => {
      const frozen = database({ idleInTransactionMs: 500 });
      const other = database();
      let holding = false;
      const stuck = frozen.transaction(async (tx) => {
        await lockWorkspace(frozen, tx, 'WS-frozen');
        await tx.run('UPDATE counter SET n = n + 1 WHERE id = 2');
        holding = true;
        await sleep(2_500); // a paused VM, a stopped process, a blocked event loop
        await tx.get('SELECT 1');
      });
      stuck.catch(() => undefined);
      while (!holding) await sleep(10);
      const started = Date.now();
      await other.transaction(async (tx) => {
        await lockWorkspace(other, tx, 'WS-frozen');
        await tx.run('UPDATE counter SET n = n + 10 WHERE id = 2');
      });
      const waited = Date.now() - started;
      assert.ok(waited < 2_000, `the lock came free after the idle timeout, not when the frozen holder woke (${waited} ms)`);
      await assert.rejects(stuck, 'the frozen transaction fails when it wakes');
      const [row] = await store.all<{ n: number }>('SELECT n FROM counter WHERE id = 2');
      assert.equal(Number(row.n), 10, "the frozen transaction's write was rolled back");
      // The pool dropped the dead connection: the database is still usable.
      assert.equal(Number((await frozen.get<{ one: number }>('SELECT 1 AS one'))!.one), 1);
      await frozen.transaction(async (tx) => {
        await lockWorkspace(frozen, tx, 'WS-frozen');
      });
    });

    test('prepared statements the server lost are run again unprepared, and preparing stops', async () => {
      const db = database({ max: 1 });
      const read = () => db.get<{ n: number }>('SELECT n FROM counter WHERE id = ?', [1]);
      await read();
      await read(); // prepared from its second use
      // What a pooler in transaction mode does to us: the server session no longer has them.
      await db.run('DEALLOCATE ALL');
      assert.equal(Number((await read())!.n), 24, 'outside a transaction: run again, unprepared');
      assert.equal(db.prepare, false, 'and no more preparing on this database');
      assert.equal(Number((await db.transaction((tx) => tx.get<{ n: number }>('SELECT n FROM counter WHERE id = ?', [1])))!.n), 24);
    });

    test('a prepared statement whose table changed shape (another node migrated) is run again', async () => {
      const db = database({ max: 1 });
      const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
      await c.connect();
      try {
        await c.query('CREATE TABLE shape (id INTEGER PRIMARY KEY)');
        await c.query('INSERT INTO shape VALUES (1)');
        const row = () => db.get<Record<string, unknown>>('SELECT * FROM shape WHERE id = ?', [1]);
        await row();
        assert.deepEqual(await row(), { id: 1 });
        await c.query('ALTER TABLE shape ADD COLUMN extra INTEGER NOT NULL DEFAULT 7');
        assert.deepEqual(await row(), { id: 1, extra: 7 }, 'outside a transaction: run again');
        assert.equal(db.prepare, true, 'preparing goes on');
        assert.deepEqual(await row(), { id: 1, extra: 7 }, 'prepared again on the new connection');
        await c.query('ALTER TABLE shape ADD COLUMN more INTEGER NOT NULL DEFAULT 8');
        // Inside a transaction the statement cannot be retried: the transaction fails once, its
        // connection is dropped, and the next transaction prepares afresh. (A transaction's first
        // statement goes with its BEGIN, unprepared: the prepared one is the second.)
        const inTx = () =>
          db.transaction(async (tx) => {
            await tx.get('SELECT 1');
            return tx.get<Record<string, unknown>>('SELECT * FROM shape WHERE id = ?', [1]);
          });
        await assert.rejects(inTx(), /cached plan/);
        assert.deepEqual(await inTx(), { id: 1, extra: 7, more: 8 });
      } finally {
        await c.end();
      }
    });
  });
}
