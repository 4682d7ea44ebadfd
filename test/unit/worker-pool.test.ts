import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkerPool, type PoolQuery, type PoolRows } from '../../src/core/routing/worker-pool.ts';

const channel = (capacity: number, held = 0) => ({ taskChannelSid: 'TCdefault', uniqueName: 'default', capacity, available: true, held, assigned: 0 });

function pool(): WorkerPool {
  const rows: PoolRows = {
    activities: [
      { sid: 'WAon', friendlyName: 'Available', available: true },
      { sid: 'WAoff', friendlyName: 'Offline', available: false },
    ],
    workers: [
      { sid: 'WKc', friendlyName: 'cid', attributes: {}, attributesText: '{}', version: 0, activitySid: 'WAon', idleSince: 300 },
      { sid: 'WKa', friendlyName: 'ann', attributes: {}, attributesText: '{}', version: 0, activitySid: 'WAon', idleSince: 100 },
      { sid: 'WKb', friendlyName: 'bea', attributes: {}, attributesText: '{}', version: 0, activitySid: 'WAon', idleSince: 200 },
      { sid: 'WKz', friendlyName: 'zed', attributes: {}, attributesText: '{}', version: 0, activitySid: 'WAoff', idleSince: 50 },
    ],
    channels: [
      { workerSid: 'WKa', ...channel(2) },
      { workerSid: 'WKb', ...channel(1) },
      { workerSid: 'WKc', ...channel(1, 1) },
      { workerSid: 'WKz', ...channel(5) },
    ],
    members: ['WKa', 'WKb', 'WKc', 'WKz'].map((workerSid) => ({ queueSid: 'WQ', workerSid })),
  };
  return new WorkerPool(rows);
}

const query = (over: Partial<PoolQuery> = {}): PoolQuery => ({
  queueSid: 'WQ',
  taskChannelSid: 'TCdefault',
  multiTask: true,
  ignoreCapacity: false,
  excluded: new Set(),
  needChannels: false,
  ...over,
});

const sids = (p: WorkerPool, q: PoolQuery, page = 10) => [...p.candidates(q, page)].flat().map((c) => c.sid);

describe('WorkerPool', () => {
  test('candidates: longest idle first; offline, full and excluded workers left out', () => {
    const p = pool();
    assert.deepEqual(sids(p, query()), ['WKa', 'WKb'], 'zed is offline, cid is full');
    assert.deepEqual(sids(p, query({ excluded: new Set(['WKa']) })), ['WKb']);
    assert.deepEqual(sids(p, query({ ignoreCapacity: true })), ['WKa', 'WKb', 'WKc']);
    assert.deepEqual(sids(p, query({ knownWorker: { by: 'friendly_name', value: 'bea' } })), ['WKb']);
    assert.deepEqual(sids(p, query({ workerSid: 'WKc', ignoreCapacity: true })), ['WKc']);
    assert.deepEqual([...p.candidates(query(), 1)].map((page) => page.length), [1, 1], 'in pages of the size asked');
  });

  test('single-tasking: a worker holding anything on any channel is busy', () => {
    const p = pool();
    p.hold('WKa', 'TCdefault', 400);
    assert.deepEqual(sids(p, query({ multiTask: false })), ['WKb'], 'ann holds one task: busy in single-tasking');
    assert.deepEqual(sids(p, query({ multiTask: true })), ['WKb', 'WKa'], 'multi-tasking: ann has room, and is now the most recently busy');
  });

  test('hold and release move counts and the idle order; undo goes back to a mark', () => {
    const p = pool();
    const before = p.snapshot();
    const mark = p.mark();
    p.hold('WKa', 'TCdefault', 500);
    p.hold('WKa', 'TCdefault', 600);
    assert.deepEqual(sids(p, query()), ['WKb'], 'ann is full (2 of 2)');
    p.release('WKa', 'TCdefault', false);
    assert.deepEqual(sids(p, query()), ['WKb', 'WKa']);
    p.setActivity('WKb', 'WAoff', 1);
    assert.deepEqual(sids(p, query()), ['WKa']);
    p.undo(mark);
    assert.equal(p.snapshot(), before, 'every change undone');
  });

  test('putWorker and setMembers replace a worker and a queue, and are undone too', () => {
    const p = pool();
    const before = p.snapshot();
    const mark = p.mark();
    p.putWorker('WKd', {
      worker: { sid: 'WKd', friendlyName: 'dee', attributes: { x: 1 }, attributesText: '{"x":1}', version: 0, activitySid: 'WAon', idleSince: 10 },
      channels: [channel(1)],
      queues: ['WQ'],
    });
    assert.equal(sids(p, query())[0], 'WKd', 'the new worker, idle longest, comes first');
    p.putWorker('WKa', null);
    assert.ok(!sids(p, query()).includes('WKa'), 'a deleted worker is gone');
    p.setMembers('WQ', ['WKc']);
    assert.deepEqual(sids(p, query({ ignoreCapacity: true })), ['WKc']);
    p.undo(mark);
    assert.equal(p.snapshot(), before);
  });

  test('settle forgets the journal: a later undo to an older mark changes nothing', () => {
    const p = pool();
    p.hold('WKa', 'TCdefault', 700);
    p.settle();
    const after = p.snapshot();
    p.undo(0);
    assert.equal(p.snapshot(), after);
  });
});

test('hasRoom: multi-tasking, a channel available with capacity to spare; single-tasking, nothing held anywhere', () => {
  const pool = new WorkerPool({
    activities: [{ sid: 'WA1', friendlyName: 'Available', available: true }],
    workers: [
      { sid: 'WK1', friendlyName: 'a', attributes: {}, attributesText: '{}', version: 0, activitySid: 'WA1', idleSince: 1 },
      { sid: 'WK2', friendlyName: 'b', attributes: {}, attributesText: '{}', version: 0, activitySid: 'WA1', idleSince: 2 },
    ],
    channels: [
      { workerSid: 'WK1', taskChannelSid: 'TCvoice', uniqueName: 'voice', capacity: 1, available: true, held: 1, assigned: 0 },
      { workerSid: 'WK1', taskChannelSid: 'TCchat', uniqueName: 'chat', capacity: 2, available: true, held: 1, assigned: 0 },
      { workerSid: 'WK2', taskChannelSid: 'TCchat', uniqueName: 'chat', capacity: 1, available: false, held: 0, assigned: 0 },
    ],
    members: [],
  });
  assert.equal(pool.hasRoom('WK1', true), true, 'chat has a slot left');
  assert.equal(pool.hasRoom('WK1', false), false, 'single-tasking: something is held');
  assert.equal(pool.hasRoom('WK2', true), false, 'its one channel is unavailable');
  assert.equal(pool.hasRoom('WK2', false), false);
  pool.hold('WK1', 'TCchat', 3);
  assert.equal(pool.hasRoom('WK1', true), false, 'chat is full now');
  assert.equal(pool.hasRoom('WKnone', true), false, 'an unknown worker has none');
});
