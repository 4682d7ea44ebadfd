import { evaluate } from '../expression/index.ts';
import type { WorkflowConfiguration, WorkflowTarget } from '../workflow/configuration.ts';

/**
 * Where a task stands in its workflow. Pure: the engine stores a Step's (filter, target,
 * filterEnteredAge) on the task and asks here what happens next.
 */
export interface Step {
  /** Index of the matched filter, or null for default_filter. */
  filter: number | null;
  filterName: string | null;
  target: number;
  /** Task age (s) when the task entered this filter: target timeouts are cumulative from here. */
  filterEnteredAge: number;
  spec: WorkflowTarget;
  /** Task age (s) at which this target times out, or null when it waits until the TTL. */
  deadlineAge: number | null;
}

/** The task leaves its workflow: no filter is left to try. */
export interface Exit {
  exit: 'workflow.timeout' | 'workflow.skipped' | 'no-match';
}

export type Placement = Step | Exit;

export const isExit = (p: Placement): p is Exit => 'exit' in p;

/** Variables every expression may use for time-of-day routing (UTC). */
export function timeOfDay(nowMs: number) {
  const d = new Date(nowMs);
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return {
    currentTime: Number(hh + mm),
    currentHour: hh,
    currentMin: mm,
    dayOfWeek: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()],
  };
}

/** Filters see the task's attributes unprefixed, plus `taskrouter.*`. */
function filterContext(task: Record<string, unknown>, nowMs: number): Record<string, unknown> {
  return { ...task, taskrouter: timeOfDay(nowMs) };
}

function stepAt(config: WorkflowConfiguration, filter: number | null, target: number, enteredAge: number): Step {
  if (filter === null) {
    return { filter: null, filterName: null, target: 0, filterEnteredAge: enteredAge, spec: config.defaultFilter!, deadlineAge: null };
  }
  const f = config.filters[filter];
  // Timeouts add up along the filter; a target without one (reached only by skip_if) adds nothing.
  let elapsed = enteredAge;
  for (let i = 0; i <= target; i++) elapsed += f.targets[i].timeout ?? 0;
  const own = f.targets[target].timeout;
  return { filter, filterName: f.name, target, filterEnteredAge: enteredAge, spec: f.targets[target], deadlineAge: own === null ? null : elapsed };
}

/** The first matching filter at or after `from`, its first target. */
function firstMatch(config: WorkflowConfiguration, task: Record<string, unknown>, from: number, age: number, nowMs: number): Step | null {
  const ctx = filterContext(task, nowMs);
  for (let i = from; i < config.filters.length; i++) {
    if (evaluate(config.filters[i].expression, ctx)) return stepAt(config, i, 0, age);
  }
  return null;
}

/** A new task (or a re-evaluated one) enters the workflow: first matching filter wins, else default_filter. */
export function enter(config: WorkflowConfiguration, task: Record<string, unknown>, age: number, nowMs: number): Placement {
  const step = firstMatch(config, task, 0, age, nowMs);
  if (step) return step;
  if (config.defaultFilter) return stepAt(config, null, 0, age);
  return { exit: 'no-match' };
}

/**
 * The current target is done with (timed out, or skipped by skip_if): the next target of the
 * same filter, else the next matching filter below. A task that timed out of a named filter
 * never falls into default_filter; one that skipped its way out is treated as not matching it,
 * so it may.
 */
export function advance(
  config: WorkflowConfiguration,
  step: Step,
  task: Record<string, unknown>,
  age: number,
  nowMs: number,
  why: 'timeout' | 'skip',
): Placement {
  if (step.filter === null) return { exit: why === 'skip' ? 'workflow.skipped' : 'workflow.timeout' };
  const f = config.filters[step.filter];
  if (step.target + 1 < f.targets.length) return stepAt(config, step.filter, step.target + 1, step.filterEnteredAge);
  const next = firstMatch(config, task, step.filter + 1, age, nowMs);
  if (next) return next;
  if (why === 'skip' && config.defaultFilter) return stepAt(config, null, 0, age);
  return { exit: why === 'skip' ? 'workflow.skipped' : 'workflow.timeout' };
}

/** Rebuilds a stored position against the configuration (used after a restart or a reload). */
export function resume(config: WorkflowConfiguration, filter: number | null, target: number, enteredAge: number): Step | null {
  if (filter === null) return config.defaultFilter ? stepAt(config, null, 0, enteredAge) : null;
  if (!config.filters[filter] || !config.filters[filter].targets[target]) return null;
  return stepAt(config, filter, target, enteredAge);
}
