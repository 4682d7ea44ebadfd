import { invalidParameter } from '../errors.ts';
import { parseJson } from '../input.ts';
import { ExpressionSyntaxError, parseExpression, type Expression } from '../expression/index.ts';

/** A workflow configuration, validated and normalised (numbers as numbers, expressions parsed). */
export interface WorkflowConfiguration {
  filters: WorkflowFilter[];
  defaultFilter: WorkflowTarget | null;
}

export interface WorkflowFilter {
  name: string | null;
  expression: Expression;
  targets: WorkflowTarget[];
}

export interface WorkflowTarget {
  /** Resolved queue SID: a target without `queue` inherits the previous target's. */
  queue: string;
  priority: number | null;
  timeout: number | null;
  expression: Expression | null;
  orderBy: string | null;
  skipIf: Expression | null;
  knownWorkerSid: string | null;
  knownWorkerFriendlyName: string | null;
}

export const MAX_CONFIGURATION_BYTES = 1_038_576;

const fail = (path: string, why: string) => invalidParameter(`Invalid Configuration: ${path} ${why}`);

/**
 * Parses and checks a workflow configuration document. Pure: the caller checks that the queues
 * it names exist (see `queuesOf`).
 */
export function parseWorkflowConfiguration(text: string): WorkflowConfiguration {
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIGURATION_BYTES)
    throw invalidParameter(`Invalid Configuration: larger than the limit of ${MAX_CONFIGURATION_BYTES} bytes`);
  const doc = parseJson(text, 'Configuration');
  if (!isObject(doc) || !isObject(doc.task_routing)) throw fail('task_routing', 'must be an object');
  const routing = doc.task_routing;
  const rawFilters = routing.filters ?? [];
  if (!Array.isArray(rawFilters)) throw fail('task_routing.filters', 'must be an array');
  const filters = rawFilters.map((f, i) => parseFilter(f, `task_routing.filters[${i}]`));
  let defaultFilter: WorkflowTarget | null = null;
  if (routing.default_filter !== undefined && routing.default_filter !== null) {
    const d = routing.default_filter;
    if (!isObject(d) || typeof d.queue !== 'string') throw fail('task_routing.default_filter.queue', 'must be a TaskQueue SID');
    defaultFilter = parseTarget({ queue: d.queue }, 'task_routing.default_filter', null);
  }
  if (filters.length === 0 && !defaultFilter) throw fail('task_routing', 'needs at least one filter or a default_filter');
  return { filters, defaultFilter };
}

function parseFilter(raw: unknown, path: string): WorkflowFilter {
  if (!isObject(raw)) throw fail(path, 'must be an object');
  const expression = expr(raw.expression, `${path}.expression`, true) as Expression;
  if (!Array.isArray(raw.targets) || raw.targets.length === 0) throw fail(`${path}.targets`, 'must be a non-empty array');
  const targets: WorkflowTarget[] = [];
  let inherited: string | null = null;
  raw.targets.forEach((t, i) => {
    const target = parseTarget(t, `${path}.targets[${i}]`, inherited);
    inherited = target.queue;
    targets.push(target);
  });
  const name = raw.filter_friendly_name ?? raw.friendly_name ?? null;
  if (name !== null && typeof name !== 'string') throw fail(`${path}.filter_friendly_name`, 'must be a string');
  return { name, expression, targets };
}

function parseTarget(raw: unknown, path: string, inheritedQueue: string | null): WorkflowTarget {
  if (!isObject(raw)) throw fail(path, 'must be an object');
  const queue = raw.queue ?? inheritedQueue;
  if (typeof queue !== 'string' || !/^WQ[0-9a-fA-F]{32}$/.test(queue)) throw fail(`${path}.queue`, 'must be a TaskQueue SID (WQ...)');
  return {
    queue,
    priority: integer(raw.priority, `${path}.priority`, false),
    timeout: integer(raw.timeout, `${path}.timeout`, true),
    expression: expr(raw.expression, `${path}.expression`, false),
    orderBy: str(raw.order_by, `${path}.order_by`),
    skipIf: expr(raw.skip_if, `${path}.skip_if`, false),
    knownWorkerSid: str(raw.known_worker_sid, `${path}.known_worker_sid`),
    knownWorkerFriendlyName: str(raw.known_worker_friendly_name, `${path}.known_worker_friendly_name`),
  };
}

/** Every queue a configuration routes to, so references can be checked and kept. */
export function queuesOf(config: WorkflowConfiguration): string[] {
  const all = config.filters.flatMap((f) => f.targets.map((t) => t.queue));
  if (config.defaultFilter) all.push(config.defaultFilter.queue);
  return [...new Set(all)];
}

// Twilio's own examples write numbers as strings ("timeout": "10"), so both are accepted.
function integer(v: unknown, path: string, positive: boolean): number | null {
  if (v === undefined || v === null) return null;
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw fail(path, 'must be an integer');
  if (positive && n <= 0) throw fail(path, 'must be a positive number of seconds');
  return n;
}

function str(v: unknown, path: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw fail(path, 'must be a string');
  return v;
}

function expr(v: unknown, path: string, required: boolean): Expression | null {
  if (v === undefined || v === null) {
    if (required) throw fail(path, 'is required');
    return null;
  }
  if (typeof v !== 'string') throw fail(path, 'must be a string');
  // An empty filter expression would silently never match: say so instead.
  if (v.trim() === '') {
    if (required) throw fail(path, 'must not be empty');
    return null;
  }
  try {
    return parseExpression(v);
  } catch (err) {
    if (err instanceof ExpressionSyntaxError) throw fail(path, `is not a valid expression: ${err.message}`);
    throw err;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
