import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isUniqueViolation, later, type Executor } from '../../src/store/database.ts';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { makeWorkspace } from './routing-helpers.ts';

/**
 * Group commit (engine/group-commit.ts): changes to one workspace asked for in the same turn run in
 * one transaction, and each change still lands or fails on its own, whether it fails in its own code
 * before or after its writes reached the database, or in a deferred write that only fails when the
 * writes are sent (on PostgreSQL, with the COMMIT).
 */
for (const backend of backends()) {
  describe(`group commit: one change fails alone (${backend.name})`, () => {
    let t: TestServer;
    let wsSid: string;
    before(async () => {
      t = await startServer(backend);
      wsSid = (await makeWorkspace(t)).wsSid;
      await t.server.db.run('CREATE TABLE group_commit_probe (k TEXT PRIMARY KEY)');
    });
    after(() => t.close());

    const change = (fn: (tx: Executor) => Promise<string>) => t.server.taskRouter.engine.inWorkspace(t.account.accountSid, wsSid, fn);
    const write = (tx: Executor, k: string) => later(tx, 'INSERT INTO group_commit_probe (k) VALUES (?)', [k]);
    const kept = async (prefix: string) =>
      (await t.server.db.all<{ k: string }>('SELECT k FROM group_commit_probe WHERE k LIKE ? ORDER BY k', [`${prefix}%`])).map((r) => r.k);
    const count = async () => Number((await t.server.db.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM group_commit_probe'))?.n);

    test('changes that throw, with their writes still waiting or already sent, leave nothing; the others commit', async () => {
      const outcomes = await Promise.allSettled([
        change(async (tx) => (await write(tx, 'a1'), 'a')),
        change(async (tx) => {
          await write(tx, 'a2-waiting');
          throw new Error('b fails before its writes were sent');
        }),
        change(async (tx) => {
          await write(tx, 'a3-sent');
          await tx.get('SELECT COUNT(*) AS n FROM group_commit_probe'); // a read sends what waits
          await write(tx, 'a3-after');
          throw new Error('c fails after its first write was sent');
        }),
        change(async (tx) => (await write(tx, 'a4'), 'd')),
      ]);
      assert.deepEqual(
        outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message)),
        ['a', 'b fails before its writes were sent', 'c fails after its first write was sent', 'd'],
      );
      assert.deepEqual(await kept('a'), ['a1', 'a4']);
    });

    test('a deferred write that fails fails its own change alone, even when it only fails at the commit', async () => {
      await change(async (tx) => (await write(tx, 'dup'), 'first'));
      const before = await count();
      const outcomes = await Promise.allSettled([
        change(async (tx) => (await write(tx, 'b1'), 'ok 1')),
        change(async (tx) => (await write(tx, 'dup'), 'never')),
        change(async (tx) => (await write(tx, 'b3'), 'ok 3')),
      ]);
      assert.equal(outcomes[0].status === 'fulfilled' && outcomes[0].value, 'ok 1');
      assert.equal(outcomes[2].status === 'fulfilled' && outcomes[2].value, 'ok 3');
      assert.equal(outcomes[1].status, 'rejected');
      assert.ok(isUniqueViolation((outcomes[1] as PromiseRejectedResult).reason), 'the duplicate key is what it is refused for');
      assert.deepEqual(await kept('b'), ['b1', 'b3']);
      assert.equal(await count(), before + 2);
    });

    test('the routing that follows in the same workspace still works after both', async () => {
      const outcome = await change(async (tx) => (await write(tx, 'c1'), 'after'));
      assert.equal(outcome, 'after');
      assert.deepEqual(await kept('c'), ['c1']);
    });
  });
}
