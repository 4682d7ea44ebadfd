import type { Window } from './window.ts';

/**
 * How long workers spent in each activity within a window. Pure: built from each worker's
 * activity changes (worker.activity.update events) and the activity it is in now.
 */

export interface ActivityRef {
  sid: string;
  friendly_name: string;
}

/** One continuous stay of a worker in an activity, in epoch milliseconds. */
export interface Stint {
  activitySid: string;
  from: number;
  to: number;
}

/** A worker.activity.update event: the worker left `previousActivitySid` at `date`, after `previousMs` in it. */
export interface ActivityChange {
  date: number;
  previousActivitySid: string;
  previousMs: number;
}

/**
 * A worker's stints: one per activity change (the activity it left, for as long as it had been
 * in it) plus the one it is in now, from its last change until `now`.
 */
export function workerStints(changes: readonly ActivityChange[], current: { activitySid: string; since: number }, now: number): Stint[] {
  const stints = changes.map((c) => ({ activitySid: c.previousActivitySid, from: c.date - Math.max(0, c.previousMs), to: c.date }));
  stints.push({ activitySid: current.activitySid, from: current.since, to: Math.max(current.since, now) });
  return stints;
}

export interface ActivityDuration {
  sid: string;
  friendly_name: string;
  avg: number;
  min: number;
  max: number;
  total: number;
}

/**
 * For every activity: the shortest, average, longest and total stay within the window, in whole
 * seconds (rounded down). Each stint, cut to the window, is one sample; an activity nobody was in
 * has zeros.
 */
export function activityDurations(activities: readonly ActivityRef[], stints: readonly Stint[], window: Window): ActivityDuration[] {
  const samples = new Map<string, number[]>();
  for (const s of stints) {
    const ms = Math.min(s.to, window.end) - Math.max(s.from, window.start);
    if (ms <= 0) continue;
    let list = samples.get(s.activitySid);
    if (!list) samples.set(s.activitySid, (list = []));
    list.push(ms);
  }
  return activities.map((a) => {
    const ms = samples.get(a.sid) ?? [];
    if (ms.length === 0) return { sid: a.sid, friendly_name: a.friendly_name, avg: 0, min: 0, max: 0, total: 0 };
    const total = ms.reduce((x, y) => x + y, 0);
    return {
      sid: a.sid,
      friendly_name: a.friendly_name,
      avg: Math.floor(total / ms.length / 1000),
      min: Math.floor(Math.min(...ms) / 1000),
      max: Math.floor(Math.max(...ms) / 1000),
      total: Math.floor(total / 1000),
    };
  });
}
