import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TwilioError } from '../../src/core/errors.ts';
import { activityDurations, workerStints } from '../../src/taskrouter/statistics/activity.ts';
import {
  durationStats,
  parseSplitByWaitTime,
  reservationCounts,
  splitByWaitTime,
  taskCumulative,
  type StatEvent,
} from '../../src/taskrouter/statistics/cumulative.ts';
import { activityStatistics, ageSeconds, tasksByPriority, tasksByStatus, totalTasks } from '../../src/taskrouter/statistics/realtime.ts';
import { parseDateParam, resolveWindow } from '../../src/taskrouter/statistics/window.ts';
import { schemaFields } from '../support/conformance.ts';

const MIN = 60_000;
const NOW = Date.UTC(2026, 0, 15, 9, 0, 0);
const is400 = (re: RegExp) => (err: unknown) => err instanceof TwilioError && err.status === 400 && err.code === 20001 && re.test(err.message);

describe('durationStats', () => {
  const rows: [number[], { avg: number; min: number; max: number; total: number }][] = [
    [[], { avg: 0, min: 0, max: 0, total: 0 }],
    [[7], { avg: 7, min: 7, max: 7, total: 7 }],
    [[10, 20, 30], { avg: 20, min: 10, max: 30, total: 60 }],
    [[1, 2], { avg: 1, min: 1, max: 2, total: 3 }], // the average is rounded down
    [[0, 0, 5], { avg: 1, min: 0, max: 5, total: 5 }],
  ];
  for (const [input, expected] of rows) test(JSON.stringify(input), () => assert.deepEqual(durationStats(input), expected));
});

describe('SplitByWaitTime', () => {
  test('parsing', () => {
    assert.equal(parseSplitByWaitTime(undefined), undefined);
    assert.deepEqual(parseSplitByWaitTime('5'), [5]);
    assert.deepEqual(parseSplitByWaitTime('5, 30,120'), [5, 30, 120]);
    assert.deepEqual(parseSplitByWaitTime('30,5,30'), [30, 5], 'repeats once, in the order given');
    assert.deepEqual(parseSplitByWaitTime('0'), [0]);
    for (const bad of ['', 'abc', '5,', ',5', '-5', '1.5', '5;30', '1,2,3,4,5,6,7,8,9,10,11', '9999999999'])
      assert.throws(() => parseSplitByWaitTime(bad), is400(/SplitByWaitTime/), bad);
  });

  test('a wait equal to the threshold is within it (below)', () => {
    assert.deepEqual(splitByWaitTime([10, 30], [5, 10, 11, 40], [30, 31]), {
      '10': { above: { tasks_canceled: 2, reservations_accepted: 2 }, below: { tasks_canceled: 0, reservations_accepted: 2 } },
      '30': { above: { tasks_canceled: 1, reservations_accepted: 1 }, below: { tasks_canceled: 1, reservations_accepted: 3 } },
    });
    assert.deepEqual(splitByWaitTime([], [1], [2]), {});
  });
});

describe('cumulative counts', () => {
  const ev = (type: string, extra: Partial<StatEvent> = {}): StatEvent => ({ type, date: NOW, ...extra });

  test('reservation counts by event type; other events are ignored', () => {
    const events = [
      'reservation.created', 'reservation.created', 'reservation.created', 'reservation.accepted', 'reservation.rejected',
      'reservation.timeout', 'reservation.canceled', 'reservation.rescinded', 'reservation.completed', 'reservation.wrapup', 'task.created',
    ].map((t) => ev(t));
    assert.deepEqual(reservationCounts(events), {
      reservations_created: 3,
      reservations_accepted: 1,
      reservations_rejected: 1,
      reservations_timed_out: 1,
      reservations_canceled: 1,
      reservations_rescinded: 1,
    });
  });

  const events: StatEvent[] = [
    ev('task.created'),
    ev('task.created'),
    ev('workflow.entered'),
    ev('workflow.entered'),
    ev('task-queue.entered'),
    ev('task-queue.entered'),
    ev('task-queue.entered'),
    ev('task-queue.moved'),
    ev('reservation.created'),
    ev('reservation.accepted', { taskAge: 12, date: NOW, queueEnteredDate: NOW / 1000 - 4 }),
    ev('reservation.accepted', { taskAge: 20, date: NOW, queueEnteredDate: null }),
    ev('task.canceled', { taskAge: 60 }),
    ev('task.completed'),
    ev('task.deleted'),
    ev('task.system-deleted'),
    ev('workflow.timeout'),
  ];
  const window = { start: '2026-01-15T08:45:00Z', end: '2026-01-15T09:00:00Z' };

  test('workspace', () => {
    const c = taskCumulative('workspace', events, window, [15]);
    assert.equal(c.avg_task_acceptance_time, 16);
    assert.deepEqual(c.wait_duration_until_accepted, { avg: 16, min: 12, max: 20, total: 32 });
    assert.deepEqual(c.wait_duration_until_canceled, { avg: 60, min: 60, max: 60, total: 60 });
    assert.deepEqual(c.split_by_wait_time, {
      '15': { above: { tasks_canceled: 1, reservations_accepted: 1 }, below: { tasks_canceled: 0, reservations_accepted: 1 } },
    });
    assert.equal(c.tasks_created, 2);
    assert.equal(c.tasks_deleted, 2, 'deleted through the API or by the system');
    assert.equal(c.tasks_moved, 1);
    assert.equal(c.tasks_timed_out_in_workflow, 1);
    assert.equal(c.start_time, window.start);
  });

  test('queue: tasks entered, and the wait since entering the queue (from creation when not known)', () => {
    const c = taskCumulative('queue', events, window);
    assert.equal(c.tasks_entered, 3);
    assert.deepEqual(c.wait_duration_in_queue_until_accepted, { avg: 12, min: 4, max: 20, total: 24 });
    assert.equal(c.split_by_wait_time, null);
  });

  test('workflow: tasks entered the workflow', () => {
    assert.equal(taskCumulative('workflow', events, window).tasks_entered, 2);
  });

  // The fields of each scope are exactly those of Twilio's schema, less the identifying ones the HTTP layer adds.
  const identity = new Set(['account_sid', 'workspace_sid', 'url', 'task_queue_sid', 'workflow_sid']);
  const schemas = {
    workspace: 'taskrouter.v1.workspace.workspace_cumulative_statistics',
    queue: 'taskrouter.v1.workspace.task_queue.task_queue_cumulative_statistics',
    workflow: 'taskrouter.v1.workspace.workflow.workflow_cumulative_statistics',
  } as const;
  for (const [scope, schema] of Object.entries(schemas) as [keyof typeof schemas, string][]) {
    test(`${scope}: exactly the schema's fields, counts as integers`, () => {
      const c = taskCumulative(scope, events, window, [5]) as unknown as Record<string, unknown>;
      const fields = schemaFields(schema);
      const expected = Object.keys(fields).filter((f) => !identity.has(f));
      assert.deepEqual(Object.keys(c).sort(), [...expected].sort());
      for (const [name, fact] of Object.entries(fields))
        if (fact.type === 'integer' && name in c) assert.ok(Number.isInteger(c[name]), `${name} is an integer`);
    });
  }
});

describe('the window', () => {
  const rows: [string, Parameters<typeof resolveWindow>[0], { start: number; end: number }][] = [
    ['15 minutes by default', {}, { start: NOW - 15 * MIN, end: NOW }],
    ['Minutes', { minutes: 60 }, { start: NOW - 60 * MIN, end: NOW }],
    ['StartDate to now', { startDate: NOW - 90 * MIN }, { start: NOW - 90 * MIN, end: NOW }],
    ['StartDate and EndDate', { startDate: NOW - 90 * MIN, endDate: NOW - 30 * MIN }, { start: NOW - 90 * MIN, end: NOW - 30 * MIN }],
    ['EndDate alone: the 15 minutes before it', { endDate: NOW - 60 * MIN }, { start: NOW - 75 * MIN, end: NOW - 60 * MIN }],
    ['EndDate in the future ends now', { startDate: NOW - MIN, endDate: NOW + 60 * MIN }, { start: NOW - MIN, end: NOW }],
    ['30 days exactly', { minutes: 43_200 }, { start: NOW - 43_200 * MIN, end: NOW }],
  ];
  for (const [why, input, expected] of rows) test(why, () => assert.deepEqual(resolveWindow(input, NOW), expected));

  const bad: [string, Parameters<typeof resolveWindow>[0], RegExp][] = [
    ['Minutes with StartDate', { minutes: 5, startDate: NOW - MIN }, /Minutes/],
    ['Minutes with EndDate', { minutes: 5, endDate: NOW - MIN }, /Minutes/],
    ['Minutes = 0', { minutes: 0 }, /Minutes/],
    ['more than 30 days of Minutes', { minutes: 43_201 }, /Minutes/],
    ['StartDate more than 30 days back', { startDate: NOW - 43_201 * MIN }, /30 days/],
    ['StartDate after EndDate', { startDate: NOW - MIN, endDate: NOW - 2 * MIN }, /StartDate/],
    ['StartDate in the future', { startDate: NOW + MIN }, /StartDate/],
  ];
  for (const [why, input, re] of bad) test(`refused: ${why}`, () => assert.throws(() => resolveWindow(input, NOW), is400(re)));

  test('dates', () => {
    assert.equal(parseDateParam('StartDate', undefined), undefined);
    assert.equal(parseDateParam('StartDate', '2026-01-15T09:00:00Z'), NOW);
    assert.equal(parseDateParam('StartDate', '2026-01-15T09:00:00.250Z'), NOW + 250);
    assert.equal(parseDateParam('StartDate', '2026-01-15T09:00:00'), NOW, 'no zone: GMT');
    assert.equal(parseDateParam('StartDate', '2026-01-15T11:00:00+02:00'), NOW);
    assert.equal(parseDateParam('StartDate', '2026-01-15T04:30:00-0430'), NOW);
    assert.equal(parseDateParam('StartDate', '2026-01-15'), Date.UTC(2026, 0, 15));
    assert.equal(parseDateParam('StartDate', '2026-01-15T09:00Z'), NOW);
    for (const bad of ['', 'yesterday', '2026-02-31T00:00:00Z', '2026-13-01', '2026-01-15T24:00:00Z', '2026-01-15T09:60:00Z', '1768467600', '2026-01-15T09:00:00+25:00'])
      assert.throws(() => parseDateParam('StartDate', bad), is400(/StartDate/), bad);
  });
});

describe('activity durations', () => {
  const acts = [
    { sid: 'WA1', friendly_name: 'Offline' },
    { sid: 'WA2', friendly_name: 'Available' },
    { sid: 'WA3', friendly_name: 'Unavailable' },
  ];
  const s = (n: number) => NOW + n * 1000;

  test('stints: one per change, plus the current activity until now', () => {
    assert.deepEqual(
      workerStints(
        [
          { date: s(60), previousActivitySid: 'WA2', previousMs: 60_000 },
          { date: s(100), previousActivitySid: 'WA1', previousMs: 40_000 },
        ],
        { activitySid: 'WA2', since: s(100) },
        s(130),
      ),
      [
        { activitySid: 'WA2', from: s(0), to: s(60) },
        { activitySid: 'WA1', from: s(60), to: s(100) },
        { activitySid: 'WA2', from: s(100), to: s(130) },
      ],
    );
  });

  const stints = [
    { activitySid: 'WA2', from: s(0), to: s(60) },
    { activitySid: 'WA1', from: s(60), to: s(100) },
    { activitySid: 'WA2', from: s(100), to: s(130) },
  ];

  test('each stint is a sample; activities nobody was in are zeros', () => {
    assert.deepEqual(activityDurations(acts, stints, { start: s(-1000), end: s(130) }), [
      { sid: 'WA1', friendly_name: 'Offline', avg: 40, min: 40, max: 40, total: 40 },
      { sid: 'WA2', friendly_name: 'Available', avg: 45, min: 30, max: 60, total: 90 },
      { sid: 'WA3', friendly_name: 'Unavailable', avg: 0, min: 0, max: 0, total: 0 },
    ]);
  });

  test('stints are cut to the window; those outside it do not count', () => {
    assert.deepEqual(activityDurations(acts, stints, { start: s(30), end: s(80) }), [
      { sid: 'WA1', friendly_name: 'Offline', avg: 20, min: 20, max: 20, total: 20 },
      { sid: 'WA2', friendly_name: 'Available', avg: 30, min: 30, max: 30, total: 30 },
      { sid: 'WA3', friendly_name: 'Unavailable', avg: 0, min: 0, max: 0, total: 0 },
    ]);
  });

  test('whole seconds, rounded down', () => {
    const odd = [
      { activitySid: 'WA1', from: 0, to: 1_999 },
      { activitySid: 'WA1', from: 2_000, to: 2_500 },
    ];
    assert.deepEqual(activityDurations(acts.slice(0, 1), odd, { start: 0, end: 10_000 }), [
      { sid: 'WA1', friendly_name: 'Offline', avg: 1, min: 0, max: 1, total: 2 },
    ]);
  });
});

describe('real-time shapes', () => {
  const counts = [
    { status: 'pending', priority: 0, n: 2 },
    { status: 'pending', priority: 10, n: 1 },
    { status: 'assigned', priority: 0, n: 3 },
    { status: 'wrapping', priority: 2, n: 1 },
  ];

  test('tasks by status: always the four live statuses', () => {
    assert.deepEqual(tasksByStatus(counts), { pending: 3, reserved: 0, assigned: 3, wrapping: 1 });
    assert.deepEqual(tasksByStatus([]), { pending: 0, reserved: 0, assigned: 0, wrapping: 0 });
  });

  test('tasks by priority: only priorities with tasks, keyed by the priority as text', () => {
    assert.deepEqual(tasksByPriority(counts), { '0': 5, '2': 1, '10': 1 });
    assert.deepEqual(tasksByPriority([]), {});
    assert.equal(totalTasks(counts), 7);
  });

  test('every activity is listed, in order, with its workers', () => {
    assert.deepEqual(activityStatistics([{ sid: 'WA1', friendly_name: 'Offline' }, { sid: 'WA2', friendly_name: 'Available' }], new Map([['WA2', 4]])), [
      { friendly_name: 'Offline', workers: 0, sid: 'WA1' },
      { friendly_name: 'Available', workers: 4, sid: 'WA2' },
    ]);
  });

  test('ages are whole seconds, never negative', () => {
    assert.equal(ageSeconds(NOW - 1_999, NOW), 1);
    assert.equal(ageSeconds(NOW + 5_000, NOW), 0);
  });
});
