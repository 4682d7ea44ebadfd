/**
 * The fuzz test's write log, on both stores: every committed change moves the mark, and nothing
 * else does (a rolled-back transaction, an UPDATE that changes nothing, a read), so "the mark did
 * not move" means "the store is as it was".
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from '../support/server.ts';
import { WriteLog } from './writes.ts';

for (const backend of backends()) {
  describe(`fuzz write log (${backend.name})`, () => {
    let t: TestServer;
    let log: WriteLog;
    before(async () => {
      t = await startServer(backend);
      log = await WriteLog.install(t.server.db);
    });
    after(() => t.close());

    test('a committed insert, update and delete each move the mark, and say what they wrote', async () => {
      const db = t.server.db;
      let mark = await log.mark();
      await db.run('INSERT INTO settings (name, value) VALUES (?, ?)', ['fuzz-log', 'one']);
      assert.deepEqual(await log.since(mark), ['settings INSERT × 1']);
      mark = await log.mark();
      await db.run('UPDATE settings SET value = ? WHERE name = ?', ['two', 'fuzz-log']);
      assert.deepEqual(await log.since(mark), ['settings UPDATE × 1']);
      mark = await log.mark();
      await db.run('DELETE FROM settings WHERE name = ?', ['fuzz-log']);
      assert.deepEqual(await log.since(mark), ['settings DELETE × 1']);
      assert.notEqual(await log.mark(), mark);
    });

    test('a rolled-back transaction, an update that changes nothing and a read leave the mark where it was', async () => {
      const db = t.server.db;
      const res = await t.http('POST', '/taskrouter/v1/Workspaces', { body: 'FriendlyName=Kept' });
      assert.equal(res.status, 201);
      const mark = await log.mark();
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.run('UPDATE workspaces SET friendly_name = ? WHERE sid = ?', ['never', res.body.sid]);
          throw new Error('roll back');
        }),
        /roll back/,
      );
      await db.run('UPDATE workspaces SET friendly_name = friendly_name WHERE sid = ?', [res.body.sid]);
      assert.equal((await t.http('GET', `/taskrouter/v1/Workspaces/${res.body.sid}`)).status, 200);
      assert.equal(await log.mark(), mark);
      assert.deepEqual(await log.since(mark), []);
    });
  });
}
