import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isForeignKeyViolation, isUniqueViolation } from '../../src/store/database.ts';
import type { Condition, ListQuery } from '../../src/store/table.ts';
import { activities, taskChannels, workers, workspaces } from '../../src/taskrouter/model.ts';
import { backends } from '../support/server.ts';
import { activityRow, countGraph, insertAccount, insertGraph, insertWorkspace, newSid, sharedStore, T0, taskChannelRow, workerRow } from './fixtures.ts';

/**
 * Constraint errors, cascades and the generic Table helper (src/store/table.ts), run unchanged
 * against every backend.
 */

/** The error a write rejects with (fails the test if it succeeds). */
async function errorOf(write: Promise<unknown>): Promise<unknown> {
  try {
    await write;
  } catch (err) {
    return err;
  }
  assert.fail('the write succeeded but should have violated a constraint');
}

for (const backend of backends()) {
  describe(`store: constraints (${backend.name})`, () => {
    const store = sharedStore(backend);

    test('worker friendly names are unique per workspace, case-insensitively: isUniqueViolation', async () => {
      const { db } = store;
      const account = await insertAccount(db);
      const { ws, activity } = await insertWorkspace(db, account);
      await workers.insert(db, workerRow(ws, activity.sid, { friendly_name: 'Alice' }));
      const err = await errorOf(workers.insert(db, workerRow(ws, activity.sid, { friendly_name: 'ALICE' })));
      assert.equal(isUniqueViolation(err), true, `not recognised as unique: ${String(err)}`);
      assert.equal(isForeignKeyViolation(err), false);
      // The same name in another workspace is fine.
      const other = await insertWorkspace(db, account);
      await workers.insert(db, workerRow(other.ws, other.activity.sid, { friendly_name: 'alice' }));
      assert.equal(await workers.count(db, ['lower(friendly_name) = ?', 'alice']), 2);
    });

    test('task channel unique_name is unique per workspace: isUniqueViolation', async () => {
      const { db } = store;
      const { ws } = await insertWorkspace(db, await insertAccount(db));
      await taskChannels.insert(db, taskChannelRow(ws, { unique_name: 'sms' }));
      const err = await errorOf(taskChannels.insert(db, taskChannelRow(ws, { unique_name: 'sms', friendly_name: 'Other' })));
      assert.equal(isUniqueViolation(err), true, `not recognised as unique: ${String(err)}`);
      assert.equal(isForeignKeyViolation(err), false);
    });

    test('a worker pointing at a missing activity: isForeignKeyViolation', async () => {
      const { db } = store;
      const { ws } = await insertWorkspace(db, await insertAccount(db));
      const err = await errorOf(workers.insert(db, workerRow(ws, newSid('WA'))));
      assert.equal(isForeignKeyViolation(err), true, `not recognised as a foreign key violation: ${String(err)}`);
      assert.equal(isUniqueViolation(err), false);
      assert.equal(await workers.count(db, ['workspace_sid = ?', ws.sid]), 0);
    });

    test('neither predicate matches other errors or non-errors', () => {
      for (const e of [new Error('x'), undefined, null, 'SQLITE_CONSTRAINT_UNIQUE', { code: '42P01' }, { code: 'SQLITE_ERROR' }]) {
        assert.equal(isUniqueViolation(e), false, String(e));
        assert.equal(isForeignKeyViolation(e), false, String(e));
      }
    });

    test('a constraint error inside a transaction rolls back its earlier writes and surfaces as such', async () => {
      const { db } = store;
      const { ws, activity } = await insertWorkspace(db, await insertAccount(db));
      await workers.insert(db, workerRow(ws, activity.sid, { friendly_name: 'Bob' }));
      const err = await errorOf(
        db.transaction(async (tx) => {
          await activities.insert(tx, activityRow(ws, { friendly_name: 'Break' }));
          await workers.insert(tx, workerRow(ws, activity.sid, { friendly_name: 'bob' }));
        }),
      );
      assert.equal(isUniqueViolation(err), true);
      assert.equal(await activities.first(db, ['workspace_sid = ?', ws.sid], ['friendly_name = ?', 'Break']), undefined);
    });

    test('deleting a workspace cascades to everything in it, and nothing else', async () => {
      const { db } = store;
      const account = await insertAccount(db);
      const doomed = await insertGraph(db, account);
      const kept = await insertGraph(db, account);
      const full = { workspaces: 1, activities: 2, taskChannels: 1, taskQueues: 1, workflows: 1, workers: 1, workerChannels: 1 };
      assert.deepEqual(await countGraph(db, doomed.ws.sid), full);
      assert.equal(await workspaces.delete(db, ['sid = ?', doomed.ws.sid]), 1);
      const none = { workspaces: 0, activities: 0, taskChannels: 0, taskQueues: 0, workflows: 0, workers: 0, workerChannels: 0 };
      assert.deepEqual(await countGraph(db, doomed.ws.sid), none);
      assert.deepEqual(await countGraph(db, kept.ws.sid), full);
    });
  });

  describe(`store: Table helper (${backend.name})`, () => {
    const store = sharedStore(backend);

    /** A workspace with activities named `names`, inserted in that order. */
    async function withActivities(names: string[]) {
      const { ws } = await insertWorkspace(store.db, await insertAccount(store.db));
      await activities.delete(store.db, ['workspace_sid = ?', ws.sid]);
      const rows = names.map((friendly_name, i) => activityRow(ws, { friendly_name, available: i % 2 === 0, date_created: T0 + i }));
      for (const r of rows) await activities.insert(store.db, r);
      return { ws, rows, inWs: ['workspace_sid = ?', ws.sid] as const };
    }

    test('insert then get returns the same row: booleans, nulls and numbers intact', async () => {
      const { db } = store;
      const { ws, activity } = await insertWorkspace(db, await insertAccount(db), { multi_task_enabled: false, events_filter: 'task.created' });
      assert.deepEqual(await workspaces.get(db, ws.sid), ws);
      assert.deepEqual(await activities.get(db, activity.sid), activity);
      assert.equal(await workspaces.get(db, newSid('WS')), undefined);
    });

    test('get applies extra conditions (e.g. the owning account)', async () => {
      const { db } = store;
      const { ws } = await insertWorkspace(db, await insertAccount(db));
      assert.equal((await workspaces.get(db, ws.sid, ['account_sid = ?', ws.account_sid]))?.sid, ws.sid);
      assert.equal(await workspaces.get(db, ws.sid, ['account_sid = ?', newSid('AC')]), undefined);
    });

    test('first returns the earliest created match, or undefined', async () => {
      const { rows, inWs } = await withActivities(['One', 'Two', 'Three']);
      assert.equal((await activities.first(store.db, inWs))?.sid, rows[0].sid);
      assert.equal((await activities.first(store.db, inWs, ['available = ?', false]))?.sid, rows[1].sid);
      assert.equal(await activities.first(store.db, inWs, ['friendly_name = ?', 'Four']), undefined);
    });

    test('update changes only the defined fields and returns the count', async () => {
      const { db } = store;
      const { ws } = await insertWorkspace(db, await insertAccount(db), { event_callback_url: 'https://example.com/a' });
      const changed = await workspaces.update(db, ws.sid, { friendly_name: 'Renamed', event_callback_url: undefined, multi_task_enabled: false, date_updated: T0 + 9 });
      assert.equal(changed, 1);
      assert.deepEqual(await workspaces.get(db, ws.sid), { ...ws, friendly_name: 'Renamed', multi_task_enabled: false, date_updated: T0 + 9 });
      assert.equal(await workspaces.update(db, ws.sid, { events_filter: null }), 1, 'null is a value, not "leave unchanged"');
      assert.equal((await workspaces.get(db, ws.sid))?.events_filter, null);
      assert.equal(await workspaces.update(db, ws.sid, { friendly_name: undefined }), 0);
      assert.equal(await workspaces.update(db, ws.sid, {}), 0);
      assert.equal(await workspaces.update(db, newSid('WS'), { friendly_name: 'Nobody' }), 0);
      assert.equal((await workspaces.get(db, ws.sid))?.friendly_name, 'Renamed');
    });

    test('delete removes the matching rows and returns the count', async () => {
      const { rows, inWs } = await withActivities(['A', 'B', 'C', 'D']);
      assert.equal(await activities.delete(store.db, inWs, ['available = ?', true]), 2);
      assert.deepEqual((await activities.list(store.db, { where: [inWs] })).map((a) => a.sid), [rows[1].sid, rows[3].sid]);
      assert.equal(await activities.delete(store.db, inWs, ['friendly_name = ?', 'Z']), 0);
    });

    test('list: where, creation order by default, orderBy, limit/offset', async () => {
      const names = ['Delta', 'Alpha', 'Echo', 'Charlie', 'Bravo'];
      const { inWs } = await withActivities(names);
      const list = async (q: ListQuery, ...extra: Condition[]) =>
        (await activities.list(store.db, { ...q, where: [inWs, ...extra] })).map((a) => a.friendly_name);
      assert.deepEqual(await list({}), names, 'default order is creation order (seq)');
      assert.deepEqual(await list({}, ['available = ?', true]), ['Delta', 'Echo', 'Bravo']);
      assert.deepEqual(await list({ orderBy: 'friendly_name' }), [...names].sort());
      assert.deepEqual(await list({ orderBy: 'date_created DESC, seq' }), [...names].reverse());
      assert.deepEqual(await list({ limit: 2 }), ['Delta', 'Alpha']);
      assert.deepEqual(await list({ limit: 2, offset: 2 }), ['Echo', 'Charlie']);
      assert.deepEqual(await list({ limit: 2, offset: 4 }), ['Bravo']);
      assert.deepEqual(await list({ limit: 2, offset: 5 }), []);
      assert.deepEqual(await list({ limit: 10 }, ['friendly_name IN (?, ?)', 'Echo', 'Alpha']), ['Alpha', 'Echo']);
      assert.equal(typeof (await activities.list(store.db, { where: [inWs] }))[0].available, 'boolean');
    });

    test('count with and without conditions', async () => {
      const { inWs } = await withActivities(['A', 'B', 'C']);
      assert.equal(await activities.count(store.db, inWs), 3);
      assert.equal(await activities.count(store.db, inWs, ['available = ?', false]), 1);
      assert.equal(await activities.count(store.db, inWs, ['friendly_name = ?', 'nope']), 0);
      assert.ok((await activities.count(store.db)) >= 3);
    });
  });
}
