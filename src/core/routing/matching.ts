import { evaluate } from '../expression/index.ts';
import { timeOfDay, type Step } from './workflow.ts';

/** What the matcher needs to know about a worker: no I/O, the engine gathers it. */
export interface Candidate {
  sid: string;
  friendlyName: string;
  activitySid: string;
  activityName: string;
  /** Whether the worker's activity is an available one. */
  available: boolean;
  attributes: Record<string, unknown>;
  /** The worker's channel for the task's TaskChannel. */
  channel: { capacity: number; available: boolean; held: number; assigned: number };
  /** Every channel, for `worker.channel.<name>.*` expressions. */
  channels: Record<string, { configured_capacity: number; assigned_tasks: number; available_capacity_percentage: number }>;
  /** When the worker last got a task (or became available): longest idle goes first. */
  idleSince: number;
  /** Whether this worker already holds a reservation for the task being routed. */
  reservedForTask: boolean;
}

export interface RoutedTask {
  sid: string;
  attributes: Record<string, unknown>;
  /** Capacity is not checked: a task routed straight to a worker (RoutingTarget with IgnoreCapacity). */
  ignoreCapacity: boolean;
}

export type Ineligible =
  | 'activity-unavailable'
  | 'channel-unavailable'
  | 'no-capacity'
  | 'single-task-busy'
  | 'target-expression'
  | 'known-worker'
  | 'already-reserved';

export function workerContext(c: Candidate): Record<string, unknown> {
  return {
    ...c.attributes,
    sid: c.sid,
    friendly_name: c.friendlyName,
    activity_sid: c.activitySid,
    activity_name: c.activityName,
    channel: c.channels,
  };
}

/** The expression context of a target: `task.*`, `worker.*`, `taskrouter.*`. */
export function targetContext(task: RoutedTask, c: Candidate, nowMs: number): Record<string, unknown> {
  return { task: task.attributes, worker: workerContext(c), taskrouter: timeOfDay(nowMs) };
}

/** The value a known-worker target names, read from the task (`task.last_agent` → its value). */
export function knownWorker(step: Step, task: RoutedTask): { by: 'sid' | 'friendly_name'; value: unknown } | null {
  const ref = step.spec.knownWorkerSid ?? step.spec.knownWorkerFriendlyName;
  if (!ref) return null;
  const path = ref.replace(/^task\./, '').split('.');
  let v: unknown = task.attributes;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return { by: step.spec.knownWorkerSid ? 'sid' : 'friendly_name', value: v };
}

/**
 * Why a queue member cannot take this task now, or null when it can. Queue membership itself
 * is the engine's business (it keeps it up to date); this checks everything else.
 */
export function whyIneligible(
  task: RoutedTask,
  step: Step,
  c: Candidate,
  opts: { multiTask: boolean; nowMs: number },
): Ineligible | null {
  if (c.reservedForTask) return 'already-reserved';
  if (!c.available) return 'activity-unavailable';
  if (!task.ignoreCapacity) {
    if (!c.channel.available) return 'channel-unavailable';
    if (opts.multiTask) {
      if (c.channel.held >= c.channel.capacity) return 'no-capacity';
    } else if (Object.values(c.channels).some((ch) => ch.configured_capacity > 0 && ch.available_capacity_percentage < 100) || c.channel.held > 0) {
      return 'single-task-busy';
    }
  }
  const known = knownWorker(step, task);
  if (known && (known.by === 'sid' ? c.sid : c.friendlyName) !== known.value) return 'known-worker';
  if (step.spec.expression && !evaluate(step.spec.expression, targetContext(task, c, opts.nowMs))) return 'target-expression';
  return null;
}

interface OrderClause {
  path: string[];
  desc: boolean;
}

/** `worker.level DESC, worker.tenure ASC` → clauses; anything unreadable is ignored, as Twilio does. */
export function parseOrderBy(orderBy: string | null): OrderClause[] {
  if (!orderBy) return [];
  return orderBy
    .split(',')
    .map((s) => s.trim().match(/^worker\.([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)(?:\s+(ASC|DESC))?$/i))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => ({ path: m[1].split('.'), desc: (m[2] ?? 'ASC').toUpperCase() === 'DESC' }));
}

function intAt(attrs: Record<string, unknown>, path: string[]): number | undefined {
  let v: unknown = attrs;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

/**
 * Orders eligible workers: the target's order_by clauses (integers only; a worker missing the
 * attribute goes after those having it), then the longest idle first, then SID for determinism.
 */
export function orderWorkers(cands: Candidate[], orderBy: string | null): Candidate[] {
  const clauses = parseOrderBy(orderBy);
  return [...cands].sort((a, b) => {
    for (const c of clauses) {
      const x = intAt(a.attributes, c.path);
      const y = intAt(b.attributes, c.path);
      if (x === undefined && y === undefined) continue;
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      if (x !== y) return c.desc ? y - x : x - y;
    }
    return a.idleSince - b.idleSince || (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0);
  });
}

/** The workers to reserve for a task at a step, at most `max`. */
export function chooseWorkers(
  task: RoutedTask,
  step: Step,
  cands: Candidate[],
  max: number,
  opts: { multiTask: boolean; nowMs: number },
): Candidate[] {
  const ok = cands.filter((c) => whyIneligible(task, step, c, opts) === null);
  return orderWorkers(ok, step.spec.orderBy).slice(0, Math.max(0, max));
}

/** skip_if sees per-activity worker counts of the target queue: `workers.available`, `workers.WA...`. */
export function skipIfContext(
  members: { available: boolean; activitySid: string }[],
  nowMs: number,
  activitySids: readonly string[] = [],
): Record<string, unknown> {
  // An activity nobody is in counts 0, not "missing": `workers.WA... < 2` must hold for it.
  const workers: Record<string, number> = { available: 0, unavailable: 0 };
  for (const sid of activitySids) workers[sid] = 0;
  for (const m of members) {
    workers[m.available ? 'available' : 'unavailable']++;
    workers[m.activitySid] = (workers[m.activitySid] ?? 0) + 1;
  }
  return { workers, taskrouter: timeOfDay(nowMs) };
}
