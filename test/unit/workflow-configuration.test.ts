import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { TwilioError } from '../../src/core/errors.ts';
import {
  MAX_CONFIGURATION_BYTES,
  parseWorkflowConfiguration,
  queuesOf,
  type WorkflowConfiguration,
  type WorkflowTarget,
} from '../../src/core/workflow/configuration.ts';

const Q1 = 'WQ' + '1'.repeat(32);
const Q2 = 'WQ' + '2'.repeat(32);
const Q3 = 'WQ' + 'a'.repeat(32);
const QU = 'WQ' + 'ABCDEF0123456789'.repeat(2); // upper-case hex is a valid SID too
const QD = 'WQ' + 'd'.repeat(32);

const parse = (doc: unknown) => parseWorkflowConfiguration(typeof doc === 'string' ? doc : JSON.stringify(doc));

/** A target with every optional field absent. */
function target(queue: string, over: Partial<WorkflowTarget> = {}): WorkflowTarget {
  return {
    queue,
    priority: null,
    timeout: null,
    expression: null,
    orderBy: null,
    skipIf: null,
    knownWorkerSid: null,
    knownWorkerFriendlyName: null,
    ...over,
  };
}

/** Expressions compared by their source text (the parsed form carries a compiled closure). */
function plain(config: WorkflowConfiguration) {
  const t = (x: WorkflowTarget) => ({ ...x, expression: x.expression?.source ?? null, skipIf: x.skipIf?.source ?? null });
  return {
    filters: config.filters.map((f) => ({ name: f.name, expression: f.expression.source, targets: f.targets.map(t) })),
    defaultFilter: config.defaultFilter ? t(config.defaultFilter) : null,
  };
}
const plainTarget = (queue: string, over: Partial<Record<keyof WorkflowTarget, unknown>> = {}) => ({ ...target(queue), ...over });

function assertInvalid(doc: unknown, message: string | RegExp) {
  assert.throws(
    () => parse(doc),
    (err: unknown) => {
      assert.ok(err instanceof TwilioError, `expected a TwilioError, got ${String(err)}`);
      assert.equal(err.code, 20001);
      assert.equal(err.status, 400);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

describe('parseWorkflowConfiguration: valid documents', () => {
  test('only a default_filter (filters absent)', () => {
    assert.deepEqual(plain(parse({ task_routing: { default_filter: { queue: Q1 } } })), { filters: [], defaultFilter: plainTarget(Q1) });
  });

  test('only a default_filter (filters empty)', () => {
    assert.deepEqual(plain(parse({ task_routing: { filters: [], default_filter: { queue: Q1 } } })), { filters: [], defaultFilter: plainTarget(Q1) });
  });

  test('filters without default_filter (absent or null)', () => {
    const doc = { task_routing: { filters: [{ expression: '1==1', targets: [{ queue: Q1 }] }] } };
    const expected = { filters: [{ name: null, expression: '1==1', targets: [plainTarget(Q1)] }], defaultFilter: null };
    assert.deepEqual(plain(parse(doc)), expected);
    assert.deepEqual(plain(parse({ task_routing: { ...doc.task_routing, default_filter: null } })), expected);
  });

  test('a full document: every target field, names, inheritance', () => {
    const config = parse({
      task_routing: {
        filters: [
          {
            filter_friendly_name: 'Gold',
            expression: "customer_value == 'Gold' AND type == 'ticket'",
            targets: [
              {
                queue: Q1,
                priority: 10,
                timeout: 30,
                expression: 'task.language IN worker.languages',
                order_by: 'worker.level DESC',
                skip_if: 'workers.available == 0',
                known_worker_sid: 'task.last_agent',
              },
              { timeout: 60, known_worker_friendly_name: 'task.last_agent_name' },
              { queue: Q2 },
              {},
            ],
          },
          { friendly_name: 'Legacy name key', expression: '1 == 1', targets: [{ queue: QU }] },
        ],
        default_filter: { queue: QD },
      },
    });
    assert.deepEqual(plain(config), {
      filters: [
        {
          name: 'Gold',
          expression: "customer_value == 'Gold' AND type == 'ticket'",
          targets: [
            plainTarget(Q1, {
              priority: 10,
              timeout: 30,
              expression: 'task.language IN worker.languages',
              orderBy: 'worker.level DESC',
              skipIf: 'workers.available == 0',
              knownWorkerSid: 'task.last_agent',
            }),
            plainTarget(Q1, { timeout: 60, knownWorkerFriendlyName: 'task.last_agent_name' }),
            plainTarget(Q2),
            plainTarget(Q2),
          ],
        },
        { name: 'Legacy name key', expression: '1 == 1', targets: [plainTarget(QU)] },
      ],
      defaultFilter: plainTarget(QD),
    });
  });

  // Twilio's own examples write numbers as strings.
  const numbers: [label: string, raw: Record<string, unknown>, priority: number | null, timeout: number | null][] = [
    ['numbers', { priority: 10, timeout: 10 }, 10, 10],
    ['numeric strings', { priority: '10', timeout: '10' }, 10, 10],
    ['strings with surrounding spaces', { priority: ' 7 ', timeout: ' 20 ' }, 7, 20],
    ['leading zeros are decimal', { priority: '010', timeout: '0030' }, 10, 30],
    ['priority 0', { priority: 0 }, 0, null],
    ['priority "0"', { priority: '0' }, 0, null],
    ['the largest task priority', { priority: 2147483647 }, 2147483647, null],
    ['timeout 1', { timeout: 1 }, null, 1],
    ['a float with an integer value', { priority: 5.0, timeout: 15.0 }, 5, 15],
    ['null means absent', { priority: null, timeout: null }, null, null],
    ['absent', {}, null, null],
  ];
  for (const [label, raw, priority, timeout] of numbers) {
    test(`priority/timeout as ${label}`, () => {
      const t = parse({ task_routing: { filters: [{ expression: '1==1', targets: [{ queue: Q1, ...raw }] }] } }).filters[0].targets[0];
      assert.equal(t.priority, priority);
      assert.equal(t.timeout, timeout);
    });
  }

  test('empty or blank target expression and skip_if mean "none"', () => {
    const t = parse({ task_routing: { filters: [{ expression: '1==1', targets: [{ queue: Q1, expression: '', skip_if: '   ' }] }] } }).filters[0].targets[0];
    assert.equal(t.expression, null);
    assert.equal(t.skipIf, null);
  });

  test('default_filter keeps only its queue', () => {
    const config = parse({ task_routing: { default_filter: { queue: Q1, timeout: 10, priority: 5, expression: '1==1' } } });
    assert.deepEqual(plain(config).defaultFilter, plainTarget(Q1));
  });

  test('unknown keys are ignored', () => {
    const config = parse({ task_routing: { filters: [{ expression: '1==1', targets: [{ queue: Q1, foo: 1 }], bar: 2 }], baz: 3 }, other: true });
    assert.equal(config.filters[0].targets[0].queue, Q1);
  });

  test('expressions are parsed once and usable', () => {
    const f = parse({ task_routing: { filters: [{ expression: 'a == 1 AND b HAS "x"', targets: [{ queue: Q1 }] }] } }).filters[0];
    assert.equal(f.expression.source, 'a == 1 AND b HAS "x"');
    assert.equal(f.expression.ast.kind, 'and');
  });

  test('whitespace and formatting around the JSON do not matter', () => {
    const text = `\n  ${JSON.stringify({ task_routing: { default_filter: { queue: Q1 } } }, null, 4)}  \n`;
    assert.equal(parse(text).defaultFilter?.queue, Q1);
  });
});

describe('parseWorkflowConfiguration: invalid documents name the path', () => {
  const f0 = (over: Record<string, unknown>) => ({ task_routing: { filters: [{ expression: '1==1', targets: [{ queue: Q1 }], ...over }] } });
  const t = (targets: unknown[]) => ({ task_routing: { filters: [{ expression: '1==1', targets }] } });
  const P = 'Invalid Configuration: ';

  const rows: [label: string, doc: unknown, message: string | RegExp][] = [
    ['not JSON', '{task_routing:', /^Invalid Configuration: not valid JSON \(/],
    ['empty text', '', /^Invalid Configuration: not valid JSON/],
    ['a JSON array', [], P + 'task_routing must be an object'],
    ['a JSON string', '"x"', P + 'task_routing must be an object'],
    ['JSON null', 'null', P + 'task_routing must be an object'],
    ['task_routing missing', {}, P + 'task_routing must be an object'],
    ['task_routing an array', { task_routing: [] }, P + 'task_routing must be an object'],
    ['task_routing a string', { task_routing: 'x' }, P + 'task_routing must be an object'],
    ['neither filters nor default_filter', { task_routing: {} }, P + 'task_routing needs at least one filter or a default_filter'],
    ['empty filters, no default_filter', { task_routing: { filters: [] } }, P + 'task_routing needs at least one filter or a default_filter'],
    ['filters an object', { task_routing: { filters: {} } }, P + 'task_routing.filters must be an array'],
    ['filters a string', { task_routing: { filters: 'x', default_filter: { queue: Q1 } } }, P + 'task_routing.filters must be an array'],
    ['filter not an object', { task_routing: { filters: ['x'] } }, P + 'task_routing.filters[0] must be an object'],
    ['second filter null', { task_routing: { filters: [{ expression: '1==1', targets: [{ queue: Q1 }] }, null] } }, P + 'task_routing.filters[1] must be an object'],
    ['filter expression missing', { task_routing: { filters: [{ targets: [{ queue: Q1 }] }] } }, P + 'task_routing.filters[0].expression is required'],
    ['filter expression null', f0({ expression: null }), P + 'task_routing.filters[0].expression is required'],
    ['filter expression empty', f0({ expression: '' }), P + 'task_routing.filters[0].expression must not be empty'],
    ['filter expression blank', f0({ expression: '  ' }), P + 'task_routing.filters[0].expression must not be empty'],
    ['filter expression a number', f0({ expression: 1 }), P + 'task_routing.filters[0].expression must be a string'],
    ['filter expression a syntax error', f0({ expression: 'a ==' }), /^Invalid Configuration: task_routing\.filters\[0\]\.expression is not a valid expression: /],
    ['filter expression with a hyphenated key', f0({ expression: 'skill-level > 3' }), /^Invalid Configuration: task_routing\.filters\[0\]\.expression is not a valid expression/],
    ['filter expression with unary NOT', f0({ expression: 'NOT a == 1' }), /^Invalid Configuration: task_routing\.filters\[0\]\.expression is not a valid expression/],
    ['targets missing', { task_routing: { filters: [{ expression: '1==1' }] } }, P + 'task_routing.filters[0].targets must be a non-empty array'],
    ['targets empty', f0({ targets: [] }), P + 'task_routing.filters[0].targets must be a non-empty array'],
    ['targets an object', f0({ targets: { queue: Q1 } }), P + 'task_routing.filters[0].targets must be a non-empty array'],
    ['filter name a number', f0({ filter_friendly_name: 5 }), P + 'task_routing.filters[0].filter_friendly_name must be a string'],
    ['target not an object', t(['x']), P + 'task_routing.filters[0].targets[0] must be an object'],
    ['target an array', t([[Q1]]), P + 'task_routing.filters[0].targets[0] must be an object'],
    ['first target without queue', t([{ timeout: 10 }]), P + 'task_routing.filters[0].targets[0].queue must be a TaskQueue SID (WQ...)'],
    ['queue not a SID', t([{ queue: 'Sales' }]), P + 'task_routing.filters[0].targets[0].queue must be a TaskQueue SID (WQ...)'],
    ['queue SID too short', t([{ queue: 'WQ123' }]), P + 'task_routing.filters[0].targets[0].queue must be a TaskQueue SID (WQ...)'],
    ['queue SID with a non-hex digit', t([{ queue: 'WQ' + 'g'.repeat(32) }]), P + 'task_routing.filters[0].targets[0].queue must be a TaskQueue SID (WQ...)'],
    ['queue of another kind of SID', t([{ queue: 'WW' + '1'.repeat(32) }]), P + 'task_routing.filters[0].targets[0].queue must be a TaskQueue SID (WQ...)'],
    ['queue empty string does not inherit', t([{ queue: Q1 }, { queue: '' }]), P + 'task_routing.filters[0].targets[1].queue must be a TaskQueue SID (WQ...)'],
    ['queue a number', t([{ queue: 5 }]), P + 'task_routing.filters[0].targets[0].queue must be a TaskQueue SID (WQ...)'],
    ['timeout 0', t([{ queue: Q1, timeout: 10 }, { timeout: 0 }]), P + 'task_routing.filters[0].targets[1].timeout must be a positive number of seconds'],
    ['timeout negative', t([{ queue: Q1 }, { timeout: -5 }]), P + 'task_routing.filters[0].targets[1].timeout must be a positive number of seconds'],
    ['timeout "0"', t([{ queue: Q1 }, { timeout: '0' }]), P + 'task_routing.filters[0].targets[1].timeout must be a positive number of seconds'],
    ['timeout a fraction', t([{ queue: Q1 }, { timeout: 1.5 }]), P + 'task_routing.filters[0].targets[1].timeout must be an integer'],
    ['timeout "1.5"', t([{ queue: Q1 }, { timeout: '1.5' }]), P + 'task_routing.filters[0].targets[1].timeout must be an integer'],
    ['timeout words', t([{ queue: Q1 }, { timeout: 'ten' }]), P + 'task_routing.filters[0].targets[1].timeout must be an integer'],
    ['timeout empty string', t([{ queue: Q1 }, { timeout: '' }]), P + 'task_routing.filters[0].targets[1].timeout must be an integer'],
    ['timeout "+10"', t([{ queue: Q1 }, { timeout: '+10' }]), P + 'task_routing.filters[0].targets[1].timeout must be an integer'],
    ['timeout "1e3"', t([{ queue: Q1 }, { timeout: '1e3' }]), P + 'task_routing.filters[0].targets[1].timeout must be an integer'],
    ['timeout boolean', t([{ queue: Q1 }, { timeout: true }]), P + 'task_routing.filters[0].targets[1].timeout must be an integer'],
    ['timeout array', t([{ queue: Q1 }, { timeout: [10] }]), P + 'task_routing.filters[0].targets[1].timeout must be an integer'],
    ['priority words', t([{ queue: Q1, priority: 'high' }]), P + 'task_routing.filters[0].targets[0].priority must be an integer'],
    ['priority fraction', t([{ queue: Q1, priority: 2.5 }]), P + 'task_routing.filters[0].targets[0].priority must be an integer'],
    ['target expression a number', t([{ queue: Q1, expression: 5 }]), P + 'task_routing.filters[0].targets[0].expression must be a string'],
    ['target expression a syntax error', t([{ queue: Q1 }, { expression: 'worker.level >' }]), /^Invalid Configuration: task_routing\.filters\[0\]\.targets\[1\]\.expression is not a valid expression: /],
    ['skip_if a syntax error', t([{ queue: Q1, skip_if: 'workers.available ==' }]), /^Invalid Configuration: task_routing\.filters\[0\]\.targets\[0\]\.skip_if is not a valid expression: /],
    ['skip_if an object', t([{ queue: Q1, skip_if: {} }]), P + 'task_routing.filters[0].targets[0].skip_if must be a string'],
    ['order_by a number', t([{ queue: Q1, order_by: 1 }]), P + 'task_routing.filters[0].targets[0].order_by must be a string'],
    ['known_worker_sid a number', t([{ queue: Q1, known_worker_sid: 1 }]), P + 'task_routing.filters[0].targets[0].known_worker_sid must be a string'],
    ['known_worker_friendly_name an array', t([{ queue: Q1, known_worker_friendly_name: [] }]), P + 'task_routing.filters[0].targets[0].known_worker_friendly_name must be a string'],
    [
      'error in the third target of the second filter',
      { task_routing: { filters: [{ expression: '1==1', targets: [{ queue: Q1 }] }, { expression: '1==1', targets: [{ queue: Q1 }, {}, { timeout: 'x' }] }] } },
      P + 'task_routing.filters[1].targets[2].timeout must be an integer',
    ],
    ['default_filter a string', { task_routing: { default_filter: Q1 } }, P + 'task_routing.default_filter.queue must be a TaskQueue SID'],
    ['default_filter an array', { task_routing: { default_filter: [Q1] } }, P + 'task_routing.default_filter.queue must be a TaskQueue SID'],
    ['default_filter without queue', { task_routing: { default_filter: {} } }, P + 'task_routing.default_filter.queue must be a TaskQueue SID'],
    ['default_filter queue a number', { task_routing: { default_filter: { queue: 1 } } }, P + 'task_routing.default_filter.queue must be a TaskQueue SID'],
    ['default_filter queue not a SID', { task_routing: { default_filter: { queue: 'Everyone' } } }, P + 'task_routing.default_filter.queue must be a TaskQueue SID (WQ...)'],
    [
      'filters are checked before default_filter',
      { task_routing: { filters: [{ expression: '', targets: [{ queue: Q1 }] }], default_filter: {} } },
      P + 'task_routing.filters[0].expression must not be empty',
    ],
    ['the legacy YAML-like form is not accepted', 'task-routing:\n  - filter: 1 == 1', /^Invalid Configuration: not valid JSON/],
  ];
  for (const [label, doc, message] of rows) {
    test(label, () => assertInvalid(doc, message));
  }
});

describe('parseWorkflowConfiguration: size limit', () => {
  /** A valid document padded with spaces to exactly `bytes` UTF-8 bytes. */
  function padded(bytes: number, filler = ' '): string {
    const base = JSON.stringify({ task_routing: { default_filter: { queue: Q1 } } });
    const fillerBytes = Buffer.byteLength(filler, 'utf8');
    const room = bytes - Buffer.byteLength(base, 'utf8');
    if (filler === ' ') return base + ' '.repeat(room);
    // Put multi-byte characters inside a string value so the document stays valid JSON.
    const prefix = '{"x":"';
    const suffix = '",' + base.slice(1);
    const n = Math.floor((bytes - Buffer.byteLength(prefix + suffix)) / fillerBytes);
    const text = prefix + filler.repeat(n) + suffix;
    return text + ' '.repeat(bytes - Buffer.byteLength(text));
  }

  test('the limit is 1,038,576 bytes', () => {
    assert.equal(MAX_CONFIGURATION_BYTES, 1_038_576);
  });

  test('exactly at the limit is accepted', () => {
    const text = padded(MAX_CONFIGURATION_BYTES);
    assert.equal(Buffer.byteLength(text), MAX_CONFIGURATION_BYTES);
    assert.equal(parseWorkflowConfiguration(text).defaultFilter?.queue, Q1);
  });

  test('one byte over is rejected', () => {
    const text = padded(MAX_CONFIGURATION_BYTES + 1);
    assertInvalid(text, `Invalid Configuration: larger than the limit of ${MAX_CONFIGURATION_BYTES} bytes`);
  });

  test('the limit counts UTF-8 bytes, not characters', () => {
    const text = padded(MAX_CONFIGURATION_BYTES + 2, 'é');
    assert.ok(text.length < MAX_CONFIGURATION_BYTES, 'fewer characters than the limit');
    assertInvalid(text, /larger than the limit/);
    const ok = padded(MAX_CONFIGURATION_BYTES, 'é');
    assert.equal(parseWorkflowConfiguration(ok).defaultFilter?.queue, Q1);
  });

  test('an oversized text is rejected before it is parsed as JSON', () => {
    assertInvalid('{'.repeat(MAX_CONFIGURATION_BYTES + 1), /larger than the limit/);
  });
});

describe('queuesOf', () => {
  const rows: [label: string, doc: unknown, expected: string[]][] = [
    ['default_filter only', { task_routing: { default_filter: { queue: QD } } }, [QD]],
    ['one filter, one target', { task_routing: { filters: [{ expression: '1==1', targets: [{ queue: Q1 }] }] } }, [Q1]],
    [
      'in order of appearance, default_filter last',
      {
        task_routing: {
          filters: [
            { expression: '1==1', targets: [{ queue: Q2 }, { queue: Q1 }] },
            { expression: '1==1', targets: [{ queue: Q3 }] },
          ],
          default_filter: { queue: QD },
        },
      },
      [Q2, Q1, Q3, QD],
    ],
    [
      'duplicates (explicit, inherited, default_filter) listed once',
      {
        task_routing: {
          filters: [
            { expression: '1==1', targets: [{ queue: Q1 }, { timeout: 5 }, { queue: Q2 }, { queue: Q1 }] },
            { expression: 'a == 1', targets: [{ queue: Q2 }, {}] },
          ],
          default_filter: { queue: Q1 },
        },
      },
      [Q1, Q2],
    ],
  ];
  for (const [label, doc, expected] of rows) {
    test(label, () => {
      assert.deepEqual(queuesOf(parse(doc)), expected);
    });
  }

  test('works on a configuration built by hand', () => {
    assert.deepEqual(queuesOf({ filters: [], defaultFilter: null }), []);
    assert.deepEqual(queuesOf({ filters: [], defaultFilter: target(QD) }), [QD]);
  });
});
