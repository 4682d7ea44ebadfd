/**
 * Derive compact conformance facts from Twilio's OpenAPI specs.
 *
 *   npx tsx scripts/derive-facts.ts [specDir]
 *
 * Reads twilio_{taskrouter,flex,conversations}_v1.json and twilio_flex_v2.json (SPEC_FILES) from `specDir`
 * (default: `../shared/reference/openapi` relative to the project root, overridable with SWITCHYARD_OPENAPI_DIR)
 * and writes `spec/facts.json`. A product's versions share one host, so their paths (/v1/..., /v2/...) are merged.
 *
 * Output is deterministic (no timestamps) so re-running it on the same specs produces no diff.
 * No prose or descriptions are kept; small objects and each example are written on one line. Shape (see test/support/conformance.ts for the TypeScript types):
 *
 *   {
 *     sources:  { <product>[_v2]: { file, sha256 } },
 *     products: { <product>: {
 *        server, enums: { <enumName>: [values] },
 *        paths: { <templated path>: { <METHOD>: OperationFact } },
 *        schemas: { <schemaName>: { <field>: FieldFact } } } },
 *     examples: { <schemaName>: <first spec example of one resource of that schema> }
 *   }
 *
 * Conventions applied while deriving:
 *  - a field without `type` is `any` (free-form JSON);
 *  - a field whose schema is an enum `$ref` gets the resolved `enum` values, `enumRef`, and `nullable: true`
 *    (OAS 3.0 cannot put `nullable` beside `$ref`; api-surface.md says to treat these as nullable);
 *  - `pattern: ^XX[0-9a-fA-F]{32}$` becomes `sid: "XX"`; any other pattern is kept verbatim as `pattern`;
 *  - `nullable` is only written when true.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObj = { [k: string]: Json };

export type Product = 'taskrouter' | 'flex' | 'conversations';
export const PRODUCTS: Product[] = ['taskrouter', 'flex', 'conversations'];
/** Each product's spec files, one per API version. */
const SPEC_FILES: Record<Product, string[]> = {
  taskrouter: ['twilio_taskrouter_v1.json'],
  flex: ['twilio_flex_v1.json', 'twilio_flex_v2.json'],
  conversations: ['twilio_conversations_v1.json'],
};

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
  default?: Json;
}

export interface OperationFact {
  operationId: string;
  /** primary success status (lowest declared 2xx) */
  status: number;
  /** all declared success statuses, only when more than one */
  statuses?: number[];
  pathParams?: Record<string, FieldFact>;
  query?: Record<string, FieldFact>;
  headers?: Record<string, FieldFact>;
  /** request body encoding, when the operation has a body */
  bodyType?: 'form' | 'json';
  body?: Record<string, FieldFact>;
  /** response schema name (for a list operation: the item schema) */
  schema?: string;
  /** list operations only: the key holding the items array (== meta.key) */
  listKey?: string;
}

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SPEC_DIR = resolve(
  PROJECT_ROOT,
  process.argv[2] ?? process.env.SWITCHYARD_OPENAPI_DIR ?? '../shared/reference/openapi',
);
const OUT_FILE = join(PROJECT_ROOT, 'spec', 'facts.json');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const SID_RE = /^\^([A-Z]{2})\[0-9a-fA-F\]\{32\}\$$/;

function isObj(v: unknown): v is JsonObj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function refName(ref: string): string {
  const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
  if (!m) throw new Error(`unsupported $ref ${ref}`);
  return m[1];
}

function deriveProduct(product: Product, spec: JsonObj) {
  const components = (spec.components as JsonObj).schemas as JsonObj;
  const enums: Record<string, string[]> = {};
  for (const [name, def] of Object.entries(components)) {
    if (isObj(def) && Array.isArray(def.enum) && !def.properties) enums[name] = def.enum as string[];
  }

  /** Convert one OpenAPI schema node (property / parameter / item) into a FieldFact. */
  function field(node: Json | undefined, where: string, opts: { keepDefault?: boolean } = {}): FieldFact {
    if (!isObj(node)) throw new Error(`${where}: schema is not an object`);
    if (typeof node.$ref === 'string') {
      const name = refName(node.$ref);
      const values = enums[name];
      if (!values) throw new Error(`${where}: $ref ${name} is not an enum schema`);
      return { type: 'string', enum: values, enumRef: name, nullable: true };
    }
    for (const k of ['anyOf', 'oneOf', 'allOf']) if (k in node) throw new Error(`${where}: unsupported ${k}`);
    const t = node.type;
    const f: FieldFact = {
      type:
        t === undefined
          ? 'any'
          : t === 'string' || t === 'integer' || t === 'number' || t === 'boolean' || t === 'object' || t === 'array'
            ? t
            : (() => {
                throw new Error(`${where}: unknown type ${String(t)}`);
              })(),
    };
    if (typeof node.format === 'string') f.format = node.format;
    if (node.nullable === true) f.nullable = true;
    if (Array.isArray(node.enum)) f.enum = node.enum as string[];
    if (typeof node.pattern === 'string') {
      const m = SID_RE.exec(node.pattern);
      if (m) f.sid = m[1];
      else f.pattern = node.pattern;
    }
    if (typeof node.minimum === 'number') f.min = node.minimum;
    if (typeof node.maximum === 'number') f.max = node.maximum;
    if (f.type === 'array') {
      const items = field(node.items ?? {}, `${where}[]`);
      if (items.type !== 'any') {
        delete items.nullable;
        f.items = items;
      }
    }
    if (opts.keepDefault && node.default !== undefined) f.default = node.default;
    return f;
  }

  const schemas: Record<string, Record<string, FieldFact>> = {};
  for (const [name, def] of Object.entries(components)) {
    if (!isObj(def) || !isObj(def.properties)) continue;
    const fields: Record<string, FieldFact> = {};
    for (const [fname, fdef] of Object.entries(def.properties)) fields[fname] = field(fdef, `${name}.${fname}`);
    schemas[name] = fields;
  }

  const examples: Record<string, Json> = {};
  const paths: Record<string, Record<string, OperationFact>> = {};
  for (const [path, item] of Object.entries(spec.paths as JsonObj)) {
    if (!isObj(item)) continue;
    const ops: Record<string, OperationFact> = {};
    for (const method of METHODS) {
      const op = item[method];
      if (!isObj(op)) continue;
      const where = `${product} ${method.toUpperCase()} ${path}`;
      const responses = op.responses as JsonObj;
      const codes = Object.keys(responses)
        .filter((c) => /^2\d\d$/.test(c))
        .map(Number)
        .sort((a, b) => a - b);
      if (codes.length === 0) throw new Error(`${where}: no success response`);
      const fact: OperationFact = { operationId: String(op.operationId), status: codes[0] };
      if (codes.length > 1) fact.statuses = codes;

      for (const p of (op.parameters as Json[] | undefined) ?? []) {
        if (!isObj(p)) continue;
        const pf = field(p.schema, `${where} param ${String(p.name)}`, { keepDefault: true });
        delete pf.nullable;
        const bucket = p.in === 'path' ? 'pathParams' : p.in === 'query' ? 'query' : p.in === 'header' ? 'headers' : null;
        if (!bucket) throw new Error(`${where}: parameter in ${String(p.in)}`);
        if (p.required === true && p.in !== 'path') pf.required = true;
        (fact[bucket] ??= {})[String(p.name)] = pf;
      }

      if (isObj(op.requestBody)) {
        const content = op.requestBody.content as JsonObj;
        const [ctype, media] = Object.entries(content)[0];
        fact.bodyType = ctype === 'application/json' ? 'json' : 'form';
        const schema = (media as JsonObj).schema as JsonObj;
        const required = new Set((schema.required as string[] | undefined) ?? []);
        const body: Record<string, FieldFact> = {};
        for (const [bname, bdef] of Object.entries((schema.properties as JsonObj | undefined) ?? {})) {
          const bf = field(bdef, `${where} body ${bname}`, { keepDefault: true });
          delete bf.nullable;
          if (required.has(bname)) bf.required = true;
          body[bname] = bf;
        }
        fact.body = body;
      }

      for (const code of codes) {
        const media = ((responses[String(code)] as JsonObj).content as JsonObj | undefined)?.['application/json'];
        if (!isObj(media)) continue;
        const schema = media.schema as JsonObj;
        let schemaName: string;
        let listKey: string | undefined;
        if (typeof schema.$ref === 'string') schemaName = refName(schema.$ref);
        else {
          const props = schema.properties as JsonObj;
          const keys = Object.keys(props).filter((k) => k !== 'meta');
          if (!('meta' in props) || keys.length !== 1) throw new Error(`${where}: unexpected inline response schema`);
          listKey = keys[0];
          schemaName = refName(((props[listKey] as JsonObj).items as JsonObj).$ref as string);
        }
        if (fact.schema && fact.schema !== schemaName) throw new Error(`${where}: success codes disagree on schema`);
        fact.schema = schemaName;
        if (listKey) fact.listKey = listKey;
        if (!schemas[schemaName]) throw new Error(`${where}: unknown schema ${schemaName}`);
        for (const ex of Object.values((media.examples as JsonObj | undefined) ?? {})) {
          let value: Json | undefined = (ex as JsonObj).value;
          if (listKey) value = isObj(value) && Array.isArray(value[listKey]) ? (value[listKey] as Json[])[0] : undefined;
          if (isObj(value) && !(schemaName in examples)) examples[schemaName] = value;
        }
      }
      ops[method.toUpperCase()] = fact;
    }
    paths[path] = ops;
  }

  const servers = spec.servers as JsonObj[] | undefined;
  return {
    server: servers?.[0]?.url as string | undefined,
    enums,
    paths,
    schemas,
    examples,
  };
}

/** A later version's facts added to a product's: same host, paths and enums that never clash. */
function mergeVersions<T extends { server?: string; enums: Record<string, string[]>; paths: Record<string, unknown>; schemas: Record<string, unknown> }>(a: T, b: T, file: string): T {
  if (b.server !== a.server) throw new Error(`${file}: server ${b.server} differs from ${a.server}`);
  for (const p of Object.keys(b.paths)) if (p in a.paths) throw new Error(`${file}: path ${p} is in two versions`);
  for (const [e, values] of Object.entries(b.enums))
    if (e in a.enums && JSON.stringify(a.enums[e]) !== JSON.stringify(values)) throw new Error(`${file}: enum ${e} differs between versions`);
  return { ...a, enums: { ...a.enums, ...b.enums }, paths: { ...a.paths, ...b.paths }, schemas: { ...a.schemas, ...b.schemas } };
}

/**
 * JSON with 1-space indent, except that any value whose compact form fits in 120 characters, and every spec
 * example (depth 2 under `examples`), is written on one line: small and still diff-friendly.
 */
function format(value: unknown, indent: string, depth: number, underExamples = false): string {
  const compact = JSON.stringify(value);
  if (typeof value !== 'object' || value === null) return compact;
  if (compact.length <= 120 || (underExamples && depth >= 2)) return compact;
  const inner = indent + ' ';
  if (Array.isArray(value)) {
    return `[\n${value.map((v) => inner + format(v, inner, depth + 1, underExamples)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, inner, depth + 1, underExamples || (depth === 0 && k === 'examples'))}`,
  );
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

function main(): void {
  const out: {
    sources: Record<string, { file: string; sha256: string }>;
    products: Record<string, unknown>;
    examples: Record<string, Json>;
  } = { sources: {}, products: {}, examples: {} };
  const seenSchemas = new Map<string, Product>();
  for (const product of PRODUCTS) {
    let merged: Omit<ReturnType<typeof deriveProduct>, 'examples'> | undefined;
    for (const file of SPEC_FILES[product]) {
      const raw = readFileSync(join(SPEC_DIR, file));
      const version = /_(v\d+)\.json$/.exec(file)?.[1];
      out.sources[version === 'v1' ? product : `${product}_${version}`] = { file, sha256: createHash('sha256').update(raw).digest('hex') };
      const { examples, ...facts } = deriveProduct(product, JSON.parse(raw.toString('utf8')) as JsonObj);
      for (const name of Object.keys(facts.schemas)) {
        const prev = seenSchemas.get(name);
        if (prev) throw new Error(`schema ${name} defined by both ${prev} and ${product}`);
        seenSchemas.set(name, product);
      }
      merged = merged ? mergeVersions(merged, facts, file) : facts;
      Object.assign(out.examples, examples);
    }
    out.products[product] = merged;
  }
  mkdirSync(dirname(OUT_FILE), { recursive: true });
  const text = format(out, '', 0) + '\n';
  writeFileSync(OUT_FILE, text);
  const count = (p: string) =>
    Object.values((out.products[p] as { paths: Record<string, object> }).paths).reduce(
      (n, ops) => n + Object.keys(ops).length,
      0,
    );
  console.log(
    `wrote ${OUT_FILE} (${text.length} bytes): ` +
      PRODUCTS.map((p) => `${p} ${count(p)} ops`).join(', ') +
      `, ${seenSchemas.size} schemas, ${Object.keys(out.examples).length} examples`,
  );
}

main();
