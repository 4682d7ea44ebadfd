import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { advance, enter, isExit, resume, timeOfDay, type Placement, type Step } from '../../src/core/routing/workflow.ts';
import { parseWorkflowConfiguration, type WorkflowConfiguration } from '../../src/core/workflow/configuration.ts';

// Queue SIDs: 'WQ' + 32 hex digits, one digit repeated so they are easy to tell apart.
const Q1 = 'WQ' + '1'.repeat(32);
const Q2 = 'WQ' + '2'.repeat(32);
const Q3 = 'WQ' + '3'.repeat(32);
const Q4 = 'WQ' + '4'.repeat(32);
const QD = 'WQ' + 'd'.repeat(32);

// Fixed instants (UTC).
const MON_0000 = Date.UTC(2024, 0, 1, 0, 0); // Monday
const TUE_0759 = Date.UTC(2024, 0, 2, 7, 59); // Tuesday
const WED_1000 = Date.UTC(2024, 0, 3, 10, 0); // Wednesday
const THU_1230 = Date.UTC(2024, 1, 29, 12, 30); // Thursday (leap day)
const FRI_0805 = Date.UTC(2024, 2, 15, 8, 5); // Friday
const SAT_1830 = Date.UTC(2024, 7, 17, 18, 30); // Saturday
const SUN_2359 = Date.UTC(2024, 5, 30, 23, 59, 59, 999); // Sunday
const NOW = WED_1000;

const config = (doc: unknown): WorkflowConfiguration => parseWorkflowConfiguration(JSON.stringify(doc));

function asStep(p: Placement): Step {
  assert.ok(!isExit(p), `expected a step, got exit ${JSON.stringify(p)}`);
  return p;
}

function asExit(p: Placement): string {
  assert.ok(isExit(p), `expected an exit, got step filter=${(p as Step).filter} target=${(p as Step).target}`);
  return p.exit;
}

/** The parts of a Step a test usually cares about. */
function where(p: Placement) {
  if (isExit(p)) return { exit: p.exit };
  return { filter: p.filter, target: p.target, queue: p.spec.queue, entered: p.filterEnteredAge, deadline: p.deadlineAge };
}

// The task-evaluation example: one filter, Q1/Q2/Q3 with a 10 s timeout each.
const THREE_QUEUES = {
  task_routing: {
    filters: [
      {
        filter_friendly_name: 'Escalation',
        expression: '1 == 1',
        targets: [
          { queue: Q1, timeout: 10 },
          { queue: Q2, timeout: 10 },
          { queue: Q3, timeout: 10 },
        ],
      },
    ],
  },
};

describe('timeOfDay (UTC)', () => {
  const rows: [label: string, nowMs: number, currentTime: number, currentHour: string, currentMin: string, dayOfWeek: string][] = [
    ['Monday midnight', MON_0000, 0, '00', '00', 'Mon'],
    ['Tuesday 07:59', TUE_0759, 759, '07', '59', 'Tue'],
    ['Wednesday 10:00', WED_1000, 1000, '10', '00', 'Wed'],
    ['Thursday 12:30 (leap day)', THU_1230, 1230, '12', '30', 'Thu'],
    ['Friday 08:05', FRI_0805, 805, '08', '05', 'Fri'],
    ['Saturday 18:30', SAT_1830, 1830, '18', '30', 'Sat'],
    ['Sunday 23:59:59.999', SUN_2359, 2359, '23', '59', 'Sun'],
    ['09:00+02:00 is 07:00 UTC (Tuesday)', Date.parse('2024-07-02T09:00:00+02:00'), 700, '07', '00', 'Tue'],
    ['23:30-05:00 on Dec 31 is 04:30 UTC on Jan 1 (Wednesday)', Date.parse('2024-12-31T23:30:00-05:00'), 430, '04', '30', 'Wed'],
    ['epoch', 0, 0, '00', '00', 'Thu'],
  ];
  for (const [label, nowMs, currentTime, currentHour, currentMin, dayOfWeek] of rows) {
    test(label, () => {
      assert.deepEqual(timeOfDay(nowMs), { currentTime, currentHour, currentMin, dayOfWeek });
    });
  }

  test('currentTime is an integer HHMM, currentHour a two-digit string', () => {
    const t = timeOfDay(FRI_0805);
    assert.equal(typeof t.currentTime, 'number');
    assert.ok(Number.isInteger(t.currentTime));
    assert.equal(typeof t.currentHour, 'string');
    assert.equal(t.currentHour.length, 2);
  });
});

describe('enter: first matching filter wins', () => {
  const cfg = config({
    task_routing: {
      filters: [
        { filter_friendly_name: 'Gold tickets', expression: "customer_value == 'Gold' AND type == 'ticket'", targets: [{ queue: Q1 }] },
        { filter_friendly_name: 'Tickets', expression: "type == 'ticket' AND customer_value IN ['Silver', 'Bronze']", targets: [{ queue: Q2 }] },
        { filter_friendly_name: 'Any ticket', expression: "type == 'ticket'", targets: [{ queue: Q3 }] },
        { expression: 'language IN ["en", "es"]', targets: [{ queue: Q4 }] },
      ],
      default_filter: { queue: QD },
    },
  });

  const rows: [label: string, task: Record<string, unknown>, filter: number | null, name: string | null, queue: string][] = [
    ['gold ticket → first filter, although later ones match too', { customer_value: 'Gold', type: 'ticket' }, 0, 'Gold tickets', Q1],
    ['silver ticket → second filter', { customer_value: 'Silver', type: 'ticket' }, 1, 'Tickets', Q2],
    ['bronze ticket → second filter', { customer_value: 'Bronze', type: 'ticket' }, 1, 'Tickets', Q2],
    ['ticket without customer_value → third filter', { type: 'ticket' }, 2, 'Any ticket', Q3],
    ['chat in English → unnamed fourth filter', { type: 'chat', language: 'en' }, 3, null, Q4],
    ['chat in French → default_filter', { type: 'chat', language: 'fr' }, null, null, QD],
    ['empty attributes → default_filter', {}, null, null, QD],
    ['filters read attributes unprefixed: task.type does not resolve', { task: { type: 'ticket' } }, null, null, QD],
    ['string values are case-sensitive', { type: 'Ticket' }, null, null, QD],
  ];
  for (const [label, task, filter, name, queue] of rows) {
    test(label, () => {
      const step = asStep(enter(cfg, task, 0, NOW));
      assert.equal(step.filter, filter);
      assert.equal(step.filterName, name);
      assert.equal(step.target, 0);
      assert.equal(step.spec.queue, queue);
    });
  }

  test('no filter matches and no default_filter → exit no-match', () => {
    const cfgNoDefault = config({ task_routing: { filters: [{ expression: "type == 'ticket'", targets: [{ queue: Q1 }] }] } });
    assert.equal(asExit(enter(cfgNoDefault, { type: 'chat' }, 0, NOW)), 'no-match');
    assert.equal(asExit(enter(cfgNoDefault, {}, 42, NOW)), 'no-match');
  });

  test('a configuration with only default_filter puts every task there', () => {
    const onlyDefault = config({ task_routing: { default_filter: { queue: QD } } });
    assert.deepEqual(where(enter(onlyDefault, { anything: 1 }, 7, NOW)), { filter: null, target: 0, queue: QD, entered: 7, deadline: null });
  });

  test('default_filter has no deadline, even when the document gives it a timeout', () => {
    const cfgT = config({ task_routing: { filters: [], default_filter: { queue: QD, timeout: 10 } } });
    const step = asStep(enter(cfgT, {}, 3, NOW));
    assert.equal(step.deadlineAge, null);
    assert.equal(step.spec.timeout, null);
    assert.equal(step.filterName, null);
  });

  test('entering records the current age as filterEnteredAge', () => {
    const step = asStep(enter(cfg, { customer_value: 'Gold', type: 'ticket' }, 37, NOW));
    assert.equal(step.filterEnteredAge, 37);
  });

  test('filters re-evaluated against the attributes given (a re-evaluation sees updated attributes)', () => {
    assert.equal(asStep(enter(cfg, { type: 'chat' }, 0, NOW)).filter, null);
    assert.equal(asStep(enter(cfg, { type: 'chat', language: 'es' }, 5, NOW)).filter, 3);
  });
});

describe('enter: target deadlines are cumulative against task age', () => {
  const cfg = config(THREE_QUEUES);

  test('Q1 deadline at age 10 for a new task', () => {
    assert.deepEqual(where(enter(cfg, {}, 0, NOW)), { filter: 0, target: 0, queue: Q1, entered: 0, deadline: 10 });
  });

  test('a task entering at age 5 (re-evaluated) gets deadline 15', () => {
    assert.deepEqual(where(enter(cfg, {}, 5, NOW)), { filter: 0, target: 0, queue: Q1, entered: 5, deadline: 15 });
  });

  const mixed = config({
    task_routing: {
      filters: [
        {
          expression: '1==1',
          targets: [{ queue: Q1, timeout: 5 }, { queue: Q2, timeout: 15 }, { queue: Q3, timeout: 30 }, { queue: Q4 }],
        },
      ],
    },
  });
  const rows: [target: number, entered: number, deadline: number | null][] = [
    [0, 0, 5],
    [1, 0, 20],
    [2, 0, 50],
    [3, 0, null], // no timeout: waits until the TTL
    [0, 100, 105],
    [1, 100, 120],
    [2, 100, 150],
    [3, 100, null],
  ];
  for (const [target, entered, deadline] of rows) {
    test(`timeouts 5/15/30/none: target ${target} entered at ${entered} → deadline ${deadline}`, () => {
      const step = resume(mixed, 0, target, entered);
      assert.ok(step);
      assert.equal(step.deadlineAge, deadline);
    });
  }
});

describe('advance: Q1/Q2/Q3 timeouts of 10 s each (task-evaluation example)', () => {
  const cfg = config(THREE_QUEUES);

  test('deadlines at ages 10, 20, 30, then the task leaves with workflow.timeout', () => {
    const s0 = asStep(enter(cfg, {}, 0, NOW));
    assert.deepEqual(where(s0), { filter: 0, target: 0, queue: Q1, entered: 0, deadline: 10 });
    const s1 = asStep(advance(cfg, s0, {}, 10, NOW, 'timeout'));
    assert.deepEqual(where(s1), { filter: 0, target: 1, queue: Q2, entered: 0, deadline: 20 });
    const s2 = asStep(advance(cfg, s1, {}, 20, NOW, 'timeout'));
    assert.deepEqual(where(s2), { filter: 0, target: 2, queue: Q3, entered: 0, deadline: 30 });
    assert.equal(asExit(advance(cfg, s2, {}, 30, NOW, 'timeout')), 'workflow.timeout');
  });

  test('a late timer does not shift later deadlines: advancing at age 13 still gives 20', () => {
    const s0 = asStep(enter(cfg, {}, 0, NOW));
    const s1 = asStep(advance(cfg, s0, {}, 13, NOW, 'timeout'));
    assert.equal(s1.deadlineAge, 20);
    assert.equal(s1.filterEnteredAge, 0);
  });

  test('moving on early (the doc’s t=8 example) keeps the cumulative deadline: Q2 times out at age 20', () => {
    const s0 = asStep(enter(cfg, {}, 0, NOW));
    const s1 = asStep(advance(cfg, s0, {}, 8, NOW, 'timeout'));
    assert.equal(s1.spec.queue, Q2);
    assert.equal(s1.deadlineAge, 20);
  });

  test('a filter entered at age 5 has deadlines 15, 25, 35', () => {
    const s0 = asStep(enter(cfg, {}, 5, NOW));
    const s1 = asStep(advance(cfg, s0, {}, 15, NOW, 'timeout'));
    const s2 = asStep(advance(cfg, s1, {}, 25, NOW, 'timeout'));
    assert.deepEqual([s0.deadlineAge, s1.deadlineAge, s2.deadlineAge], [15, 25, 35]);
    assert.equal(asExit(advance(cfg, s2, {}, 35, NOW, 'timeout')), 'workflow.timeout');
  });

  test('the last target of the only filter: a default_filter does not catch a timed-out task', () => {
    const withDefault = config({ task_routing: { ...THREE_QUEUES.task_routing, default_filter: { queue: QD } } });
    const s2 = resume(withDefault, 0, 2, 0)!;
    assert.equal(asExit(advance(withDefault, s2, {}, 30, NOW, 'timeout')), 'workflow.timeout');
  });
});

describe('advance: from one filter to the next matching filter', () => {
  const cfg = config({
    task_routing: {
      filters: [
        { filter_friendly_name: 'Sales', expression: "type == 'sales'", targets: [{ queue: Q1, timeout: 10 }, { queue: Q2, timeout: 10 }] },
        { filter_friendly_name: 'Support only', expression: "type == 'support'", targets: [{ queue: Q3, timeout: 60 }] },
        { filter_friendly_name: 'Overflow', expression: "overflow == true", targets: [{ queue: Q4, timeout: 5 }, { timeout: 5 }] },
        { filter_friendly_name: 'Everyone', expression: '1 == 1', targets: [{ queue: Q3 }] },
      ],
      default_filter: { queue: QD },
    },
  });
  const sales = { type: 'sales', overflow: true };

  test('timeout from the last target of the first filter enters the next matching filter, filterEnteredAge = current age', () => {
    const last = resume(cfg, 0, 1, 0)!;
    const next = asStep(advance(cfg, last, sales, 21, NOW, 'timeout'));
    assert.deepEqual(where(next), { filter: 2, target: 0, queue: Q4, entered: 21, deadline: 26 });
    assert.equal(next.filterName, 'Overflow');
  });

  test('the deadlines in the new filter count from its own entry age', () => {
    const s = asStep(advance(cfg, resume(cfg, 2, 0, 21)!, sales, 26, NOW, 'timeout'));
    assert.deepEqual(where(s), { filter: 2, target: 1, queue: Q4, entered: 21, deadline: 31 });
  });

  test('non-matching filters in between are passed over', () => {
    const last = resume(cfg, 0, 1, 0)!;
    assert.equal(asStep(advance(cfg, last, { type: 'sales' }, 20, NOW, 'timeout')).filter, 3);
  });

  test('filters above the current one are never revisited, even if they match', () => {
    // The task matches filter 0 ("sales") too, but it is now in filter 2.
    const s = resume(cfg, 2, 1, 21)!;
    const next = asStep(advance(cfg, s, sales, 31, NOW, 'timeout'));
    assert.equal(next.filter, 3);
  });

  test('a filter with no timeout on its target is terminal: its deadline is null', () => {
    const s = resume(cfg, 3, 0, 40)!;
    assert.equal(s.deadlineAge, null);
  });

  test('timing out of the last matching filter exits with workflow.timeout, never default_filter', () => {
    const cfg2 = config({
      task_routing: {
        filters: [
          { expression: "type == 'sales'", targets: [{ queue: Q1, timeout: 10 }] },
          { expression: "type == 'support'", targets: [{ queue: Q2, timeout: 10 }] },
        ],
        default_filter: { queue: QD },
      },
    });
    assert.equal(asExit(advance(cfg2, resume(cfg2, 0, 0, 0)!, { type: 'sales' }, 10, NOW, 'timeout')), 'workflow.timeout');
    assert.equal(asExit(advance(cfg2, resume(cfg2, 1, 0, 0)!, { type: 'support' }, 10, NOW, 'timeout')), 'workflow.timeout');
  });

  test('the next filter is chosen on the task’s current attributes', () => {
    const last = resume(cfg, 0, 1, 0)!;
    assert.equal(asStep(advance(cfg, last, { type: 'support' }, 20, NOW, 'timeout')).filter, 1);
    assert.equal(asStep(advance(cfg, last, { type: 'sales', overflow: true }, 20, NOW, 'timeout')).filter, 2);
  });

  test('time-of-day variables are evaluated at the advance instant', () => {
    const tod = config({
      task_routing: {
        filters: [
          { expression: '1 == 1', targets: [{ queue: Q1, timeout: 10 }] },
          { expression: "taskrouter.dayOfWeek == 'Sat'", targets: [{ queue: Q2 }] },
        ],
      },
    });
    const s = resume(tod, 0, 0, 0)!;
    assert.equal(asStep(advance(tod, s, {}, 10, SAT_1830, 'timeout')).filter, 1);
    assert.equal(asExit(advance(tod, s, {}, 10, FRI_0805, 'timeout')), 'workflow.timeout');
  });
});

describe('advance: skip_if', () => {
  const cfg = config({
    task_routing: {
      filters: [
        {
          expression: "type == 'sales'",
          targets: [
            { queue: Q1, timeout: 10, skip_if: 'workers.available == 0' },
            { queue: Q2, timeout: 10, skip_if: 'workers.available == 0' },
          ],
        },
        { expression: "type == 'sales' AND vip == true", targets: [{ queue: Q3, timeout: 30 }] },
      ],
      default_filter: { queue: QD },
    },
  });

  test('skipping a target that is not the last moves to the next target of the same filter', () => {
    const s0 = asStep(enter(cfg, { type: 'sales' }, 0, NOW));
    const s1 = asStep(advance(cfg, s0, { type: 'sales' }, 0, NOW, 'skip'));
    assert.deepEqual(where(s1), { filter: 0, target: 1, queue: Q2, entered: 0, deadline: 20 });
  });

  test('skipping the last target prefers a later matching filter over default_filter', () => {
    const s1 = resume(cfg, 0, 1, 0)!;
    const next = asStep(advance(cfg, s1, { type: 'sales', vip: true }, 2, NOW, 'skip'));
    assert.deepEqual(where(next), { filter: 1, target: 0, queue: Q3, entered: 2, deadline: 32 });
  });

  test('a task that skipped out of every filter may fall into default_filter (entered at the current age)', () => {
    const s1 = resume(cfg, 0, 1, 0)!;
    const next = asStep(advance(cfg, s1, { type: 'sales' }, 3, NOW, 'skip'));
    assert.deepEqual(where(next), { filter: null, target: 0, queue: QD, entered: 3, deadline: null });
  });

  test('…whereas timing out of the same target does not', () => {
    const s1 = resume(cfg, 0, 1, 0)!;
    assert.equal(asExit(advance(cfg, s1, { type: 'sales' }, 20, NOW, 'timeout')), 'workflow.timeout');
  });

  test('skipping out of the last step with no default_filter → workflow.skipped', () => {
    const noDefault = config({
      task_routing: { filters: [{ expression: '1==1', targets: [{ queue: Q1, skip_if: 'workers.available == 0' }] }] },
    });
    const s = asStep(enter(noDefault, {}, 0, NOW));
    assert.equal(asExit(advance(noDefault, s, {}, 0, NOW, 'skip')), 'workflow.skipped');
  });

  test('advancing out of default_filter exits (timeout → workflow.timeout, skip → workflow.skipped)', () => {
    const d = asStep(enter(cfg, { type: 'none' }, 0, NOW));
    assert.equal(d.filter, null);
    assert.equal(asExit(advance(cfg, d, {}, 100, NOW, 'timeout')), 'workflow.timeout');
    assert.equal(asExit(advance(cfg, d, {}, 100, NOW, 'skip')), 'workflow.skipped');
  });

  test('skip_if is carried on the step spec for the engine to evaluate', () => {
    const s0 = asStep(enter(cfg, { type: 'sales' }, 0, NOW));
    assert.equal(s0.spec.skipIf?.source, 'workers.available == 0');
    assert.equal(asStep(enter(cfg, {}, 0, NOW)).spec.skipIf, null);
  });

  test('a timed target reached by skipping past a target without timeout still has a deadline', () => {
    const cfg2 = config({
      task_routing: {
        filters: [
          {
            expression: '1==1',
            targets: [
              { queue: Q1, skip_if: 'workers.available == 0' }, // no timeout: waits, unless skipped
              { queue: Q2, timeout: 10 },
              { queue: Q3, timeout: 10 },
            ],
          },
        ],
      },
    });
    const s0 = asStep(enter(cfg2, {}, 0, NOW));
    assert.equal(s0.deadlineAge, null);
    const s1 = asStep(advance(cfg2, s0, {}, 0, NOW, 'skip'));
    assert.equal(s1.spec.timeout, 10);
    // A target without a timeout adds nothing to the running total; Q2's own timeout still applies.
    assert.equal(s1.deadlineAge, 10, 'Q2 defines timeout 10, so it must time out');
  });
});

describe('target specs: priority override and inherited queue', () => {
  const cfg = config({
    task_routing: {
      filters: [
        {
          expression: '1==1',
          targets: [
            { queue: Q1, priority: '10', timeout: '10' },
            { timeout: 10 }, // inherits Q1, keeps the task's priority
            { queue: Q2, priority: 0, timeout: 10, expression: 'worker.level > 3', order_by: 'worker.level DESC' },
            { priority: 99, timeout: 10 }, // inherits Q2
            { known_worker_sid: 'task.last_agent' }, // inherits Q2
          ],
        },
      ],
    },
  });
  const rows: [target: number, queue: string, priority: number | null, timeout: number | null, expression: string | null, orderBy: string | null][] = [
    [0, Q1, 10, 10, null, null],
    [1, Q1, null, 10, null, null],
    [2, Q2, 0, 10, 'worker.level > 3', 'worker.level DESC'],
    [3, Q2, 99, 10, null, null], // expression and order_by are not inherited
    [4, Q2, null, null, null, null],
  ];
  for (const [target, queue, priority, timeout, expression, orderBy] of rows) {
    test(`target ${target}: queue ${queue.slice(0, 3)}…, priority ${priority}, timeout ${timeout}`, () => {
      const s = resume(cfg, 0, target, 0)!;
      assert.equal(s.spec.queue, queue);
      assert.equal(s.spec.priority, priority);
      assert.equal(s.spec.timeout, timeout);
      assert.equal(s.spec.expression?.source ?? null, expression);
      assert.equal(s.spec.orderBy, orderBy);
    });
  }

  test('walking the filter by timeouts visits each spec in order with cumulative deadlines', () => {
    let p: Placement = enter(cfg, {}, 0, NOW);
    const seen: [string, number | null, number | null][] = [];
    for (let age = 0; !isExit(p) && seen.length < 10; age += 10) {
      seen.push([p.spec.queue, p.spec.priority, p.deadlineAge]);
      if (p.deadlineAge === null) break;
      p = advance(cfg, p, {}, p.deadlineAge, NOW, 'timeout');
    }
    assert.deepEqual(seen, [
      [Q1, 10, 10],
      [Q1, null, 20],
      [Q2, 0, 30],
      [Q2, 99, 40],
      [Q2, null, null],
    ]);
  });

  test('known_worker_sid on a target is carried on the step spec', () => {
    assert.equal(resume(cfg, 0, 4, 0)!.spec.knownWorkerSid, 'task.last_agent');
  });
});

describe('filters and time-of-day routing', () => {
  const cfg = config({
    task_routing: {
      filters: [
        { filter_friendly_name: 'Business hours', expression: 'taskrouter.currentTime > 0800 AND taskrouter.currentTime < 1830', targets: [{ queue: Q1 }] },
        {
          filter_friendly_name: 'Weekend',
          expression: "(taskrouter.dayOfWeek IN ['Sat', 'Sun']) OR (taskrouter.dayOfWeek = 'Fri' AND taskrouter.currentHour >= 18)",
          targets: [{ queue: Q2 }],
        },
        { filter_friendly_name: 'Doc THU', expression: "taskrouter.dayOfWeek IN ['Mon','Tue','THU']", targets: [{ queue: Q3 }] },
      ],
      default_filter: { queue: QD },
    },
  });
  const rows: [label: string, nowMs: number, name: string | null][] = [
    ['Wednesday 10:00 → business hours', WED_1000, 'Business hours'],
    ['Friday 08:05 → business hours (805 > 800)', FRI_0805, 'Business hours'],
    ['Thursday 12:30 → business hours', THU_1230, 'Business hours'],
    ['Saturday 18:30 → not business hours (1830 is not < 1830), weekend', SAT_1830, 'Weekend'],
    ['Sunday 23:59 → weekend', SUN_2359, 'Weekend'],
    ['Friday 19:00 → weekend via currentHour "19" >= 18', Date.UTC(2024, 2, 15, 19, 0), 'Weekend'],
    ['Tuesday 07:59 → third filter', TUE_0759, 'Doc THU'],
    ['Monday 00:00 → third filter', MON_0000, 'Doc THU'],
    ['Thursday 07:00 → the doc’s mixed-case THU does not match Thu: default_filter', Date.UTC(2024, 1, 29, 7, 0), null],
    ['Wednesday 20:00 → default_filter', Date.UTC(2024, 0, 3, 20, 0), null],
  ];
  for (const [label, nowMs, name] of rows) {
    test(label, () => {
      assert.equal(asStep(enter(cfg, {}, 0, nowMs)).filterName, name);
    });
  }

  test('taskrouter.* takes precedence over a task attribute called taskrouter', () => {
    const s = asStep(enter(cfg, { taskrouter: { currentTime: 1000, dayOfWeek: 'Sat' } }, 0, Date.UTC(2024, 0, 3, 20, 0)));
    assert.equal(s.filter, null);
  });
});

describe('resume', () => {
  const cfg = config({ task_routing: { ...THREE_QUEUES.task_routing, default_filter: { queue: QD } } });
  const noDefault = config(THREE_QUEUES);

  const rows: [label: string, c: WorkflowConfiguration, filter: number | null, target: number, entered: number, expected: ReturnType<typeof where> | null][] = [
    ['first target', cfg, 0, 0, 0, { filter: 0, target: 0, queue: Q1, entered: 0, deadline: 10 }],
    ['second target', cfg, 0, 1, 0, { filter: 0, target: 1, queue: Q2, entered: 0, deadline: 20 }],
    ['third target, filter entered at 12', cfg, 0, 2, 12, { filter: 0, target: 2, queue: Q3, entered: 12, deadline: 42 }],
    ['default_filter', cfg, null, 0, 9, { filter: null, target: 0, queue: QD, entered: 9, deadline: null }],
    ['default_filter, whatever target was stored', cfg, null, 3, 9, { filter: null, target: 0, queue: QD, entered: 9, deadline: null }],
    ['default_filter gone from the configuration', noDefault, null, 0, 9, null],
    ['filter index past the end', cfg, 1, 0, 0, null],
    ['negative filter index', cfg, -1, 0, 0, null],
    ['target index past the end', cfg, 0, 3, 0, null],
    ['negative target index', cfg, 0, -1, 0, null],
  ];
  for (const [label, c, filter, target, entered, expected] of rows) {
    test(label, () => {
      const s = resume(c, filter, target, entered);
      assert.deepEqual(s === null ? null : where(s), expected);
    });
  }

  test('a resumed step advances exactly like the original', () => {
    const original = asStep(advance(cfg, asStep(enter(cfg, {}, 4, NOW)), {}, 14, NOW, 'timeout'));
    const resumed = resume(cfg, original.filter, original.target, original.filterEnteredAge)!;
    assert.deepEqual(where(resumed), where(original));
    assert.deepEqual(where(advance(cfg, resumed, {}, 24, NOW, 'timeout')), where(advance(cfg, original, {}, 24, NOW, 'timeout')));
  });
});

describe('isExit', () => {
  test('tells exits from steps', () => {
    const cfg = config(THREE_QUEUES);
    assert.equal(isExit({ exit: 'no-match' }), true);
    assert.equal(isExit({ exit: 'workflow.timeout' }), true);
    assert.equal(isExit({ exit: 'workflow.skipped' }), true);
    assert.equal(isExit(enter(cfg, {}, 0, NOW)), false);
  });
});
