/**
 * Conformance checker: verifies response bodies against facts derived from Twilio's OpenAPI specs
 * (`spec/facts.json`, produced by `npm run facts` / scripts/derive-facts.ts).
 *
 * Rules (see docs in /shared/reference/api-surface.md, "How to read the tables" and §5):
 *  - every schema field is present; `null` only where nullable (enum `$ref` fields count as nullable);
 *  - no invented fields: besides the spec's, only the documented extensions (`EXTENSIONS`), type-checked like them;
 *  - JSON types match (`any` accepts anything); `date-time` = `YYYY-MM-DDTHH:MM:SSZ` (UTC, no fraction);
 *    `uri` = absolute http(s) URL; `uri-map` = object of name -> absolute http(s) URL;
 *  - enum values are from the spec's list; SID-pattern fields match `^XX[0-9a-fA-F]{32}$`.
 */
import { AssertionError } from 'node:assert';
import { readFileSync } from 'node:fs';
import { CHANNEL_TYPES } from '../../src/flex/model.ts';

export type Product = 'taskrouter' | 'flex' | 'conversations';

export interface FieldFact {
  type: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'any';
  format?: string;
  nullable?: true;
  enum?: string[];
  enumRef?: string;
  sid?: string;
  pattern?: string;
  items?: FieldFact;
  min?: number;
  max?: number;
  required?: true;
  default?: unknown;
}

export interface OperationFact {
  operationId: string;
  status: number;
  statuses?: number[];
  pathParams?: Record<string, FieldFact>;
  query?: Record<string, FieldFact>;
  headers?: Record<string, FieldFact>;
  bodyType?: 'form' | 'json';
  body?: Record<string, FieldFact>;
  schema?: string;
  listKey?: string;
}

export interface ProductFacts {
  server: string;
  enums: Record<string, string[]>;
  paths: Record<string, Record<string, OperationFact>>;
  schemas: Record<string, Record<string, FieldFact>>;
}

export interface Facts {
  sources: Record<Product, { file: string; sha256: string }>;
  products: Record<Product, ProductFacts>;
  examples: Record<string, Record<string, unknown>>;
}

export const facts: Facts = JSON.parse(
  readFileSync(new URL('../../spec/facts.json', import.meta.url), 'utf8'),
) as Facts;

const schemaIndex = new Map<string, Record<string, FieldFact>>();
for (const p of Object.values(facts.products)) {
  for (const [name, fields] of Object.entries(p.schemas)) schemaIndex.set(name, fields);
}

/** Field facts of a schema; throws for an unknown schema name (a bug in the test, not in the server). */
export function schemaFields(schemaName: string): Record<string, FieldFact> {
  const fields = schemaIndex.get(schemaName);
  if (!fields) throw new Error(`conformance: unknown schema "${schemaName}"`);
  return fields;
}

// ---------------------------------------------------------------------------------------------------------------
// Documented extensions

/** A field Switchyard sends beyond Twilio's published spec, and why. */
export interface Extension {
  field: FieldFact;
  reason: string;
}

const FLEX_PARTICIPANT = 'flex.v1.interaction.interaction_channel.interaction_channel_participant';

/**
 * The one list of fields allowed beyond the spec: each is what code written for Twilio reads from
 * Twilio's real responses, where the published spec leaves it out. An extension is optional (Twilio's
 * own examples lack it) but, when present, checked like a spec field; it is allowed only where listed.
 */
export const EXTENSIONS: {
  /** Extra fields of a resource, alone or as a list item, by schema. */
  resources: Record<string, Record<string, Extension>>;
  /** Extra top-level fields of a list page, by the schema of its items. */
  pages: Record<string, Record<string, Extension>>;
} = {
  resources: {
    [FLEX_PARTICIPANT]: {
      media_properties: {
        field: { type: 'object' },
        reason:
          "Flex UI's task.getParticipants() gives plugins each participant's mediaProperties (conversation_sid, the conversation participant's sid, identity, messaging_binding); plugins that park, transfer or leave a chat build their Conversations calls from it",
      },
    },
  },
  pages: {
    [FLEX_PARTICIPANT]: {
      channel_type: {
        field: { type: 'string', enum: [...CHANNEL_TYPES] },
        reason:
          "Flex UI reads the interaction channel's type from the participants list; plugins read it as a participant's channelType (park-interaction passes it on to its function)",
      },
    },
  },
};

/** The extension fields a body of this schema may carry, as field facts. */
function extensionFields(schemaName: string, extensions: Record<string, Record<string, Extension>>): Record<string, FieldFact> {
  const extra = Object.entries(extensions[schemaName] ?? {}).map(([name, e]) => [name, e.field] as const);
  return Object.fromEntries(extra);
}

// ---------------------------------------------------------------------------------------------------------------
// Path matching

interface Template {
  template: string;
  segments: string[]; // '{…}' segments are parameters
  methods: Record<string, OperationFact>;
}

const templates = new Map<Product, Template[]>();
function templatesOf(product: Product): Template[] {
  let list = templates.get(product);
  if (!list) {
    const p = facts.products[product];
    if (!p) throw new Error(`conformance: unknown product "${product}"`);
    list = Object.entries(p.paths).map(([template, methods]) => ({
      template,
      segments: template.split('/').filter(Boolean),
      methods,
    }));
    templates.set(product, list);
  }
  return list;
}

function concreteSegments(path: string): string[] {
  let p = path;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(p);
  if (scheme) p = p.slice(scheme[0].length);
  p = p.split(/[?#]/)[0];
  return p
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

const isParam = (seg: string) => seg.startsWith('{') && seg.endsWith('}');

/**
 * Find the spec operation for a concrete request. `path` may be a full URL and may carry a query string.
 * When several templates match (`…/Workers/{Sid}` vs `…/Workers/Statistics`), a literal segment beats a parameter
 * at the first position where they differ.
 */
export function operationFor(
  product: Product,
  method: string,
  path: string,
): { template: string; operation: OperationFact } | undefined {
  const segs = concreteSegments(path);
  const m = method.toUpperCase();
  let best: { rank: string; t: Template } | undefined;
  for (const t of templatesOf(product)) {
    if (t.segments.length !== segs.length || !t.methods[m]) continue;
    let rank = '';
    let ok = true;
    for (let i = 0; i < segs.length && ok; i++) {
      if (isParam(t.segments[i])) rank += 'P';
      else if (t.segments[i] === segs[i]) rank += 'L';
      else ok = false;
    }
    if (ok && (!best || rank < best.rank)) best = { rank, t };
  }
  return best && { template: best.t.template, operation: best.t.methods[m] };
}

/**
 * Response schema name for a request, e.g. ('taskrouter', 'GET', '/v1/Workspaces/WS…/Workers/WK…')
 * -> 'taskrouter.v1.workspace.worker'. For list operations this is the item schema (see `listKeyFor`).
 * Undefined when no operation matches or the operation has no response body (DELETE).
 */
export function schemaFor(product: Product, method: string, path: string): string | undefined {
  return operationFor(product, method, path)?.operation.schema;
}

/** For a list operation, the key holding the items (== `meta.key`); undefined otherwise. */
export function listKeyFor(product: Product, method: string, path: string): string | undefined {
  return operationFor(product, method, path)?.operation.listKey;
}

// ---------------------------------------------------------------------------------------------------------------
// Value checks

const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  const s = JSON.stringify(v);
  return s.length > 160 ? s.slice(0, 157) + '...' : s;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isIsoDateTime(v: unknown): boolean {
  if (typeof v !== 'string' || !DATE_TIME_RE.test(v)) return false;
  const d = new Date(v);
  return !Number.isNaN(d.getTime()) && d.toISOString().replace('.000Z', 'Z') === v;
}

export function isAbsoluteHttpUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host !== '';
  } catch {
    return false;
  }
}

const regexCache = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let r = regexCache.get(pattern);
  if (!r) regexCache.set(pattern, (r = new RegExp(pattern)));
  return r;
}

/** Check one value against a field fact; appends problems prefixed with `at`. */
function checkValue(f: FieldFact, v: unknown, at: string, problems: string[]): void {
  if (v === null) {
    if (!f.nullable && !f.enumRef && f.type !== 'any') problems.push(`${at}: null but the field is not nullable`);
    return;
  }
  switch (f.type) {
    case 'any':
      return;
    case 'integer':
      if (!Number.isInteger(v)) return void problems.push(`${at}: expected integer, got ${jsonType(v)} ${show(v)}`);
      break;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v))
        return void problems.push(`${at}: expected number, got ${jsonType(v)} ${show(v)}`);
      break;
    case 'boolean':
      if (typeof v !== 'boolean') return void problems.push(`${at}: expected boolean, got ${jsonType(v)} ${show(v)}`);
      break;
    case 'string':
      if (typeof v !== 'string') return void problems.push(`${at}: expected string, got ${jsonType(v)} ${show(v)}`);
      break;
    case 'object':
      if (!isPlainObject(v)) return void problems.push(`${at}: expected object, got ${jsonType(v)} ${show(v)}`);
      break;
    case 'array':
      if (!Array.isArray(v)) return void problems.push(`${at}: expected array, got ${jsonType(v)} ${show(v)}`);
      if (f.items) v.forEach((item, i) => checkValue(f.items!, item, `${at}[${i}]`, problems));
      return;
  }

  if (f.enum && !f.enum.includes(v as string)) {
    problems.push(`${at}: ${show(v)} is not one of ${f.enum.join('|')}`);
  }
  if (f.sid && !regex(`^${f.sid}[0-9a-fA-F]{32}$`).test(v as string)) {
    problems.push(`${at}: expected a ${f.sid} SID (^${f.sid}[0-9a-fA-F]{32}$), got ${show(v)}`);
  }
  if (f.pattern && !regex(f.pattern).test(v as string)) {
    problems.push(`${at}: ${show(v)} does not match ${f.pattern}`);
  }
  if (f.type === 'integer' || f.type === 'number') {
    if (f.min !== undefined && (v as number) < f.min) problems.push(`${at}: ${show(v)} is below the minimum ${f.min}`);
    if (f.max !== undefined && (v as number) > f.max) problems.push(`${at}: ${show(v)} is above the maximum ${f.max}`);
  }
  switch (f.format) {
    case 'date-time':
      if (!isIsoDateTime(v))
        problems.push(`${at}: expected ISO-8601 UTC date-time without fraction (2016-03-24T20:37:57Z), got ${show(v)}`);
      break;
    case 'uri':
      if (!isAbsoluteHttpUrl(v)) problems.push(`${at}: expected an absolute http(s) URL, got ${show(v)}`);
      break;
    case 'uri-map':
      for (const [k, u] of Object.entries(v as Record<string, unknown>)) {
        if (!isAbsoluteHttpUrl(u)) problems.push(`${at}.${k}: expected an absolute http(s) URL, got ${show(u)}`);
      }
      break;
  }
}

/** Problems with `body` as an instance of `schemaName`, each prefixed with the field path; [] when it conforms. */
export function checkResource(schemaName: string, body: unknown): string[] {
  return checkResourceAt(schemaName, body, '');
}

function checkResourceAt(schemaName: string, body: unknown, prefix: string): string[] {
  const fields = schemaFields(schemaName);
  if (!isPlainObject(body)) return [`${prefix || '(body)'}: expected a JSON object, got ${jsonType(body)} ${show(body)}`];
  const problems: string[] = [];
  for (const [name, f] of Object.entries(fields)) {
    if (!Object.prototype.hasOwnProperty.call(body, name) || body[name] === undefined) {
      problems.push(`${prefix}${name}: missing field`);
    } else checkValue(f, body[name], `${prefix}${name}`, problems);
  }
  const extensions = extensionFields(schemaName, EXTENSIONS.resources);
  for (const name of Object.keys(body)) {
    if (Object.prototype.hasOwnProperty.call(fields, name)) continue;
    if (Object.prototype.hasOwnProperty.call(extensions, name)) checkValue(extensions[name], body[name], `${prefix}${name}`, problems);
    else problems.push(`${prefix}${name}: unexpected field (not in ${schemaName})`);
  }
  return problems;
}

const META_FIELDS: Record<string, FieldFact> = {
  page: { type: 'integer', min: 0 },
  page_size: { type: 'integer', min: 1 },
  first_page_url: { type: 'string', format: 'uri' },
  previous_page_url: { type: 'string', format: 'uri', nullable: true },
  next_page_url: { type: 'string', format: 'uri', nullable: true },
  key: { type: 'string' },
  url: { type: 'string', format: 'uri' },
};

/** Problems with a page `{ <key>: [items], meta: {...} }` whose items are `schemaName`; [] when it conforms. */
export function checkList(schemaName: string, body: unknown, key: string): string[] {
  schemaFields(schemaName);
  if (!isPlainObject(body)) return [`(body): expected a JSON object, got ${jsonType(body)} ${show(body)}`];
  const problems: string[] = [];
  const extensions = extensionFields(schemaName, EXTENSIONS.pages);
  for (const name of Object.keys(body)) {
    if (name === key || name === 'meta') continue;
    if (Object.prototype.hasOwnProperty.call(extensions, name)) checkValue(extensions[name], body[name], name, problems);
    else problems.push(`${name}: unexpected top-level field (a page has only "${key}" and "meta")`);
  }
  const meta = body.meta;
  if (meta === undefined) problems.push('meta: missing field');
  else if (!isPlainObject(meta)) problems.push(`meta: expected object, got ${jsonType(meta)} ${show(meta)}`);
  else {
    for (const [name, f] of Object.entries(META_FIELDS)) {
      if (!Object.prototype.hasOwnProperty.call(meta, name) || meta[name] === undefined) problems.push(`meta.${name}: missing field`);
      else checkValue(f, meta[name], `meta.${name}`, problems);
    }
    for (const name of Object.keys(meta)) {
      if (!Object.prototype.hasOwnProperty.call(META_FIELDS, name)) problems.push(`meta.${name}: unexpected field`);
    }
    if (typeof meta.key === 'string' && meta.key !== key) problems.push(`meta.key: expected ${show(key)}, got ${show(meta.key)}`);
  }
  const items = body[key];
  if (items === undefined) problems.push(`${key}: missing list key`);
  else if (!Array.isArray(items)) problems.push(`${key}: expected array, got ${jsonType(items)} ${show(items)}`);
  else {
    if (isPlainObject(meta) && Number.isInteger(meta.page_size) && items.length > (meta.page_size as number)) {
      problems.push(`${key}: ${items.length} items exceed meta.page_size ${String(meta.page_size)}`);
    }
    items.forEach((item, i) => problems.push(...checkResourceAt(schemaName, item, `${key}[${i}].`)));
  }
  return problems;
}

function fail(what: string, problems: string[], body: unknown): never {
  throw new AssertionError({
    message: `${what} does not conform (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    actual: body,
    operator: 'conforms',
  });
}

/** Throws an AssertionError listing every problem when `body` is not a conforming `schemaName`. */
export function assertConforms(schemaName: string, body: unknown): void {
  const problems = checkResource(schemaName, body);
  if (problems.length) fail(schemaName, problems, body);
}

/** Throws an AssertionError when `body` is not a conforming page of `schemaName` items under `key`. */
export function assertListConforms(schemaName: string, body: unknown, key: string): void {
  const problems = checkList(schemaName, body, key);
  if (problems.length) fail(`page of ${schemaName} ("${key}")`, problems, body);
}
