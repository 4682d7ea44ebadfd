import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeferredWrites } from '../../src/store/deferred.ts';

const sqls = (w: DeferredWrites) => w.take().map((s) => `${s.sql} ${JSON.stringify(s.params)}`);

test('new rows of a change go in one INSERT per table, where the first of them came, tables in the order they came', () => {
  const w = new DeferredWrites();
  w.statement('DELETE FROM timers WHERE ref_sid = ?', ['X']);
  w.row('tasks', { sid: 'WT1', status: 'pending' });
  w.statement('INSERT INTO timers (ref_sid) VALUES (?)', ['WT1']);
  w.row('events', { sid: 'EV1', type: 'task.created' });
  w.row('reservations', { sid: 'WR1', task_sid: 'WT1' });
  w.row('events', { sid: 'EV2', type: 'reservation.created' });
  assert.deepEqual(sqls(w), [
    'DELETE FROM timers WHERE ref_sid = ? ["X"]',
    'INSERT INTO tasks (sid, status) VALUES (?, ?) ["WT1","pending"]',
    'INSERT INTO events (sid, type) VALUES (?, ?), (?, ?) ["EV1","task.created","EV2","reservation.created"]',
    'INSERT INTO reservations (sid, task_sid) VALUES (?, ?) ["WR1","WT1"]',
    'INSERT INTO timers (ref_sid) VALUES (?) ["WT1"]',
  ]);
  assert.ok(w.empty);
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

test('discard(mark) drops only what came after the mark while nothing was sent since; after a send it drops all and says so', () => {
  const w = new DeferredWrites();
  w.row('events', { sid: 'EV1' });
  const mark = w.mark();
  w.row('events', { sid: 'EV2' });
  w.statement('UPDATE workers SET x = ?', [1]);
  assert.equal(w.discard(mark), true);
  assert.deepEqual(sqls(w), ['INSERT INTO events (sid) VALUES (?) ["EV1"]']);

  w.row('events', { sid: 'EV3' });
  const sentMark = w.mark();
  w.take();
  w.row('events', { sid: 'EV4' });
  assert.equal(w.discard(sentMark), false, 'the writes after the mark were partly sent: the caller must roll back');
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
