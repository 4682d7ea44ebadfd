import { invalidParameter } from '../../core/errors.ts';

/**
 * Cumulative statistics from the events of a window: counts of what happened, how long tasks
 * waited, and how waits fall around the SplitByWaitTime thresholds. Pure: the caller loads the
 * events (already narrowed to a workspace, queue, workflow or worker, and to a TaskChannel).
 */

/** An event as statistics need it. */
export interface StatEvent {
  type: string;
  /** Epoch milliseconds. */
  date: number;
  /** The task's age in seconds when the event happened (TaskAge), for accepted reservations and canceled tasks. */
  taskAge?: number | null;
  /** When the task entered its current queue (TaskQueueEnteredDate, epoch seconds). */
  queueEnteredDate?: number | null;
}

export interface DurationStats {
  avg: number;
  min: number;
  max: number;
  total: number;
}

/** avg/min/max/total of whole seconds; the average is rounded down. All zero when there is nothing. */
export function durationStats(seconds: readonly number[]): DurationStats {
  if (seconds.length === 0) return { avg: 0, min: 0, max: 0, total: 0 };
  let min = Infinity;
  let max = -Infinity;
  let total = 0;
  for (const s of seconds) {
    if (s < min) min = s;
    if (s > max) max = s;
    total += s;
  }
  return { avg: Math.floor(total / seconds.length), min, max, total };
}

export interface SplitCounts {
  tasks_canceled: number;
  reservations_accepted: number;
}

export type SplitByWaitTime = Record<string, { above: SplitCounts; below: SplitCounts }>;

/** The most thresholds one request may ask for. */
export const MAX_THRESHOLDS = 10;

/** `SplitByWaitTime=5,30` into [5, 30]: whole seconds, no blanks, no repeats. Undefined when absent. */
export function parseSplitByWaitTime(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((p) => p.trim());
  const bad = (why: string) => invalidParameter(`Invalid SplitByWaitTime parameter: '${value}' ${why}`);
  if (parts.length > MAX_THRESHOLDS) throw bad(`has more than ${MAX_THRESHOLDS} thresholds`);
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,9}$/.test(p)) throw bad('must be a comma-separated list of whole seconds, such as 5,30');
    const n = Number(p);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/**
 * For each threshold, how many reservations were accepted and tasks canceled after waiting at most
 * that long ("below": within the threshold) or longer ("above").
 */
export function splitByWaitTime(thresholds: readonly number[], acceptedWaits: readonly number[], canceledWaits: readonly number[]): SplitByWaitTime {
  const out: SplitByWaitTime = {};
  for (const t of thresholds) {
    const below = { tasks_canceled: 0, reservations_accepted: 0 };
    const above = { tasks_canceled: 0, reservations_accepted: 0 };
    for (const w of acceptedWaits) (w <= t ? below : above).reservations_accepted++;
    for (const w of canceledWaits) (w <= t ? below : above).tasks_canceled++;
    out[String(t)] = { above, below };
  }
  return out;
}

export interface ReservationCounts {
  reservations_created: number;
  reservations_accepted: number;
  reservations_rejected: number;
  reservations_timed_out: number;
  reservations_canceled: number;
  reservations_rescinded: number;
}

const RESERVATION_EVENTS: Record<string, keyof ReservationCounts> = {
  'reservation.created': 'reservations_created',
  'reservation.accepted': 'reservations_accepted',
  'reservation.rejected': 'reservations_rejected',
  'reservation.timeout': 'reservations_timed_out',
  'reservation.canceled': 'reservations_canceled',
  'reservation.rescinded': 'reservations_rescinded',
};

export function reservationCounts(events: readonly StatEvent[]): ReservationCounts {
  const out: ReservationCounts = {
    reservations_created: 0,
    reservations_accepted: 0,
    reservations_rejected: 0,
    reservations_timed_out: 0,
    reservations_canceled: 0,
    reservations_rescinded: 0,
  };
  for (const e of events) {
    const key = RESERVATION_EVENTS[e.type];
    if (key) out[key]++;
  }
  return out;
}

/** The event types cumulative statistics read; the loader asks the store for these only. */
export const CUMULATIVE_EVENT_TYPES = [
  ...Object.keys(RESERVATION_EVENTS),
  'task.created',
  'task.canceled',
  'task.completed',
  'task.deleted',
  'task.system-deleted',
  'task-queue.entered',
  'task-queue.moved',
  'workflow.entered',
  'workflow.timeout',
] as const;

/** What cumulative statistics are about; each has its own set of fields, as Twilio's schemas do. */
export type Scope = 'workspace' | 'queue' | 'workflow';

export interface TaskCumulative extends ReservationCounts {
  avg_task_acceptance_time: number;
  start_time: string | null;
  end_time: string | null;
  split_by_wait_time: SplitByWaitTime | null;
  wait_duration_until_accepted: DurationStats;
  wait_duration_until_canceled: DurationStats;
  wait_duration_in_queue_until_accepted?: DurationStats;
  tasks_canceled: number;
  tasks_completed: number;
  tasks_created?: number;
  tasks_entered?: number;
  tasks_deleted: number;
  tasks_moved: number;
  tasks_timed_out_in_workflow?: number;
}

/**
 * The cumulative statistics of a workspace, queue or workflow from the events of its window.
 * Waits run from the task's creation to its accepted reservation or its cancellation; a queue also
 * reports the wait from entering the queue. Fields come in the order of Twilio's schemas.
 */
export function taskCumulative(
  scope: Scope,
  events: readonly StatEvent[],
  window: { start: string | null; end: string | null },
  thresholds?: readonly number[],
): TaskCumulative {
  const count = (...types: string[]) => events.filter((e) => types.includes(e.type)).length;
  const accepted = events.filter((e) => e.type === 'reservation.accepted');
  const canceled = events.filter((e) => e.type === 'task.canceled');
  const acceptedWaits = accepted.map((e) => Math.max(0, e.taskAge ?? 0));
  const canceledWaits = canceled.map((e) => Math.max(0, e.taskAge ?? 0));
  const untilAccepted = durationStats(acceptedWaits);
  const out: TaskCumulative = {
    avg_task_acceptance_time: untilAccepted.avg,
    start_time: window.start,
    end_time: window.end,
    ...reservationCounts(events),
    split_by_wait_time: thresholds ? splitByWaitTime(thresholds, acceptedWaits, canceledWaits) : null,
    wait_duration_until_accepted: untilAccepted,
    wait_duration_until_canceled: durationStats(canceledWaits),
  } as TaskCumulative;
  if (scope === 'queue')
    out.wait_duration_in_queue_until_accepted = durationStats(
      accepted.map((e) =>
        e.queueEnteredDate == null ? Math.max(0, e.taskAge ?? 0) : Math.max(0, Math.floor(e.date / 1000) - e.queueEnteredDate),
      ),
    );
  out.tasks_canceled = count('task.canceled');
  out.tasks_completed = count('task.completed');
  if (scope === 'workspace') out.tasks_created = count('task.created');
  if (scope === 'workflow') out.tasks_entered = count('workflow.entered');
  out.tasks_deleted = count('task.deleted', 'task.system-deleted');
  if (scope === 'queue') out.tasks_entered = count('task-queue.entered');
  out.tasks_moved = count('task-queue.moved');
  if (scope !== 'queue') out.tasks_timed_out_in_workflow = count('workflow.timeout');
  return out;
}
