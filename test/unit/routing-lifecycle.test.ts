import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  ACTIVE_TASK_STATUSES,
  CAPACITY_HOLDING,
  FINAL_RESERVATION,
  RESERVATION_STATUSES,
  ROUTING_STATUSES,
  TASK_STATUSES,
  canRequestReservationStatus,
  canRequestTaskStatus,
  endingMove,
  type ReservationStatus,
  type TaskStatus,
} from '../../src/core/routing/lifecycle.ts';

// The moves a caller may request through the API. Everything not listed is illegal, including
// "moving" to the status a task or reservation already has.
const LEGAL_TASK_MOVES: readonly (readonly [TaskStatus, TaskStatus])[] = [
  ['pending', 'canceled'], // cancel a task still being routed
  ['reserved', 'canceled'],
  ['assigned', 'wrapping'],
  ['assigned', 'completed'],
  ['wrapping', 'completed'], // wrapping tasks are completed only through the API
];

const LEGAL_RESERVATION_MOVES: readonly (readonly [ReservationStatus, ReservationStatus])[] = [
  ['pending', 'accepted'],
  ['pending', 'rejected'],
  ['accepted', 'wrapping'],
  ['accepted', 'completed'],
  ['wrapping', 'completed'],
];

describe('status lists', () => {
  test('task statuses are Twilio’s six', () => {
    assert.deepEqual([...TASK_STATUSES], ['pending', 'reserved', 'assigned', 'wrapping', 'completed', 'canceled']);
  });

  test('reservation statuses are Twilio’s eight', () => {
    assert.deepEqual([...RESERVATION_STATUSES], ['pending', 'accepted', 'rejected', 'timeout', 'canceled', 'rescinded', 'wrapping', 'completed']);
  });

  test('the TTL applies while a task is pending or reserved', () => {
    assert.deepEqual([...ROUTING_STATUSES], ['pending', 'reserved']);
  });

  test('a task is alive until completed or canceled', () => {
    assert.deepEqual([...ACTIVE_TASK_STATUSES], ['pending', 'reserved', 'assigned', 'wrapping']);
  });

  test('pending, accepted and wrapping reservations hold channel capacity', () => {
    assert.deepEqual([...CAPACITY_HOLDING], ['pending', 'accepted', 'wrapping']);
  });

  test('final reservation statuses are every status except pending, accepted and wrapping', () => {
    assert.deepEqual(
      [...FINAL_RESERVATION].sort(),
      RESERVATION_STATUSES.filter((s) => !['pending', 'accepted', 'wrapping'].includes(s)).sort(),
    );
  });

  test('final and capacity-holding reservation statuses partition the statuses', () => {
    for (const s of RESERVATION_STATUSES) {
      assert.notEqual(FINAL_RESERVATION.includes(s), CAPACITY_HOLDING.includes(s), s);
    }
  });
});

describe('canRequestTaskStatus: every (from, to) pair', () => {
  const legal = new Set(LEGAL_TASK_MOVES.map(([a, b]) => `${a}→${b}`));
  for (const from of TASK_STATUSES) {
    for (const to of TASK_STATUSES) {
      const expected = legal.has(`${from}→${to}`);
      test(`${from} → ${to}: ${expected ? 'legal' : 'illegal'}`, () => {
        assert.equal(canRequestTaskStatus(from, to), expected);
      });
    }
  }

  test('36 pairs, exactly 5 legal', () => {
    let n = 0;
    for (const from of TASK_STATUSES) for (const to of TASK_STATUSES) if (canRequestTaskStatus(from, to)) n++;
    assert.equal(n, LEGAL_TASK_MOVES.length);
  });

  test('an assigned task never moves to canceled', () => {
    assert.equal(canRequestTaskStatus('assigned', 'canceled'), false);
    assert.equal(canRequestTaskStatus('wrapping', 'canceled'), false);
  });

  test('completed and canceled are final', () => {
    for (const to of TASK_STATUSES) {
      assert.equal(canRequestTaskStatus('completed', to), false);
      assert.equal(canRequestTaskStatus('canceled', to), false);
    }
  });

  test('a caller never moves a task into pending, reserved or assigned (routing does)', () => {
    for (const from of TASK_STATUSES) {
      for (const to of ['pending', 'reserved', 'assigned'] as const) assert.equal(canRequestTaskStatus(from, to), false, `${from}→${to}`);
    }
  });

  test('every legal move ends in a status outside the routing statuses', () => {
    for (const [, to] of LEGAL_TASK_MOVES) assert.ok(!ROUTING_STATUSES.includes(to));
  });
});

describe('canRequestReservationStatus: every (from, to) pair', () => {
  const legal = new Set(LEGAL_RESERVATION_MOVES.map(([a, b]) => `${a}→${b}`));
  for (const from of RESERVATION_STATUSES) {
    for (const to of RESERVATION_STATUSES) {
      const expected = legal.has(`${from}→${to}`);
      test(`${from} → ${to}: ${expected ? 'legal' : 'illegal'}`, () => {
        assert.equal(canRequestReservationStatus(from, to), expected);
      });
    }
  }

  test('64 pairs, exactly 5 legal', () => {
    let n = 0;
    for (const from of RESERVATION_STATUSES) for (const to of RESERVATION_STATUSES) if (canRequestReservationStatus(from, to)) n++;
    assert.equal(n, LEGAL_RESERVATION_MOVES.length);
  });

  test('timeout, canceled and rescinded are never requested by a caller (the system sets them)', () => {
    for (const from of RESERVATION_STATUSES) {
      for (const to of ['timeout', 'canceled', 'rescinded'] as const) assert.equal(canRequestReservationStatus(from, to), false, `${from}→${to}`);
    }
  });

  test('nothing moves out of a final reservation status', () => {
    for (const from of FINAL_RESERVATION) {
      for (const to of RESERVATION_STATUSES) assert.equal(canRequestReservationStatus(from, to), false, `${from}→${to}`);
    }
  });

  test('accept and reject only from pending', () => {
    for (const from of RESERVATION_STATUSES) {
      assert.equal(canRequestReservationStatus(from, 'accepted'), from === 'pending', `${from}→accepted`);
      assert.equal(canRequestReservationStatus(from, 'rejected'), from === 'pending', `${from}→rejected`);
    }
  });

  test('a pending reservation cannot be wrapped or completed before it is accepted', () => {
    assert.equal(canRequestReservationStatus('pending', 'wrapping'), false);
    assert.equal(canRequestReservationStatus('pending', 'completed'), false);
  });
});

describe('endingMove: what a request to end a task means from where it stands', () => {
  const table: Record<TaskStatus, Record<'canceled' | 'wrapping' | 'completed', string | null>> = {
    pending: { canceled: 'canceled', wrapping: 'canceled', completed: 'canceled' },
    reserved: { canceled: 'canceled', wrapping: 'canceled', completed: 'canceled' },
    assigned: { canceled: null, wrapping: 'wrapping', completed: 'completed' },
    wrapping: { canceled: null, wrapping: null, completed: 'completed' },
    completed: { canceled: null, wrapping: null, completed: null },
    canceled: { canceled: null, wrapping: null, completed: null },
  };
  for (const from of TASK_STATUSES)
    for (const wanted of ['canceled', 'wrapping', 'completed'] as const)
      test(`${from}, asked for ${wanted}: ${table[from][wanted] ?? 'stays'}`, () => assert.equal(endingMove(from, wanted), table[from][wanted]));

  test('every move the Task API allows toward an end is carried out as asked', () => {
    for (const from of TASK_STATUSES)
      for (const to of ['canceled', 'wrapping', 'completed'] as const) if (canRequestTaskStatus(from, to)) assert.equal(endingMove(from, to), to, `${from} -> ${to}`);
  });
});
