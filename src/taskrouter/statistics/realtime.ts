import type { ActivityRef } from './activity.ts';

/**
 * Real-time statistics shaped from current rows: tasks by status and priority, workers by
 * activity. Pure: the caller counts, these functions give the counts Twilio's shape.
 */

/** The statuses of a live task; completed and canceled tasks are no longer counted. */
export const LIVE_STATUSES = ['pending', 'reserved', 'assigned', 'wrapping'] as const;
/** A task is waiting until a worker accepts it. */
export const WAITING_STATUSES = ['pending', 'reserved'] as const;

export interface TaskCount {
  status: string;
  priority: number;
  n: number;
}

export type TasksByStatus = Record<(typeof LIVE_STATUSES)[number], number>;

export function tasksByStatus(counts: readonly TaskCount[]): TasksByStatus {
  const out: TasksByStatus = { pending: 0, reserved: 0, assigned: 0, wrapping: 0 };
  for (const c of counts) if (c.status in out) out[c.status as keyof TasksByStatus] += c.n;
  return out;
}

/** {"0": 3, "10": 1}: only priorities that have tasks. */
export function tasksByPriority(counts: readonly TaskCount[]): Record<string, number> {
  const out: Record<string, number> = {};
  const sorted = [...counts].sort((a, b) => a.priority - b.priority);
  for (const c of sorted) if ((LIVE_STATUSES as readonly string[]).includes(c.status)) out[String(c.priority)] = (out[String(c.priority)] ?? 0) + c.n;
  return out;
}

export function totalTasks(counts: readonly TaskCount[]): number {
  return counts.filter((c) => (LIVE_STATUSES as readonly string[]).includes(c.status)).reduce((n, c) => n + c.n, 0);
}

export interface ActivityCount {
  friendly_name: string;
  workers: number;
  sid: string;
}

/** Every activity of the workspace, in creation order, with how many of the counted workers are in it. */
export function activityStatistics(activities: readonly ActivityRef[], workersByActivity: ReadonlyMap<string, number>): ActivityCount[] {
  return activities.map((a) => ({ friendly_name: a.friendly_name, workers: workersByActivity.get(a.sid) ?? 0, sid: a.sid }));
}

/** The age in whole seconds of something that started at `since`. */
export function ageSeconds(since: number, now: number): number {
  return Math.max(0, Math.floor((now - since) / 1000));
}
