import type { FieldFact } from '../support/conformance.ts';
import type { Random } from './random.ts';
import type { FuzzRoute, Segment } from './routes.ts';
import { authenticate, headerVariation } from './headers.ts';
import { envelopeBody } from './envelope.ts';
import { badValue, deepJson, encodeText, RawJson, stringify, validValue, NUL, type Wire } from './values.ts';
import type { World } from './world.ts';

/** One request as it goes on the wire, and what was done to it. */
export interface FuzzRequest {
  method: string;
  /** Percent-encoded; characters U+0080..U+00FF go as raw bytes. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Whether it may change the store (anything but GET, HEAD and OPTIONS). */
  mutating: boolean;
  /** The route it was made from. */
  route: string;
  /** What is malformed about it ("clean" when nothing is). */
  kinds: string[];
  /** The SID its path ends with, if any: what a successful DELETE removed. */
  last?: string;
  /** The parameters given a bad value. */
  broken: string[];
}

export interface Context {
  world: World;
  r: Random;
  /** http://127.0.0.1:PORT: what a signature is computed over. */
  baseUrl: string;
  account: { accountSid: string; authToken: string };
  now: number;
  /** Per route, the next parameter to break first: every parameter of a route takes its turn (lanes start apart). */
  turns: Map<FuzzRoute, number>;
  lane: { index: number; of: number };
}

export type Pair = [Wire, Wire];
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const ODD_METHODS = ['PUT', 'PATCH', 'DELETE', 'GET', 'POST', 'OPTIONS', 'PROPFIND', 'HEAD', 'M-SEARCH'];
const REST = ['index.html', 'app.js', 'embed.js', '../../package.json', '%2e%2e/%2e%2e/package.json', '..%2f..%2fpackage.json', '%00', 'x'.repeat(2000), 'nope.css', '%FF', 'a/b/c/d', '.', ''];

/** The row a real SID names, for paths whose parents agree with it. */
export type RowOf = (sid: string) => Promise<Record<string, unknown> | undefined>;

/**
 * Builds one request for a route: clean (real SIDs of the same family, valid values: it should
 * succeed, so the world changes as it would in use) or broken in one or more ways: a path SID
 * real, of the wrong type, of another account or malformed; parameters of the wrong type, NUL,
 * invalid UTF-8, huge, deep JSON, expression bombs; required keys missing, keys repeated or
 * unknown; the wrong body encoding or content type; bad credentials; odd methods, hosts and headers.
 */
export async function buildRequest(route: FuzzRoute, c: Context, rowOf: RowOf): Promise<FuzzRequest> {
  const { r } = c;
  const kinds: string[] = [];
  // Clean writes go one at a time (see lane.ts), and a clean DELETE takes the seeded state with it: fewer of those.
  const mode = r.weighted([
    [route.method === 'DELETE' ? 3 : route.method === 'POST' ? 15 : 25, 'clean'],
    // Every parameter takes its turn: routes with many get broken by their parameters more often.
    [40 + Object.keys(route.params).length, 'params'],
    [12, 'path'],
    [12, 'shape'],
    [7, 'auth'],
    [4, 'method'],
  ] as const);

  // Path: real SIDs of one family (the deepest SID's row names its parents), then maybe broken.
  let segments = await fillPath(route.segments, c, rowOf, route.method === 'DELETE');
  if (mode === 'path' || (mode !== 'clean' && r.chance(0.1))) {
    const slots = route.segments.map((g, i) => ('fixed' in g ? -1 : i)).filter((i) => i >= 0);
    if (slots.length > 0) {
      const i = r.pick(slots);
      const seg = route.segments[i] as { param: string; sid?: string } | { rest: true };
      const prefix = 'sid' in seg ? seg.sid : undefined;
      const bad = r.weighted<[string, string]>([
        [3, ['sid-wrong-type', c.world.otherType(prefix ?? 'WS') ?? 'XX' + r.hex(32)]],
        [3, ['sid-other-account', (prefix && c.world.foreign(prefix)) || (prefix ?? 'WS') + r.hex(32)]],
        [2, ['sid-unknown', (prefix ?? 'WS') + r.hex(32)]],
        [2, ['nul', r.pick(['%00', `${segments[i]}%00`, '%00' + (prefix ?? 'WS') + r.hex(30)])]],
        [2, ['invalid-utf8', r.pick(['%FF%FE', '%C0%80', '%ED%A0%80', '\xff\xfe', 'WS\xc3'])]],
        [1, ['bad-percent', r.pick(['%', '%zz', '%%30'])]],
        [1, ['long', 'W'.repeat(r.pick([999, 1001, 5000]))]],
        [1, ['odd-text', r.pick(['..', '%2e%2e', '%2F', 'null', 'undefined', '%20', "'", '%22%3E', '😀', 'WS*', '__proto__', 'constructor'])]],
        [1, ['unique-name', c.world.uniqueName]],
      ]);
      kinds.push(`path-${bad[0]}`);
      segments = [...segments];
      segments[i] = bad[1];
    }
  }
  let path = '/' + segments.join('/');
  if (mode === 'path' && r.chance(0.3)) {
    const v = r.pick<[string, (p: string) => string]>([
      ['trailing-slash', (p) => p + '/'],
      ['double-slash', (p) => p.replace('/v1/', '//v1//')],
      ['lower-case', (p) => p.toLowerCase()],
      ['suffix', (p) => p + '.json'],
      ['dot-segments', (p) => p.replace('/v1/', '/v1/./x/../')],
      ['query-only', (p) => p + '?'],
      ['fragment', (p) => p + '#x'],
    ]);
    kinds.push(`path-${v[0]}`);
    path = v[1](path);
  }

  // Method.
  let method = route.method;
  if (mode === 'method') {
    method = r.pick(ODD_METHODS);
    kinds.push('method');
  } else if (method === 'GET' && r.chance(0.04)) method = 'HEAD';

  // Parameters: every required one and some optional ones, valid; then some of them broken.
  const names = Object.keys(route.params);
  const pairs: Pair[] = [];
  const values = new Map<string, string>();
  for (const name of names) {
    const fact = route.params[name];
    if (!fact.required && !r.chance(mode === 'clean' ? 0.35 : 0.25)) continue;
    // A page number needs the token of that page: a clean request asks for the first one.
    if (mode === 'clean' && (name === 'Page' || name === 'PageToken')) continue;
    values.set(name, validValue(r, name, fact, c.world, c.now));
  }
  const wire = new Map<string, Wire[]>([...values].map(([k, v]) => [k, [{ text: v }]]));
  const broken: string[] = [];
  if (mode === 'params' && names.length > 0) {
    const turn = c.turns.get(route) ?? Math.floor((c.lane.index * names.length) / c.lane.of);
    c.turns.set(route, turn + 1);
    const count = 1 + (r.chance(0.3) ? r.int(3) : 0);
    for (let i = 0; i < count; i++) {
      const name = i === 0 ? names[turn % names.length] : r.pick(names);
      broken.push(name);
      const bad = badValue(r, name, route.params[name], c.world, route.where === 'query' ? 'query' : route.bodyType === 'json' ? 'json' : 'body');
      kinds.push(bad.kind);
      wire.set(name, [bad.value]);
    }
  }
  if (mode === 'shape') kinds.push(reshape(r, route, wire, names));
  for (const [k, vs] of wire) for (const v of vs) pairs.push([{ text: k }, v]);

  // Body or query, as the route takes them (and sometimes the other way round).
  const headers: Record<string, string> = {};
  let body: Buffer | undefined;
  let where = route.where;
  if (mode === 'shape' && r.chance(0.2)) {
    where = where === 'query' ? 'body' : 'query';
    kinds.push('params-elsewhere');
  }
  const isEnvelope = route.auth === 'envelope' && route.method === 'POST';
  if (isEnvelope) {
    body = Buffer.from(envelopeBody(c, kinds, mode));
    headers['content-type'] = r.pick(['application/json', 'application/x-www-form-urlencoded', 'text/plain']);
    if (r.chance(0.2)) headers.apiversion = r.pick(['v1', 'v2', 'v9', '', 'V1']);
  } else if (where === 'query') {
    if (pairs.length > 0) path += (path.includes('?') ? '&' : '?') + latin1(encodePairs(pairs));
  } else if (route.bodyType === 'json' || (mode === 'shape' && r.chance(0.25))) {
    body = Buffer.from(jsonBody(r, wire, route, c, kinds));
    headers['content-type'] = 'application/json';
  } else {
    body = encodePairs(pairs);
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (mode === 'shape' && body !== undefined && r.chance(0.35)) {
    const ct = r.pick([
      'text/plain', 'application/json', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded; charset=iso-8859-1',
      'application/xml', ';;;', 'a/b/c', 'application/json; charset=utf-16', '*/*', 'application/vnd.api+json',
    ]);
    headers['content-type'] = ct;
    kinds.push('content-type');
  }
  if (mode === 'shape' && r.chance(0.15)) {
    body = r.pick([...['{', '{"a":}', '\ufeff{"a":1}', 'null', '[]', '"x"', '{"a":1}{"b":2}', `{"a":"${NUL}"}`, deepJson(5000, r), 'a=1&&&==&%'].map((t) => Buffer.from(t)), Buffer.from([0xff, 0xfe, 0x61])]);
    headers['content-type'] = r.pick(['application/json', 'application/x-www-form-urlencoded']);
    kinds.push('bad-body');
  }

  // Credentials and other headers.
  authenticate(route, c, headers, mode, kinds, path, pairs);
  if (mode === 'auth' || r.chance(0.04)) headerVariation(r, headers, kinds, (p) => (path = p), path);
  if (kinds.length === 0) kinds.push('clean');
  return { method, path, headers, body, mutating: !READS.has(method), route: route.name, kinds, broken, last: /^[A-Z]{2}[0-9a-f]{32}$/.exec(segments[segments.length - 1] ?? '')?.[0] };
}

/** Real SIDs of one family: the deepest first (for a DELETE, seldom one the seed made), its parents from its row. */
async function fillPath(segments: Segment[], c: Context, rowOf: RowOf, deleting: boolean): Promise<string[]> {
  const { r, world } = c;
  const deepest = segments.map((g, i) => ('param' in g && g.sid ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
  const prefixOf = (i: number) => (segments[i] as { sid: string }).sid;
  const chosen = deepest < 0 ? undefined : deleting ? world.spare(prefixOf(deepest)) : world.real(prefixOf(deepest));
  const family: Record<string, unknown> = chosen ? { ...(await rowOf(chosen)), sid: chosen } : {};
  const inFamily = (prefix: string) => Object.values(family).find((v): v is string => typeof v === 'string' && new RegExp(`^${prefix}[0-9a-f]{32}$`, 'i').test(v));
  return segments.map((g, i) => {
    if ('fixed' in g) return g.fixed;
    if ('rest' in g) return r.pick(REST);
    if (!g.sid) return r.pick(['default', 'chat', 'sms', 'twilio-taskrouter.js', 'x', 'WC' + r.hex(32)]);
    // Worker channels and task channels are named by SID or by unique name, conversations by SID or unique name.
    if ((g.sid === 'WC' || g.sid === 'TC') && r.chance(0.3)) return r.pick(['default', 'voice', 'chat', 'sms']);
    if (g.sid === 'CH' && r.chance(0.1)) return world.uniqueName;
    if (i === deepest) return chosen ?? g.sid + r.hex(32);
    return inFamily(g.sid) ?? world.real(g.sid) ?? g.sid + r.hex(32);
  });
}

/** Missing, repeated and unknown keys. */
function reshape(r: Random, route: FuzzRoute, wire: Map<string, Wire[]>, names: string[]): string {
  const required = names.filter((n) => route.params[n].required);
  return r.weighted<() => string>([
    [3, () => {
      if (required.length === 0) return 'no-params';
      wire.delete(r.pick(required));
      return 'missing-required';
    }],
    [2, () => {
      wire.clear();
      return 'no-params';
    }],
    [3, () => {
      const name = names.length > 0 ? r.pick(names) : 'FriendlyName';
      const copies = r.pick([2, 3, 1000]);
      wire.set(name, Array.from({ length: copies }, (_, i) => ({ text: i % 2 ? 'x' : (wire.get(name)?.[0] as { text?: string })?.text ?? 'y' })));
      return 'repeated-key';
    }],
    [3, () => {
      const key = r.pick(['Foo', '', '[]', 'a[b]', '__proto__', 'constructor', 'toString', 'hasOwnProperty', `K${NUL}`, 'k'.repeat(10_000), 'friendlyname', 'FRIENDLYNAME', 'Attributes.x', '.', 'Sid']);
      wire.set(key, [{ text: 'x' }]);
      return 'unknown-key';
    }],
  ])();
}

function encodePairs(pairs: Pair[]): Buffer {
  const parts: Buffer[] = [];
  pairs.forEach(([k, v], i) => {
    if (i > 0) parts.push(Buffer.from('&'));
    parts.push(enc(k), Buffer.from('='), enc(v));
  });
  return Buffer.concat(parts);
}

const enc = (w: Wire): Buffer => ('text' in w ? Buffer.from(encodeText(w.text)) : typeof w.encoded === 'string' ? Buffer.from(w.encoded) : w.encoded);
/** Bytes as a path string: node sends U+0000..U+00FF of a path as single bytes. */
const latin1 = (b: Buffer) => b.toString('latin1');

/** A JSON body: the parameters as a JSON object (JSON-typed ones parsed), sometimes broken in JSON's own ways. */
function jsonBody(r: Random, wire: Map<string, Wire[]>, route: FuzzRoute, c: Context, kinds: string[]): string {
  const obj: Record<string, unknown> = {};
  for (const [k, vs] of wire) {
    const w = vs[0];
    const text = 'text' in w ? w.text : Buffer.isBuffer(w.encoded) ? w.encoded.toString('latin1') : w.encoded;
    obj[k] = jsonValue(text, route.params[k]);
    if (vs.length > 1) obj[k] = vs.map((x) => ('text' in x ? x.text : ''));
  }
  if (route.name.includes('/Transfers') && route.method === 'POST' && !('from' in obj) && r.chance(0.7)) {
    obj.from = c.world.real('UT') ?? 'UT' + r.hex(32);
    obj.to = c.world.real(r.pick(['WQ', 'WK', 'WW'])) ?? 'WQ' + r.hex(32);
  }
  if (r.chance(0.15)) {
    const [kind, mutate] = r.pick<[string, () => void]>([
      ['json-wrong-type', () => { for (const k of Object.keys(obj)) obj[k] = r.pick([1, true, null, [], {}, 1e308, -0, [obj[k]]]); }],
      ['nul', () => { obj[r.pick(Object.keys(obj).concat('from'))] = `x${NUL}y`; }],
      ['json-proto', () => { Object.defineProperty(obj, '__proto__', { value: { polluted: true }, enumerable: true }); }],
      ['deep-json', () => { obj[r.pick(Object.keys(obj).concat('attributes'))] = new RawJson(deepJson(r.pick([500, 5000]), r)); }],
      ['huge', () => { obj[r.pick(Object.keys(obj).concat('attributes'))] = 'x'.repeat(1024 * 1024); }],
    ]);
    mutate();
    kinds.push(kind);
  }
  return stringify(obj);
}

/** A JSON-typed parameter goes as the JSON it is (as raw text: it may be too deep to rebuild here); anything else as a string. */
function jsonValue(text: string, fact: FieldFact | undefined): unknown {
  if (fact && (fact.type === 'object' || fact.type === 'any')) {
    try {
      JSON.parse(text);
      return new RawJson(text);
    } catch {
      return text;
    }
  }
  if (fact?.type === 'array') return [text];
  return text;
}

