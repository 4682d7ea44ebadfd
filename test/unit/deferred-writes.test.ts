import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeferredWrites } from '../../src/store/deferred.ts';

const sqls = (w: DeferredWrites) => w.take().map((s) => `${s.sql} ${JSON.stringify(s.params)}`);

test('new rows of a change go in one INSERT per table, where the first of them came, tables in the order they came', () => {
  const w = new DeferredWrites();
  w.statement('DELETE FROM timers WHERE ref_sid = ?', ['X']);
  w.row('tasks', { sid: 'WT1', status: 'pending' });
  w.statement('UPDATE workers SET idle_since = ? WHERE sid = ?', [1, 'WK1']);
  w.row('events', { sid: 'EV1', type: 'task.created' });
  w.row('reservations', { sid: 'WR1', task_sid: 'WT1' });
  w.row('events', { sid: 'EV2', type: 'reservation.created' });
  assert.deepEqual(sqls(w), [
    'DELETE FROM timers WHERE ref_sid = ? ["X"]',
    'INSERT INTO tasks (sid, status) VALUES (?, ?) ["WT1","pending"]',
    'INSERT INTO events (sid, type) VALUES (?, ?), (?, ?) ["EV1","task.created","EV2","reservation.created"]',
    'INSERT INTO reservations (sid, task_sid) VALUES (?, ?) ["WR1","WT1"]',
    'UPDATE workers SET idle_since = ? WHERE sid = ? [1,"WK1"]',
  ]);
  assert.ok(w.empty);
});

test('a new row never moves ahead of an INSERT statement, nor of a statement that writes its table', () => {
  const w = new DeferredWrites();
  w.row('events', { sid: 'EV1' });
  w.statement('INSERT INTO tasks (sid) VALUES (?)', ['WT1']);
  w.row('reservations', { sid: 'WR1', task_sid: 'WT1' }); // may refer to the task just inserted
  w.statement('DELETE FROM timers WHERE ref_sid = ?', ['WR1']);
  w.row('events', { sid: 'EV2' });
  w.row('timers', { sid: 'TM1', ref_sid: 'WR1' }); // must outlive the DELETE before it
  assert.deepEqual(sqls(w), [
    'INSERT INTO events (sid) VALUES (?) ["EV1"]',
    'INSERT INTO tasks (sid) VALUES (?) ["WT1"]',
    'INSERT INTO reservations (sid, task_sid) VALUES (?, ?) ["WR1","WT1"]',
    'INSERT INTO events (sid) VALUES (?) ["EV2"]',
    'DELETE FROM timers WHERE ref_sid = ? ["WR1"]',
    'INSERT INTO timers (sid, ref_sid) VALUES (?, ?) ["TM1","WR1"]',
  ]);
});

test('the rows of several changes share one INSERT per table; each change keeps the order of its own tables', () => {
  const w = new DeferredWrites();
  w.mark();
  w.row('tasks', { sid: 'WT1' });
  w.row('events', { sid: 'EV1' });
  w.statement('UPDATE workers SET n = ? WHERE sid = ?', [1, 'WK1']);
  w.mark();
  w.row('tasks', { sid: 'WT2' });
  w.row('events', { sid: 'EV2' });
  w.statement('UPDATE workers SET n = ? WHERE sid = ?', [1, 'WK2']);
  w.mark();
  // This change writes events before tasks: its task may not go ahead of its own events' group.
  w.row('events', { sid: 'EV3' });
  w.row('tasks', { sid: 'WT3' });
  assert.deepEqual(sqls(w), [
    'INSERT INTO tasks (sid) VALUES (?), (?) ["WT1","WT2"]',
    'INSERT INTO events (sid) VALUES (?), (?), (?) ["EV1","EV2","EV3"]',
    'UPDATE workers SET n = ? WHERE sid = ? [1,"WK1"]',
    'UPDATE workers SET n = ? WHERE sid = ? [1,"WK2"]',
    'INSERT INTO tasks (sid) VALUES (?) ["WT3"]',
  ]);
});

test('an update of a row still waiting folds into its insert; rows with other columns get an INSERT of their own', () => {
  const w = new DeferredWrites();
  w.row('tasks', { sid: 'WT1', status: 'pending', version: 0 });
  assert.equal(w.patch('tasks', 'WT1', { status: 'reserved', version: 1 }), true);
  assert.equal(w.patch('tasks', 'WT2', { status: 'reserved' }), false, 'no such row waiting');
  assert.equal(w.patch('reservations', 'WT1', { status: 'x' }), false, 'rows are told apart by table');
  w.row('reservations', { sid: 'WR1' });
  w.row('reservations', { sid: 'WR2', transfer_sid: 'TT1' });
  assert.deepEqual(sqls(w), [
    'INSERT INTO tasks (sid, status, version) VALUES (?, ?, ?) ["WT1","reserved",1]',
    'INSERT INTO reservations (sid) VALUES (?) ["WR1"]',
    'INSERT INTO reservations (sid, transfer_sid) VALUES (?, ?) ["WR2","TT1"]',
  ]);
});

test('rows never move across a savepoint, and a row before one is no longer patched in place', () => {
  const w = new DeferredWrites();
  w.row('events', { sid: 'EV1' });
  w.statement('SAVEPOINT routing_change', []);
  w.row('events', { sid: 'EV2' });
  assert.equal(w.patch('events', 'EV1', { sid: 'EV1' }), false);
  w.statement('RELEASE SAVEPOINT routing_change', []);
  w.row('events', { sid: 'EV3' });
  assert.deepEqual(sqls(w), [
    'INSERT INTO events (sid) VALUES (?) ["EV1"]',
    'SAVEPOINT routing_change []',
    'INSERT INTO events (sid) VALUES (?) ["EV2"]',
    'RELEASE SAVEPOINT routing_change []',
    'INSERT INTO events (sid) VALUES (?) ["EV3"]',
  ]);
});

test("a change patches only its own waiting rows, not an earlier change's", () => {
  const w = new DeferredWrites();
  w.mark();
  w.row('tasks', { sid: 'WT1', status: 'pending' });
  w.mark();
  assert.equal(w.patch('tasks', 'WT1', { status: 'canceled' }), false, 'WT1 is the previous change\'s');
  w.row('tasks', { sid: 'WT2', status: 'pending' });
  assert.equal(w.patch('tasks', 'WT2', { status: 'reserved' }), true);
  assert.deepEqual(sqls(w), ['INSERT INTO tasks (sid, status) VALUES (?, ?), (?, ?) ["WT1","pending","WT2","reserved"]']);
});

test("discard(mark) drops the change's own writes, even from a group it shares, while none of them was sent; the next change's rows start a new group", () => {
  const w = new DeferredWrites();
  w.mark();
  w.row('events', { sid: 'EV1' });
  w.statement('UPDATE workers SET x = ? WHERE sid = ?', [1, 'WK1']);
  const second = w.mark();
  w.row('events', { sid: 'EV2' });
  w.row('tasks', { sid: 'WT2' });
  w.statement('UPDATE workers SET x = ? WHERE sid = ?', [2, 'WK2']);
  assert.equal(w.discard(second), true);
  w.mark();
  w.row('events', { sid: 'EV3' });
  assert.deepEqual(sqls(w), [
    'INSERT INTO events (sid) VALUES (?) ["EV1"]',
    'UPDATE workers SET x = ? WHERE sid = ? [1,"WK1"]',
    'INSERT INTO events (sid) VALUES (?) ["EV3"]',
  ]);
});

test('discard(mark) after some of the change\'s writes were sent drops all that waits and says so; a send of only earlier changes\' writes does not count', () => {
  const w = new DeferredWrites();
  w.mark();
  w.row('events', { sid: 'EV1' });
  const reading = w.mark();
  w.take(); // the change reads before it writes: only the earlier change's rows go
  w.row('events', { sid: 'EV2' });
  assert.equal(w.discard(reading), true);
  assert.ok(w.empty);

  const writing = w.mark();
  w.row('events', { sid: 'EV3' });
  w.take();
  w.row('events', { sid: 'EV4' });
  assert.equal(w.discard(writing), false, 'EV3 reached the database: the caller must roll back');
  assert.ok(w.empty);
});

test('more rows than one INSERT carries are split', () => {
  const w = new DeferredWrites();
  for (let i = 0; i < 450; i++) w.row('events', { sid: `EV${i}` });
  const out = w.take();
  assert.deepEqual(
    out.map((s) => s.params.length),
    [200, 200, 50],
  );
  assert.deepEqual(out.flatMap((s) => s.params), Array.from({ length: 450 }, (_, i) => `EV${i}`));
});

test("a write run at once (a timer claimed by DELETE) counts as sent for discard(mark); a read does not", () => {
  const w = new DeferredWrites();
  const reading = w.mark();
  w.ran('SELECT * FROM tasks WHERE sid = ?');
  w.row('events', { sid: 'EV1' });
  assert.equal(w.discard(reading), true);

  const writing = w.mark();
  w.ran('DELETE FROM timers WHERE kind = ? AND ref_sid = ?');
  assert.equal(w.discard(writing), false, 'the DELETE reached the database: the caller must roll back');
});

test('a read goes ahead of waiting writes only when they insert or update tables it does not name', () => {
  const w = new DeferredWrites();
  assert.ok(w.canReadPast('SELECT * FROM tasks WHERE sid = ?'), 'nothing waits');
  w.row('events', { sid: 'EV1' });
  w.statement('UPDATE worker_channels SET held = held + 1 WHERE worker_sid = ?', ['WK1']);
  assert.ok(w.canReadPast('SELECT * FROM conversation_config WHERE account_sid = ?'));
  assert.ok(!w.canReadPast('SELECT COUNT(*) FROM events WHERE workspace_sid = ?'), 'reads a table a row waits for');
  assert.ok(!w.canReadPast('SELECT w.* FROM workers w JOIN Worker_Channels wc ON wc.worker_sid = w.sid'), 'an updated table, in a join, any case');
  assert.ok(!w.canReadPast('SELECT 1 FROM tasks t WHERE EXISTS (SELECT 1 FROM events e WHERE e.task_sid = t.sid)'), 'in a subquery');
  assert.ok(!w.canReadPast('UPDATE tasks SET priority = 1'), 'a write never goes ahead');
  assert.ok(!w.canReadPast('WITH x AS (SELECT 1) SELECT * FROM x'), 'only a plain SELECT');
  // Taken (sent), nothing waits: any read goes.
  w.take();
  assert.ok(w.canReadPast('SELECT * FROM events'));
});

test('a waiting DELETE (it may cascade) or any other statement (BEGIN, a lock, a savepoint) keeps every read behind it', () => {
  for (const sql of ['DELETE FROM workspaces WHERE sid = ?', 'BEGIN', "SELECT pg_advisory_xact_lock(hashtext('WS1'))", 'SAVEPOINT s1']) {
    const w = new DeferredWrites();
    w.statement(sql, []);
    assert.ok(!w.canReadPast('SELECT * FROM conversation_config WHERE account_sid = ?'), sql);
  }
  const w = new DeferredWrites();
  w.row('events', { sid: 'EV1' });
  const mark = w.mark();
  w.statement('DELETE FROM timers WHERE ref_sid = ?', ['WR1']);
  assert.ok(!w.canReadPast('SELECT * FROM tasks'));
  assert.ok(w.discard(mark), 'nothing of the change was sent');
  assert.ok(w.canReadPast('SELECT * FROM tasks'), 'the DELETE dropped with its change: the row left does not hold reads back');
  assert.ok(!w.canReadPast('SELECT * FROM events'));
});

// tasks ← reservations (a reservation refers to its task); events and interaction_cursors refer to nothing.
const schema = new Map([
  ['tasks', new Set<string>()],
  ['reservations', new Set(['tasks'])],
  ['events', new Set<string>()],
  ['interaction_cursors', new Set<string>()],
]);

test('with the schema known, an INSERT statement keeps back only the rows that may refer to it or that it names', () => {
  const w = new DeferredWrites(schema);
  w.row('events', { sid: 'EV1' });
  w.statement('INSERT INTO interaction_cursors (workspace_sid) VALUES (?) ON CONFLICT (workspace_sid) DO NOTHING', ['WS1']);
  w.row('events', { sid: 'EV2' }); // refers to nothing: joins the first row's INSERT
  w.statement('INSERT INTO tasks (sid) VALUES (?)', ['WT1']);
  w.row('events', { sid: 'EV3' });
  w.row('reservations', { sid: 'WR1', task_sid: 'WT1' }); // may refer to the task: after it
  assert.deepEqual(sqls(w), [
    'INSERT INTO events (sid) VALUES (?), (?), (?) ["EV1","EV2","EV3"]',
    'INSERT INTO interaction_cursors (workspace_sid) VALUES (?) ON CONFLICT (workspace_sid) DO NOTHING ["WS1"]',
    'INSERT INTO tasks (sid) VALUES (?) ["WT1"]',
    'INSERT INTO reservations (sid, task_sid) VALUES (?, ?) ["WR1","WT1"]',
  ]);
  const d = new DeferredWrites(schema);
  d.row('reservations', { sid: 'WR0', task_sid: 'WT0' });
  d.statement('DELETE FROM tasks WHERE sid = ?', ['WT9']);
  d.row('reservations', { sid: 'WR2', task_sid: 'WT2' }); // a DELETE may cascade to reservations: after it
  assert.deepEqual(sqls(d), [
    'INSERT INTO reservations (sid, task_sid) VALUES (?, ?) ["WR0","WT0"]',
    'DELETE FROM tasks WHERE sid = ? ["WT9"]',
    'INSERT INTO reservations (sid, task_sid) VALUES (?, ?) ["WR2","WT2"]',
  ]);
});

test('a write run at once goes ahead of what waits only when neither its table nor its parents wait, and the schema knows it', () => {
  const w = new DeferredWrites(schema);
  w.row('tasks', { sid: 'WT1' });
  assert.ok(w.canWritePast('INSERT INTO events (sid) VALUES (?)'));
  assert.ok(w.canWritePast('UPDATE interaction_cursors SET seq = ? WHERE workspace_sid = ?'));
  assert.ok(!w.canWritePast('INSERT INTO reservations (sid, task_sid) VALUES (?, ?)'), 'its parent waits');
  assert.ok(!w.canWritePast('UPDATE tasks SET priority = 1'), 'its own table waits');
  assert.ok(!w.canWritePast('INSERT INTO events (sid) SELECT sid FROM tasks'), 'it reads a waiting table');
  assert.ok(!w.canWritePast('DELETE FROM events WHERE sid = ?'), 'a DELETE may cascade');
  assert.ok(!w.canWritePast('INSERT INTO conversations (sid) VALUES (?)'), 'a table the schema does not know');
  assert.ok(!w.canWritePast('SELECT 1'), 'not a write');
  const unknown = new DeferredWrites();
  unknown.row('tasks', { sid: 'WT1' });
  assert.ok(!unknown.canWritePast('INSERT INTO events (sid) VALUES (?)'), 'without the schema nothing goes ahead');
  w.statement('BEGIN', []);
  assert.ok(!w.canWritePast('INSERT INTO events (sid) VALUES (?)'), 'behind a barrier');
});
