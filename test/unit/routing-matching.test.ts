import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { evaluate, parseExpression } from '../../src/core/expression/index.ts';
import {
  chooseWorkers,
  knownWorker,
  orderWorkers,
  parseOrderBy,
  skipIfContext,
  targetContext,
  whyIneligible,
  workerContext,
  type Candidate,
  type Ineligible,
  type RoutedTask,
} from '../../src/core/routing/matching.ts';
import { compareWaiting, type WaitingTask } from '../../src/core/routing/queue-order.ts';
import { resume, type Step } from '../../src/core/routing/workflow.ts';
import { parseWorkflowConfiguration } from '../../src/core/workflow/configuration.ts';

const Q1 = 'WQ' + '1'.repeat(32);
const WA_AVAILABLE = 'WA' + 'a'.repeat(32);
const WA_OFFLINE = 'WA' + 'b'.repeat(32);
const WA_BREAK = 'WA' + 'c'.repeat(32);
const WA_NOBODY = 'WA' + 'f'.repeat(32);

const MONDAY = Date.UTC(2024, 0, 1, 10, 0);
const TUESDAY = Date.UTC(2024, 0, 2, 10, 0);
const NOW = MONDAY;
const MULTI = { multiTask: true, nowMs: NOW };
const SINGLE = { multiTask: false, nowMs: NOW };

/** A step whose single target has the given fields (written as in a workflow document). */
function stepWith(target: Record<string, unknown> = {}): Step {
  const cfg = parseWorkflowConfiguration(JSON.stringify({ task_routing: { filters: [{ expression: '1==1', targets: [{ queue: Q1, ...target }] }] } }));
  return resume(cfg, 0, 0, 0)!;
}

function task(attributes: Record<string, unknown> = {}, ignoreCapacity = false): RoutedTask {
  return { sid: 'WT' + '0'.repeat(32), attributes, ignoreCapacity };
}

/** An available, idle worker with one free unit of capacity on the task's channel. */
function worker(sid: string, over: Partial<Candidate> = {}): Candidate {
  return {
    sid,
    friendlyName: sid.toLowerCase(),
    activitySid: WA_AVAILABLE,
    activityName: 'Available',
    available: true,
    attributes: {},
    channel: { capacity: 1, available: true, held: 0, assigned: 0 },
    channels: {
      voice: { configured_capacity: 1, assigned_tasks: 0, available_capacity_percentage: 100 },
      sms: { configured_capacity: 1, assigned_tasks: 0, available_capacity_percentage: 100 },
    },
    idleSince: 1000,
    reservedForTask: false,
    ...over,
  };
}

const sids = (cs: Candidate[]) => cs.map((c) => c.sid);

describe('whyIneligible: worker state', () => {
  const none = stepWith();
  const rows: [label: string, c: Candidate, opts: typeof MULTI, t: RoutedTask, expected: Ineligible | null][] = [
    ['available, idle, free capacity → eligible', worker('WK1'), MULTI, task(), null],
    ['already holds a reservation for this task', worker('WK1', { reservedForTask: true }), MULTI, task(), 'already-reserved'],
    ['activity not available', worker('WK1', { available: false, activitySid: WA_OFFLINE, activityName: 'Offline' }), MULTI, task(), 'activity-unavailable'],
    ['channel switched off', worker('WK1', { channel: { capacity: 1, available: false, held: 0, assigned: 0 } }), MULTI, task(), 'channel-unavailable'],
    ['multitask: held == capacity', worker('WK1', { channel: { capacity: 2, available: true, held: 2, assigned: 1 } }), MULTI, task(), 'no-capacity'],
    ['multitask: held > capacity (capacity lowered)', worker('WK1', { channel: { capacity: 1, available: true, held: 3, assigned: 3 } }), MULTI, task(), 'no-capacity'],
    ['multitask: capacity 0 takes no new reservations', worker('WK1', { channel: { capacity: 0, available: true, held: 0, assigned: 0 } }), MULTI, task(), 'no-capacity'],
    ['multitask: held < capacity', worker('WK1', { channel: { capacity: 3, available: true, held: 2, assigned: 2 } }), MULTI, task(), null],
    ['multitask: busy on another channel does not matter', worker('WK1', { channels: { voice: { configured_capacity: 1, assigned_tasks: 1, available_capacity_percentage: 0 } } }), MULTI, task(), null],
    ['single-task: a reservation held on this channel', worker('WK1', { channel: { capacity: 5, available: true, held: 1, assigned: 0 } }), SINGLE, task(), 'single-task-busy'],
    [
      'single-task: busy on another channel',
      worker('WK1', { channels: { voice: { configured_capacity: 2, assigned_tasks: 1, available_capacity_percentage: 50 }, sms: { configured_capacity: 1, assigned_tasks: 0, available_capacity_percentage: 100 } } }),
      SINGLE,
      task(),
      'single-task-busy',
    ],
    ['single-task: idle everywhere', worker('WK1'), SINGLE, task(), null],
    // A channel configured with capacity 0 reports 0 % free, but holds nothing.
    [
      'single-task: an idle channel configured with capacity 0 is not a held task',
      worker('WK1', { channels: { chat: { configured_capacity: 0, assigned_tasks: 0, available_capacity_percentage: 0 }, sms: { configured_capacity: 1, assigned_tasks: 0, available_capacity_percentage: 100 } } }),
      SINGLE,
      task(),
      null,
    ],
    ['single-task: channel switched off', worker('WK1', { channel: { capacity: 1, available: false, held: 0, assigned: 0 } }), SINGLE, task(), 'channel-unavailable'],
    // Precedence: the first failing check is the one reported.
    ['already-reserved beats activity-unavailable', worker('WK1', { reservedForTask: true, available: false }), MULTI, task(), 'already-reserved'],
    ['activity-unavailable beats channel-unavailable', worker('WK1', { available: false, channel: { capacity: 1, available: false, held: 1, assigned: 1 } }), MULTI, task(), 'activity-unavailable'],
    ['channel-unavailable beats no-capacity', worker('WK1', { channel: { capacity: 1, available: false, held: 1, assigned: 1 } }), MULTI, task(), 'channel-unavailable'],
    // ignoreCapacity: a task routed straight to a worker skips the capacity checks.
    ['ignoreCapacity: full channel is fine', worker('WK1', { channel: { capacity: 1, available: true, held: 1, assigned: 1 } }), MULTI, task({}, true), null],
    ['ignoreCapacity: capacity 0 is fine', worker('WK1', { channel: { capacity: 0, available: true, held: 0, assigned: 0 } }), MULTI, task({}, true), null],
    ['ignoreCapacity: switched-off channel is fine', worker('WK1', { channel: { capacity: 1, available: false, held: 0, assigned: 0 } }), MULTI, task({}, true), null],
    ['ignoreCapacity: single-task busy is fine', worker('WK1', { channel: { capacity: 1, available: true, held: 1, assigned: 1 } }), SINGLE, task({}, true), null],
    ['ignoreCapacity: still needs an available activity', worker('WK1', { available: false }), MULTI, task({}, true), 'activity-unavailable'],
    ['ignoreCapacity: still not twice for the same task', worker('WK1', { reservedForTask: true }), MULTI, task({}, true), 'already-reserved'],
  ];
  for (const [label, c, opts, t, expected] of rows) {
    test(label, () => {
      assert.equal(whyIneligible(t, none, c, opts), expected);
    });
  }

  test('ignoreCapacity does not bypass the target expression', () => {
    const s = stepWith({ expression: 'worker.level > 3' });
    assert.equal(whyIneligible(task({}, true), s, worker('WK1', { attributes: { level: 1 } }), MULTI), 'target-expression');
  });

  test('no-capacity / single-task-busy are reported before known-worker and target-expression', () => {
    const s = stepWith({ known_worker_sid: 'task.agent', expression: '1 == 0' });
    const full = worker('WK1', { channel: { capacity: 1, available: true, held: 1, assigned: 1 } });
    assert.equal(whyIneligible(task({ agent: 'WK2' }), s, full, MULTI), 'no-capacity');
    assert.equal(whyIneligible(task({ agent: 'WK2' }), s, full, SINGLE), 'single-task-busy');
  });

  test('known-worker is reported before target-expression', () => {
    const s = stepWith({ known_worker_sid: 'task.agent', expression: '1 == 0' });
    assert.equal(whyIneligible(task({ agent: 'WK2' }), s, worker('WK1'), MULTI), 'known-worker');
    assert.equal(whyIneligible(task({ agent: 'WK1' }), s, worker('WK1'), MULTI), 'target-expression');
  });
});

describe('whyIneligible: target expressions (task.*, worker.*, taskrouter.*)', () => {
  const alice = worker('WK' + 'a'.repeat(32), {
    friendlyName: 'alice',
    activityName: 'Generally Available',
    attributes: { agent_id: 'A7', id: 'A7', level: 5, spoken_languages: ['en', 'fr'], skills: ['support'], team: { name: 'blue' } },
    channels: {
      voice: { configured_capacity: 1, assigned_tasks: 0, available_capacity_percentage: 100 },
      sms: { configured_capacity: 3, assigned_tasks: 1, available_capacity_percentage: 66 },
      chat: { configured_capacity: 2, assigned_tasks: 2, available_capacity_percentage: 0 },
    },
  });
  const t = task({ requested_agent: 'A7', required_language: 'fr', preferred_agents: ['A1', 'A7'], worker_sid: alice.sid, min_level: 3, skill: 'support' });

  const rows: [expression: string, eligible: boolean, nowMs?: number][] = [
    ['task.requested_agent == worker.agent_id', true],
    ['task.requested_agent != worker.agent_id', false],
    ['task.required_language IN worker.spoken_languages', true],
    ['worker.id IN task.preferred_agents', true],
    ['worker.spoken_languages HAS "de"', false],
    ['worker.skills HAS task.skill', true],
    ['worker.level >= task.min_level', true],
    ['worker.level > 5', false],
    ['worker.team.name == "blue"', true],
    ['task.worker_sid = worker.sid', true],
    ['worker.sid == task.missing_sid', false],
    ["worker.friendly_name == 'alice'", true],
    ["worker.friendly_name == 'Alice'", false],
    [`worker.activity_sid == '${WA_AVAILABLE}'`, true],
    ["worker.activity_name IN ['Generally Available', 'Available']", true],
    ['worker.channel.voice.available_capacity_percentage == 100', true],
    ['worker.channel.voice.assigned_tasks == 0', true],
    ['worker.channel.sms.assigned_tasks == 0', false],
    ['worker.channel.sms.assigned_tasks <= 1', true],
    ['worker.channel.sms.available_capacity_percentage < 75', true],
    ['worker.channel.chat.configured_capacity == 2', true],
    ['worker.channel.video.assigned_tasks == 0', false], // no such channel: absent → false
    ["taskrouter.dayOfWeek == 'Mon'", true, MONDAY],
    ["taskrouter.dayOfWeek == 'Mon'", false, TUESDAY],
    ['taskrouter.currentTime > 0800 AND taskrouter.currentTime < 1830', true, MONDAY],
    ['taskrouter.currentHour == 10', true, MONDAY],
    ['level > 3', false], // unprefixed keys do not resolve in a target expression
    ['task.level > 3 OR worker.level > 3', true],
    ['1 == 1', true],
    ['1 == 0', false],
  ];
  for (const [expression, eligible, nowMs] of rows) {
    test(`${expression}${nowMs === TUESDAY ? ' (on a Tuesday)' : ''} → ${eligible ? 'eligible' : 'target-expression'}`, () => {
      const s = stepWith({ expression });
      assert.equal(whyIneligible(t, s, alice, { multiTask: true, nowMs: nowMs ?? NOW }), eligible ? null : 'target-expression');
    });
  }

  test('an empty target expression means no restriction', () => {
    assert.equal(whyIneligible(t, stepWith({ expression: '' }), alice, MULTI), null);
    assert.equal(whyIneligible(t, stepWith({ expression: '   ' }), alice, MULTI), null);
  });
});

describe('workerContext / targetContext', () => {
  test('worker attributes are spread, the built-in fields win over attributes of the same name', () => {
    const c = worker('WK1', {
      friendlyName: 'Real',
      attributes: { sid: 'fake', friendly_name: 'Fake', activity_sid: 'x', activity_name: 'y', channel: 'z', level: 2 },
    });
    const ctx = workerContext(c);
    assert.equal(ctx.sid, 'WK1');
    assert.equal(ctx.friendly_name, 'Real');
    assert.equal(ctx.activity_sid, WA_AVAILABLE);
    assert.equal(ctx.activity_name, 'Available');
    assert.deepEqual(ctx.channel, c.channels);
    assert.equal(ctx.level, 2);
  });

  test('targetContext has exactly task, worker and taskrouter', () => {
    const ctx = targetContext(task({ a: 1 }), worker('WK1'), Date.UTC(2024, 0, 1, 9, 5));
    assert.deepEqual(Object.keys(ctx).sort(), ['task', 'taskrouter', 'worker']);
    assert.deepEqual(ctx.task, { a: 1 });
    assert.deepEqual(ctx.taskrouter, { currentTime: 905, currentHour: '09', currentMin: '05', dayOfWeek: 'Mon' });
  });
});

describe('known-agent routing', () => {
  const wk1 = worker('WK1', { friendlyName: 'alice', idleSince: 10 });
  const wk2 = worker('WK2', { friendlyName: 'bob', idleSince: 20 });
  const wk3 = worker('WK3', { friendlyName: 'carol', idleSince: 30 });
  const all = [wk1, wk2, wk3];
  const bySid = stepWith({ known_worker_sid: 'task.last_agent' });
  const byName = stepWith({ known_worker_friendly_name: 'task.last_agent_name' });
  const nested = stepWith({ known_worker_sid: 'task.history.last_agent' });

  const rows: [label: string, s: Step, attrs: Record<string, unknown>, chosen: string[]][] = [
    ['known_worker_sid picks that worker only', bySid, { last_agent: 'WK2' }, ['WK2']],
    ['known_worker_sid naming nobody in the queue → nobody', bySid, { last_agent: 'WK9' }, []],
    ['known_worker_sid attribute missing → nobody eligible', bySid, {}, []],
    ['known_worker_sid attribute null → nobody eligible', bySid, { last_agent: null }, []],
    ['known_worker_sid attribute of the wrong type → nobody', bySid, { last_agent: 2 }, []],
    ['known_worker_sid is compared exactly (case)', bySid, { last_agent: 'wk2' }, []],
    ['known_worker_friendly_name picks that worker only', byName, { last_agent_name: 'carol' }, ['WK3']],
    ['known_worker_friendly_name mismatch → nobody', byName, { last_agent_name: 'dave' }, []],
    ['known_worker_friendly_name missing → nobody', byName, {}, []],
    ['nested task attribute path', nested, { history: { last_agent: 'WK1' } }, ['WK1']],
    ['nested path through a non-object → nobody', nested, { history: 'WK1' }, []],
  ];
  for (const [label, s, attrs, chosen] of rows) {
    test(label, () => {
      assert.deepEqual(sids(chooseWorkers(task(attrs), s, all, 50, MULTI)), chosen);
    });
  }

  test('a worker other than the known one is ineligible with reason known-worker', () => {
    assert.equal(whyIneligible(task({ last_agent: 'WK2' }), bySid, wk1, MULTI), 'known-worker');
    assert.equal(whyIneligible(task({ last_agent: 'WK2' }), bySid, wk2, MULTI), null);
    assert.equal(whyIneligible(task({}), bySid, wk2, MULTI), 'known-worker');
    assert.equal(whyIneligible(task({ last_agent_name: 'alice' }), byName, wk2, MULTI), 'known-worker');
    assert.equal(whyIneligible(task({ last_agent_name: 'alice' }), byName, wk1, MULTI), null);
  });

  test('the known worker must still be available and pass the target expression', () => {
    const s = stepWith({ known_worker_sid: 'task.last_agent', expression: 'worker.level > 3' });
    assert.equal(whyIneligible(task({ last_agent: 'WK1' }), s, worker('WK1', { available: false }), MULTI), 'activity-unavailable');
    assert.equal(whyIneligible(task({ last_agent: 'WK1' }), s, worker('WK1', { attributes: { level: 1 } }), MULTI), 'target-expression');
    assert.equal(whyIneligible(task({ last_agent: 'WK1' }), s, worker('WK1', { attributes: { level: 4 } }), MULTI), null);
  });

  const knownRows: [label: string, s: Step, attrs: Record<string, unknown>, expected: ReturnType<typeof knownWorker>][] = [
    ['by sid', bySid, { last_agent: 'WK2' }, { by: 'sid', value: 'WK2' }],
    ['by friendly name', byName, { last_agent_name: 'bob' }, { by: 'friendly_name', value: 'bob' }],
    ['missing attribute → value undefined', bySid, {}, { by: 'sid', value: undefined }],
    ['nested', nested, { history: { last_agent: 'WK3' } }, { by: 'sid', value: 'WK3' }],
    ['no known worker on the target → null', stepWith(), { last_agent: 'WK2' }, null],
    ['the task. prefix is optional', stepWith({ known_worker_sid: 'last_agent' }), { last_agent: 'WK2' }, { by: 'sid', value: 'WK2' }],
    ['both keys given: known_worker_sid wins', stepWith({ known_worker_sid: 'task.a', known_worker_friendly_name: 'task.b' }), { a: 'WK1', b: 'bob' }, { by: 'sid', value: 'WK1' }],
  ];
  for (const [label, s, attrs, expected] of knownRows) {
    test(`knownWorker: ${label}`, () => {
      assert.deepEqual(knownWorker(s, task(attrs)), expected);
    });
  }
});

describe('parseOrderBy', () => {
  const rows: [orderBy: string | null, expected: { path: string[]; desc: boolean }[]][] = [
    [null, []],
    ['', []],
    ['worker.level DESC', [{ path: ['level'], desc: true }]],
    ['worker.level ASC', [{ path: ['level'], desc: false }]],
    ['worker.level', [{ path: ['level'], desc: false }]],
    ['worker.level desc', [{ path: ['level'], desc: true }]],
    ['  worker.level   DESC  ', [{ path: ['level'], desc: true }]],
    ['worker.finance ASC, worker.support ASC', [{ path: ['finance'], desc: false }, { path: ['support'], desc: false }]],
    ['worker.skills.finance DESC,worker.tenure', [{ path: ['skills', 'finance'], desc: true }, { path: ['tenure'], desc: false }]],
    ['level DESC', []], // not a worker.* reference
    ['task.priority DESC', []],
    ['worker.level SIDEWAYS', []],
    ['worker.level DESC, nonsense, worker.tenure ASC', [{ path: ['level'], desc: true }, { path: ['tenure'], desc: false }]],
    ['worker.level DESC,', [{ path: ['level'], desc: true }]],
  ];
  for (const [orderBy, expected] of rows) {
    test(JSON.stringify(orderBy), () => {
      assert.deepEqual(parseOrderBy(orderBy), expected);
    });
  }
});

describe('orderWorkers', () => {
  const w = (sid: string, attributes: Record<string, unknown>, idleSince = 1000) => worker(sid, { attributes, idleSince });

  const rows: [label: string, orderBy: string | null, cands: Candidate[], expected: string[]][] = [
    ['no order_by: longest idle (smallest idleSince) first', null, [w('WK1', {}, 300), w('WK2', {}, 100), w('WK3', {}, 200)], ['WK2', 'WK3', 'WK1']],
    ['no order_by, same idleSince: SID order', null, [w('WK3', {}), w('WK1', {}), w('WK2', {})], ['WK1', 'WK2', 'WK3']],
    ['worker.level DESC', 'worker.level DESC', [w('WK1', { level: 1 }), w('WK2', { level: 9 }), w('WK3', { level: 5 })], ['WK2', 'WK3', 'WK1']],
    ['worker.level ASC', 'worker.level ASC', [w('WK1', { level: 1 }), w('WK2', { level: 9 }), w('WK3', { level: 5 })], ['WK1', 'WK3', 'WK2']],
    ['negative and zero values', 'worker.level ASC', [w('WK1', { level: 0 }), w('WK2', { level: -3 }), w('WK3', { level: 2 })], ['WK2', 'WK1', 'WK3']],
    [
      'doc example: finance tie broken by support ASC → Bob, Alice',
      'worker.finance ASC, worker.support ASC',
      [w('WKalice', { finance: 10, support: 8 }), w('WKbob', { finance: 10, support: 5 })],
      ['WKbob', 'WKalice'],
    ],
    [
      'doc example: Bob lacks support → Alice, Bob (ASC)',
      'worker.finance ASC, worker.support ASC',
      [w('WKbob', { finance: 10 }, 1), w('WKalice', { finance: 10, support: 8 }, 2)],
      ['WKalice', 'WKbob'],
    ],
    [
      'doc example: Bob lacks support → Alice, Bob (DESC)',
      'worker.finance ASC, worker.support DESC',
      [w('WKbob', { finance: 10 }, 1), w('WKalice', { finance: 10, support: 8 }, 2)],
      ['WKalice', 'WKbob'],
    ],
    ['missing attribute sorts after present ones (ASC)', 'worker.level ASC', [w('WK1', {}, 1), w('WK2', { level: 9 }), w('WK3', { level: 1 })], ['WK3', 'WK2', 'WK1']],
    ['missing attribute sorts after present ones (DESC)', 'worker.level DESC', [w('WK1', {}, 1), w('WK2', { level: 1 }), w('WK3', { level: 9 })], ['WK3', 'WK2', 'WK1']],
    ['several missing: among themselves by idle time', 'worker.level DESC', [w('WK1', {}, 30), w('WK2', { level: 1 }), w('WK3', {}, 10)], ['WK2', 'WK3', 'WK1']],
    ['second clause breaks ties of the first', 'worker.a DESC, worker.b ASC', [w('WK1', { a: 1, b: 1 }), w('WK2', { a: 2, b: 9 }), w('WK3', { a: 2, b: 3 })], ['WK3', 'WK2', 'WK1']],
    ['three clauses', 'worker.a ASC, worker.b ASC, worker.c DESC', [w('WK1', { a: 1, b: 1, c: 1 }), w('WK2', { a: 1, b: 1, c: 5 }), w('WK3', { a: 0, b: 9, c: 0 })], ['WK3', 'WK2', 'WK1']],
    ['nested attribute', 'worker.skills.finance DESC', [w('WK1', { skills: { finance: 2 } }), w('WK2', { skills: { finance: 7 } })], ['WK2', 'WK1']],
    ['full tie on order_by → longest idle first', 'worker.level DESC', [w('WK1', { level: 5 }, 500), w('WK2', { level: 5 }, 100), w('WK3', { level: 5 }, 300)], ['WK2', 'WK3', 'WK1']],
    ['full tie on order_by and idle → SID', 'worker.level DESC', [w('WK3', { level: 5 }), w('WK1', { level: 5 }), w('WK2', { level: 5 })], ['WK1', 'WK2', 'WK3']],
    // Non-integer values: the clause is ignored (everyone falls back to idle time).
    ['non-integer attribute (strings) ignored', 'worker.level DESC', [w('WK1', { level: 'high' }, 30), w('WK2', { level: 'low' }, 10), w('WK3', { level: 'mid' }, 20)], ['WK2', 'WK3', 'WK1']],
    ['numeric strings are not integers here', 'worker.level DESC', [w('WK1', { level: '9' }, 30), w('WK2', { level: '1' }, 10)], ['WK2', 'WK1']],
    ['floats ignored', 'worker.rating DESC', [w('WK1', { rating: 4.5 }, 30), w('WK2', { rating: 1.5 }, 10)], ['WK2', 'WK1']],
    ['booleans, arrays, objects ignored', 'worker.x DESC', [w('WK1', { x: true }, 30), w('WK2', { x: [5] }, 20), w('WK3', { x: { v: 1 } }, 10)], ['WK3', 'WK2', 'WK1']],
    ['ignored clause, next clause still applies', 'worker.name DESC, worker.level ASC', [w('WK1', { name: 'z', level: 3 }), w('WK2', { name: 'a', level: 1 })], ['WK2', 'WK1']],
    ['unreadable order_by ignored', 'level DESC', [w('WK1', { level: 9 }, 20), w('WK2', { level: 1 }, 10)], ['WK2', 'WK1']],
    ['empty list', 'worker.level DESC', [], []],
  ];
  for (const [label, orderBy, cands, expected] of rows) {
    test(label, () => {
      assert.deepEqual(sids(orderWorkers(cands, orderBy)), expected);
    });
  }

  test('does not reorder its input', () => {
    const input = [w('WK2', {}, 2), w('WK1', {}, 1)];
    orderWorkers(input, null);
    assert.deepEqual(sids(input), ['WK2', 'WK1']);
  });

  test('the order is the same whatever the input order', () => {
    const cands = [
      w('WK1', { level: 3 }, 5),
      w('WK2', {}, 1),
      w('WK3', { level: 3 }, 2),
      w('WK4', { level: 'x' }, 0),
      w('WK5', { level: 7 }, 9),
      w('WK6', { level: 3 }, 2),
    ];
    const expected = ['WK5', 'WK3', 'WK6', 'WK1', 'WK4', 'WK2'];
    for (let i = 0; i < cands.length; i++) {
      const rotated = [...cands.slice(i), ...cands.slice(0, i)];
      assert.deepEqual(sids(orderWorkers(rotated, 'worker.level DESC')), expected);
      assert.deepEqual(sids(orderWorkers(rotated.reverse(), 'worker.level DESC')), expected);
    }
  });
});

describe('chooseWorkers (multi-reservation)', () => {
  const pool = [
    worker('WK1', { attributes: { level: 1 }, idleSince: 10 }),
    worker('WK2', { attributes: { level: 9 }, idleSince: 50 }),
    worker('WK3', { attributes: { level: 5 }, idleSince: 20 }),
    worker('WK4', { attributes: { level: 7 }, idleSince: 40, available: false }),
    worker('WK5', { attributes: { level: 8 }, idleSince: 30, reservedForTask: true }),
    worker('WK6', { attributes: { level: 6 }, idleSince: 60, channel: { capacity: 1, available: true, held: 1, assigned: 1 } }),
    worker('WK7', { attributes: { level: 2 }, idleSince: 5 }),
  ];
  const byLevel = stepWith({ order_by: 'worker.level DESC' });
  const plain = stepWith();

  const rows: [label: string, s: Step, max: number, expected: string[]][] = [
    ['max 1: the best one', byLevel, 1, ['WK2']],
    ['max 2: the two best, best first', byLevel, 2, ['WK2', 'WK3']],
    ['max 3', byLevel, 3, ['WK2', 'WK3', 'WK7']],
    ['max larger than the eligible set: all eligible, ordered', byLevel, 50, ['WK2', 'WK3', 'WK7', 'WK1']],
    ['max 0 → nobody', byLevel, 0, []],
    ['negative max → nobody', byLevel, -1, []],
    ['no order_by: longest idle first', plain, 3, ['WK7', 'WK1', 'WK3']],
  ];
  for (const [label, s, max, expected] of rows) {
    test(label, () => {
      assert.deepEqual(sids(chooseWorkers(task(), s, pool, max, MULTI)), expected);
    });
  }

  test('ineligible workers never take a slot, however well they would sort', () => {
    // WK5 (level 8, already reserved), WK4 (level 7, unavailable) and WK6 (level 6, full) all outrank WK3.
    const chosen = chooseWorkers(task(), byLevel, pool, 2, MULTI);
    assert.ok(chosen.length <= 2);
    for (const c of chosen) assert.equal(whyIneligible(task(), byLevel, c, MULTI), null);
  });

  test('the target expression filters before ordering', () => {
    const s = stepWith({ order_by: 'worker.level DESC', expression: 'worker.level < 6' });
    assert.deepEqual(sids(chooseWorkers(task(), s, pool, 5, MULTI)), ['WK3', 'WK7', 'WK1']);
  });

  test('ignoreCapacity lets a full worker be chosen', () => {
    assert.deepEqual(sids(chooseWorkers(task({}, true), byLevel, pool, 2, MULTI)), ['WK2', 'WK6']);
  });

  test('single-tasking', () => {
    const busyElsewhere = worker('WK8', {
      attributes: { level: 10 },
      channels: { voice: { configured_capacity: 1, assigned_tasks: 1, available_capacity_percentage: 0 } },
    });
    assert.deepEqual(sids(chooseWorkers(task(), byLevel, [...pool, busyElsewhere], 2, SINGLE)), ['WK2', 'WK3']);
    assert.deepEqual(sids(chooseWorkers(task(), byLevel, [...pool, busyElsewhere], 2, MULTI)), ['WK8', 'WK2']);
  });

  test('no candidates → nobody', () => {
    assert.deepEqual(chooseWorkers(task(), byLevel, [], 5, MULTI), []);
  });
});

describe('skip_if context', () => {
  const members = [
    { available: true, activitySid: WA_AVAILABLE },
    { available: true, activitySid: WA_AVAILABLE },
    { available: true, activitySid: WA_AVAILABLE },
    { available: false, activitySid: WA_OFFLINE },
    { available: false, activitySid: WA_BREAK },
  ];

  test('counts available, unavailable and per activity SID', () => {
    const ctx = skipIfContext(members, NOW);
    assert.deepEqual(ctx.workers, { available: 3, unavailable: 2, [WA_AVAILABLE]: 3, [WA_OFFLINE]: 1, [WA_BREAK]: 1 });
    assert.deepEqual(ctx.taskrouter, { currentTime: 1000, currentHour: '10', currentMin: '00', dayOfWeek: 'Mon' });
  });

  test('an empty queue counts zero available and zero unavailable', () => {
    assert.deepEqual(skipIfContext([], NOW).workers, { available: 0, unavailable: 0 });
  });

  const rows: [label: string, ms: { available: boolean; activitySid: string }[], expression: string, skip: boolean][] = [
    ['workers.available == 0 with 3 available', members, 'workers.available == 0', false],
    ['workers.available == 0 with an empty queue', [], 'workers.available == 0', true],
    ['workers.available == 0 with only unavailable members', members.slice(3), 'workers.available == 0', true],
    ['workers.unavailable > 1', members, 'workers.unavailable > 1', true],
    ['workers.WAxx < 2 (1 on break)', members, `workers.${WA_BREAK} < 2`, true],
    ['workers.WAxx < 2 (3 available)', members, `workers.${WA_AVAILABLE} < 2`, false],
    ['workers.WAxx < 2 OR workers.WAyy < 2', members, `workers.${WA_AVAILABLE} < 2 OR workers.${WA_OFFLINE} < 2`, true],
    ['workers.WAxx < 2 AND workers.WAyy < 2', members, `workers.${WA_AVAILABLE} < 2 AND workers.${WA_OFFLINE} < 2`, false],
    ['1==1 always skips', members, '1==1', true],
    ['time of day in skip_if', members, "taskrouter.dayOfWeek == 'Mon'", true],
    // An activity of the workspace that no member is in counts 0 (it is not missing).
    ['workers.WAxx < 2 when nobody is in WAxx', members, `workers.${WA_NOBODY} < 2`, true],
    ['workers.WAxx == 0 when nobody is in WAxx', members, `workers.${WA_NOBODY} == 0`, true],
  ];
  for (const [label, ms, expression, skip] of rows) {
    test(label, () => {
      assert.equal(evaluate(parseExpression(expression), skipIfContext(ms, NOW, [WA_NOBODY, WA_BREAK, WA_AVAILABLE, WA_OFFLINE])), skip);
    });
  }
});

describe('queue order: which waiting task a worker gets first', () => {
  const t = (sid: string, queueOrder: 'FIFO' | 'LIFO', priority: number, virtualStartTime: number): WaitingTask => ({ sid, queueOrder, priority, virtualStartTime });
  const order = (prioritize: 'FIFO' | 'LIFO', tasks: WaitingTask[]) => [...tasks].sort(compareWaiting(prioritize)).map((x) => x.sid);

  const rows: [label: string, prioritize: 'FIFO' | 'LIFO', tasks: WaitingTask[], expected: string[]][] = [
    ['FIFO: oldest first at equal priority', 'FIFO', [t('WT2', 'FIFO', 0, 200), t('WT1', 'FIFO', 0, 100), t('WT3', 'FIFO', 0, 300)], ['WT1', 'WT2', 'WT3']],
    ['FIFO: higher priority first regardless of age', 'FIFO', [t('WTold', 'FIFO', 0, 100), t('WTnew', 'FIFO', 10, 900)], ['WTnew', 'WTold']],
    [
      'FIFO: priority desc, then oldest',
      'FIFO',
      [t('WT1', 'FIFO', 1, 100), t('WT2', 'FIFO', 5, 300), t('WT3', 'FIFO', 5, 200), t('WT4', 'FIFO', 0, 50)],
      ['WT3', 'WT2', 'WT1', 'WT4'],
    ],
    ['FIFO: full tie → SID', 'FIFO', [t('WTb', 'FIFO', 3, 100), t('WTa', 'FIFO', 3, 100)], ['WTa', 'WTb']],
    ['FIFO: large priorities', 'FIFO', [t('WT1', 'FIFO', 2147483646, 1), t('WT2', 'FIFO', 2147483647, 2)], ['WT2', 'WT1']],
    ['LIFO: newest first', 'LIFO', [t('WT1', 'LIFO', 0, 100), t('WT3', 'LIFO', 0, 300), t('WT2', 'LIFO', 0, 200)], ['WT3', 'WT2', 'WT1']],
    ['LIFO ignores priority', 'LIFO', [t('WTold', 'LIFO', 100, 100), t('WTnew', 'LIFO', 0, 900)], ['WTnew', 'WTold']],
    ['LIFO ignores priority (FIFO preferred by the workspace)', 'FIFO', [t('WTold', 'LIFO', 100, 100), t('WTnew', 'LIFO', 0, 900)], ['WTnew', 'WTold']],
    ['LIFO: same start time → SID', 'LIFO', [t('WTb', 'LIFO', 9, 100), t('WTa', 'LIFO', 0, 100)], ['WTa', 'WTb']],
    [
      'mixed, PrioritizeQueueOrder=FIFO: every FIFO task before any LIFO task',
      'FIFO',
      [t('L1', 'LIFO', 99, 100), t('F1', 'FIFO', 0, 500), t('L2', 'LIFO', 0, 900), t('F2', 'FIFO', 5, 600)],
      ['F2', 'F1', 'L2', 'L1'],
    ],
    [
      'mixed, PrioritizeQueueOrder=LIFO: every LIFO task before any FIFO task',
      'LIFO',
      [t('L1', 'LIFO', 99, 100), t('F1', 'FIFO', 0, 500), t('L2', 'LIFO', 0, 900), t('F2', 'FIFO', 5, 600)],
      ['L2', 'L1', 'F2', 'F1'],
    ],
    ['empty', 'FIFO', [], []],
  ];
  for (const [label, prioritize, tasks, expected] of rows) {
    test(label, () => {
      assert.deepEqual(order(prioritize, tasks), expected);
      assert.deepEqual(order(prioritize, [...tasks].reverse()), expected, 'independent of input order');
    });
  }

  test('the comparator is antisymmetric for distinct tasks', () => {
    const all = [t('A', 'FIFO', 1, 10), t('B', 'FIFO', 1, 20), t('C', 'FIFO', 2, 30), t('D', 'LIFO', 0, 10), t('E', 'LIFO', 5, 40), t('F', 'LIFO', 5, 40)];
    for (const prioritize of ['FIFO', 'LIFO'] as const) {
      const cmp = compareWaiting(prioritize);
      for (const a of all) {
        for (const b of all) {
          if (a === b) continue;
          assert.equal(Math.sign(cmp(a, b)), -Math.sign(cmp(b, a)), `${prioritize}: ${a.sid} vs ${b.sid}`);
          assert.notEqual(cmp(a, b), 0, `${prioritize}: ${a.sid} vs ${b.sid} must not tie`);
        }
      }
    }
  });
});
