import type { FieldFact } from '../support/conformance.ts';
import type { Random } from './random.ts';

/**
 * A parameter value as it goes on the wire: `text` is percent-encoded when the request is built;
 * `encoded` is put in verbatim (malformed percent-escapes, invalid UTF-8 as escapes or raw bytes).
 */
export type Wire = { text: string } | { encoded: string | Buffer };

/** A malformed value and what is wrong with it (the class it is counted under). */
export interface Bad {
  kind: string;
  value: Wire;
}

/** SIDs the fuzzer can name: the seeded world's, ours and another account's. */
export interface SidSource {
  /** A real SID of this type in our account, if there is one. */
  real(prefix: string): string | undefined;
  /** The same, for a request that deletes it: one the seed did not make, while there is one. */
  spare(prefix: string): string | undefined;
  /** A real SID of this type in another account. */
  foreign(prefix: string): string | undefined;
  /** A real SID of any other type. */
  otherType(prefix: string): string | undefined;
  /** A workflow configuration that routes to a real queue. */
  configuration(): string;
  /** A workspace with its workflow and queue: what a valid Routing names. */
  home: { ws: string; wf: string; queue: string };
}

export const NUL = '\u0000';
const MB = 1024 * 1024;

/** JSON text put in as it is by `stringify`: a value too deep to build as objects (or to stringify) here. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify, with RawJson values put in verbatim. */
export function stringify(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v) => (v instanceof RawJson ? `\u0000RAW${raws.push(v.text) - 1}\u0000` : v));
  return text.replace(/"\\u0000RAW(\d+)\\u0000"/g, (_, i) => raws[Number(i)]);
}

export const deepJson = (levels: number, r: Random): string =>
  r.chance(0.5) ? '{"a":'.repeat(levels) + '1' + '}'.repeat(levels) : '['.repeat(levels) + ']'.repeat(levels);

/** TaskRouter expressions built to be expensive: long chains, deep parentheses, huge IN lists and paths. */
export function expressionBomb(r: Random): { kind: string; text: string } {
  // 300 fits the 4,096 characters of TargetWorkers and of a query string: those reach the parser and the evaluator.
  const n = r.pick([300, 300, 300, 1_000, 1_000, 20_000, 20_000, 100_000]);
  return r.pick([
    () => ({ kind: 'bomb-or', text: Array(n).fill('a == 1').join(' OR ') }),
    () => ({ kind: 'bomb-and', text: Array(n).fill('skills HAS "x"').join(' AND ') }),
    () => ({ kind: 'bomb-parens', text: '('.repeat(n) + '1 == 1' + ')'.repeat(n) }),
    () => ({ kind: 'bomb-parens', text: '('.repeat(100) + '1 == 1' + ')'.repeat(100) }),
    () => ({ kind: 'bomb-parens', text: '(a == 1 OR '.repeat(99) + 'b == 2' + ')'.repeat(99) }),
    () => ({ kind: 'bomb-in', text: `x IN [${Array.from({ length: n }, (_, i) => i).join(',')}]` }),
    () => ({ kind: 'bomb-in', text: `x NOT IN [${Array(n).fill('"abcdefgh"').join(',')}]` }),
    () => ({ kind: 'bomb-path', text: 'a' + '.b'.repeat(n) + ' == 1' }),
    () => ({ kind: 'bomb-string', text: `a == "${'x'.repeat(n * 10)}"` }),
    () => ({ kind: 'bomb-tokens', text: '['.repeat(n) }),
    () => ({ kind: 'bomb-tokens', text: '"'.repeat(n) + ' == ' }),
    () => ({ kind: 'bomb-tokens', text: 'NOT '.repeat(n) + 'a IN [1]' }),
  ])();
}

/** A workflow configuration made expensive: many filters, bomb expressions, odd targets. */
export function configurationBomb(r: Random, sids: SidSource): { kind: string; text: string } {
  const queue = sids.real('WQ') ?? 'WQ' + '0'.repeat(32);
  const filters = r.pick([10, 1_000, 20_000]);
  return r.pick([
    () => {
      const e = expressionBomb(r);
      return { kind: `config-${e.kind}`, text: JSON.stringify({ task_routing: { filters: [{ expression: e.text, targets: [{ queue }] }], default_filter: { queue } } }) };
    },
    () => {
      const e = expressionBomb(r);
      return { kind: `config-target-${e.kind}`, text: JSON.stringify({ task_routing: { filters: [{ expression: '1==1', targets: [{ queue, expression: e.text }] }] } }) };
    },
    () => ({
      kind: 'config-many-filters',
      text: JSON.stringify({ task_routing: { filters: Array.from({ length: filters }, (_, i) => ({ filter_friendly_name: `f${i}`, expression: `n == ${i} OR a.b.c HAS "${i}"`, targets: [{ queue, priority: i, timeout: i + 1 }] })) } }),
    }),
    () => ({ kind: 'config-many-targets', text: JSON.stringify({ task_routing: { filters: [{ expression: '1==1', targets: Array(filters).fill({ queue, timeout: 1 }) }] } }) }),
    () => ({ kind: 'config-order-by', text: JSON.stringify({ task_routing: { filters: [{ expression: '1==1', targets: [{ queue, order_by: 'worker.' + 'a.'.repeat(filters) + 'b DESC' }] }] } }) }),
    () => ({ kind: 'config-deep', text: `{"task_routing":{"filters":[${'{"expression":'.repeat(5_000)}"1==1"${'}'.repeat(5_000)}]}}` }),
    () => ({ kind: 'config-types', text: JSON.stringify({ task_routing: { filters: [{ expression: 1, targets: 'q' }], default_filter: [] } }) }),
    () => ({ kind: 'config-numbers', text: JSON.stringify({ task_routing: { filters: [{ expression: '1==1', targets: [{ queue, timeout: 1e308, priority: -1e308, skip_if: 'x'.repeat(10_000) }] }] } }) }),
  ])();
}

/** Task attributes that are expensive to store, render or evaluate expressions against. */
function attributesBomb(r: Random): { kind: string; text: string } {
  const n = r.pick([1_000, 50_000]);
  return r.pick([
    () => ({ kind: 'attrs-big-array', text: JSON.stringify({ x: Array.from({ length: n }, (_, i) => i), skills: Array(n).fill('sms') }) }),
    () => ({ kind: 'attrs-many-keys', text: JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))) }),
    () => ({ kind: 'attrs-long-string', text: JSON.stringify({ a: 'x'.repeat(n * 20) }) }),
    () => ({ kind: 'deep-json', text: `{"a":${deepJson(5_000, r)}}` }),
    // Within the 4,096 characters of Attributes: deep enough for anything that walks it recursively.
    () => ({ kind: 'deep-json', text: '{"a":'.repeat(800) + '1' + '}'.repeat(800) }),
    () => ({ kind: 'attrs-proto', text: '{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},"toString":1,"hasOwnProperty":2}' }),
  ])();
}

const EXPRESSION_PARAMS = new Set(['TargetWorkers', 'TargetWorkersExpression', 'EvaluateTaskAttributes', 'EvaluateWorkerAttributes', 'expression']);
const JSON_PARAMS = new Set([
  'Attributes', 'Channel', 'Routing', 'MediaProperties', 'RoutingProperties', 'TaskAttributes', 'PreEngagementData',
  'PostEngagementData', 'ContentVariables', 'Participant', 'attributes', 'Configuration', 'Permission', 'Plugins',
]);

/** A value of the right type, as a well-behaved caller would send it (the backdrop the bad values stand out from). */
export function validValue(r: Random, name: string, fact: FieldFact, sids: SidSource, now: number): string {
  if (name === 'Configuration') return sids.configuration();
  if (EXPRESSION_PARAMS.has(name)) return r.pick(['1==1', 'skills HAS "sms"', 'channel == "sms"', '']);
  if (name === 'Channel') return JSON.stringify({ type: r.pick(['chat', 'sms', 'web']), initiated_by: r.pick(['api', 'customer']), participants: [{ identity: `fz-${r.hex(6)}` }] });
  if (name === 'Routing') return JSON.stringify({ properties: { workspace_sid: sids.home.ws, workflow_sid: sids.home.wf, queue_sid: sids.home.queue, attributes: { fuzz: true } } });
  if (name === 'Attributes' || name === 'attributes' || name === 'TaskAttributes') return r.pick(['{}', '{"channel":"sms","skills":["sms"]}', '{"fuzz":true}']);
  if (JSON_PARAMS.has(name)) return '{}';
  if (fact.type === 'array' && fact.items) return validValue(r, name, fact.items, sids, now);
  if (fact.sid) return (r.chance(0.9) && sids.real(fact.sid)) || fact.sid + r.hex(32);
  if (fact.enum) return r.pick(fact.enum);
  switch (fact.type) {
    case 'boolean':
      return r.pick(['true', 'false']);
    case 'integer': {
      const min = fact.min ?? 0;
      const max = Math.min(fact.max ?? 100, min + 100);
      return String(min + r.int(max - min + 1));
    }
    case 'number':
      return String(r.int(1000) / 10);
  }
  if (fact.format === 'date-time') return new Date(now - r.int(86_400_000)).toISOString();
  if (fact.format === 'uri' || /Url$|Callback$/.test(name)) return 'http://127.0.0.1:9/fuzz';
  if (fact.format === 'http-method') return r.pick(['GET', 'POST']);
  if (/Address$|^From$|^To$/.test(name)) return '+1555' + String(1_000_000 + r.int(8_999_999));
  return `fuzz-${r.hex(8)}`;
}

const WRONG_TYPE: Record<string, string[]> = {
  integer: ['abc', '1.5', '1e309', '-1', '0x1f', '99999999999999999999', ' 7 ', '-9223372036854775809', 'NaN', 'Infinity', '1,000'],
  number: ['abc', '1e309', '--1', 'NaN', '0x10', '1.2.3'],
  boolean: ['yes', '1', 'TRUE ', 'null', 'tru', ''],
  'date-time': ['2026-02-30T00:00:00Z', '0', 'yesterday', '-271821-04-20T00:00:00Z', '+275760-09-13T00:00:01Z', '2026-01-15', '9999-99-99T99:99:99Z'],
  uri: ['javascript:alert(1)', 'http://[', 'http://x:99999/', 'ftp://example.com/', 'http://', '//no-scheme', 'file:///etc/passwd'],
  enum: ['bogus', 'PENDING ', 'pending\u0000', 'null'],
  json: ['{', '{"a":}', '[1,]', 'NaN', '\ufeff{}', '{"a":1}x', "{'a':1}", '"', '[]', '"s"', '1', 'null', 'true', '{"a":1e999}'],
};

/** A bad value for a parameter: of the wrong type, an expression or configuration bomb, NUL, invalid UTF-8, huge, deep... */
export function badValue(r: Random, name: string, fact: FieldFact, sids: SidSource, where: 'query' | 'body' | 'json'): Bad {
  const bodyOnly = where !== 'query';
  const choices: [number, () => Bad][] = [
    [3, () => ({ kind: 'nul', value: { text: r.pick(['a\u0000b', NUL, `${sids.real(fact.sid ?? 'WS') ?? 'x'}${NUL}`, `{"a":"\u0000"}`]) } })],
    [3, () => ({ kind: 'invalid-utf8', value: { encoded: r.pick(['%FF%FE', '%C0%80', '%ED%A0%80', 'a%E2%82', '%F8%88%80%80%80']) } })],
    [2, () => ({ kind: 'bad-percent', value: { encoded: r.pick(['%', '%zz', '%%', 'a%2', '%u0041']) } })],
    [1, () => ({ kind: 'empty', value: { text: r.pick(['', ' ', '\t\n']) } })],
    [2, () => ({ kind: 'odd-text', value: { text: r.pick(["' OR 1=1 --", '"; DROP TABLE workers; --', '${7*7}', '../../etc/passwd', '%s%n', '<script>x</script>', '😀'.repeat(300), '\u202e\u200b', 'a'.repeat(5_000)]) } })],
    [2, () => ({ kind: 'long', value: { text: 'x'.repeat(r.pick([5_000, 70_000, 70_000, 300_000])) } })],
    [3, () => ({ kind: 'wrong-type', value: { text: r.pick(WRONG_TYPE[typeKey(fact)] ?? WRONG_TYPE.integer) } })],
    [2, () => ({ kind: 'json-shape', value: { text: r.pick(WRONG_TYPE.json) } })],
    [2, () => ({ kind: 'deep-json', value: { text: deepJson(r.pick([1_000, 5_000, 20_000]), r) } })],
  ];
  if (bodyOnly) {
    choices.push([1, () => ({ kind: 'huge', value: { text: 'x'.repeat(MB) } })]);
    choices.push([2, () => ({ kind: 'raw-bytes', value: { encoded: Buffer.from([0x61, 0xff, 0xfe, 0x80, 0xc3]) } })]);
  }
  if (fact.sid || /Sid$/.test(name)) {
    const prefix = fact.sid ?? 'WS';
    choices.push([4, () => ({ kind: 'sid-wrong-type', value: { text: sids.otherType(prefix) ?? 'XX' + r.hex(32) } })]);
    choices.push([4, () => ({ kind: 'sid-other-account', value: { text: sids.foreign(prefix) ?? prefix + r.hex(32) } })]);
    choices.push([3, () => ({ kind: 'sid-malformed', value: { text: r.pick([prefix + r.hex(31), prefix + 'Z'.repeat(32), prefix.toLowerCase() + r.hex(32), prefix + r.hex(32) + 'x', prefix, prefix + '0'.repeat(32)]) } })]);
  }
  if (JSON_PARAMS.has(name)) choices.push([8, () => nested(r, name, sids)]);
  if (EXPRESSION_PARAMS.has(name)) choices.push([12, () => { const b = expressionBomb(r); return { kind: b.kind, value: { text: b.text } }; }]);
  if (name === 'Configuration') choices.push([12, () => { const b = configurationBomb(r, sids); return { kind: b.kind, value: { text: b.text } }; }]);
  if (/attributes/i.test(name)) choices.push([8, () => { const b = attributesBomb(r); return { kind: b.kind, value: { text: b.text } }; }]);
  return r.weighted(choices.map(([w, f]) => [w, f] as const))();
}

/**
 * A well-formed JSON parameter with the bad part inside, where a shallow check would not look: an
 * interaction's Routing.properties.attributes, a participant of its Channel, a nested key.
 */
function nested(r: Random, name: string, sids: SidSource): Bad {
  const [kind, inner] = r.pick<[string, () => unknown]>([
    ['nested-deep-json', () => new RawJson(deepJson(5_000, r))],
    ['nested-nul', () => `a${NUL}b`],
    ['nested-huge', () => 'x'.repeat(MB)],
    ['nested-types', () => r.pick<unknown>([[], 1e308, null, true, { __proto__: { x: 1 } }])],
  ]);
  const home = sids.home;
  const value =
    name === 'Routing' ? { properties: { workspace_sid: home.ws, workflow_sid: home.wf, attributes: { a: inner() } } }
    : name === 'Channel' ? { type: 'chat', initiated_by: 'api', participants: [{ identity: inner(), name: inner() }] }
    : name === 'Configuration' ? { task_routing: { filters: [{ expression: '1==1', targets: [{ queue: home.queue, skip_if: inner() }] }], default_filter: { queue: home.queue } } }
    : { a: { b: inner() } };
  return { kind, value: { text: stringify(value) } };
}

function typeKey(fact: FieldFact): string {
  if (fact.enum || fact.items?.enum) return 'enum';
  if (fact.format === 'date-time') return 'date-time';
  if (fact.format === 'uri') return 'uri';
  if (fact.type === 'any' || fact.type === 'object') return 'json';
  return fact.type === 'array' ? typeKey(fact.items ?? { type: 'string' }) : fact.type;
}

/** Percent-encodes a value for a form or a query string. Lone surrogates (which encodeURIComponent refuses) go as their UTF-8 bytes would, invalid on purpose. */
export function encodeText(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s.replace(/[\ud800-\udfff]/g, '\ufffd').split('').map((c) => encodeURIComponent(c)).join('');
  }
}
