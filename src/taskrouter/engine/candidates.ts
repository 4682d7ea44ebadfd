import type { Candidate } from '../../core/routing/matching.ts';
import type { Executor } from '../../store/database.ts';
import { parseAttributes } from '../attributes.ts';

/** Queue members are read a page at a time, in longest-idle order. */
export const CANDIDATE_PAGE = 500;

export interface CandidateQuery {
  taskSid: string;
  queueSid: string;
  taskChannelSid: string;
  multiTask: boolean;
  ignoreCapacity: boolean;
  knownWorker?: { by: 'sid' | 'friendly_name'; value: string } | null;
  /** Whether the target expression reads worker.channel.*: only then are all channels loaded. */
  needChannels: boolean;
  /** Restrict to one worker (a worker becoming free looks for work). */
  workerSid?: string;
  /** Look at every worker of this workspace instead of the queue's members (tasks routed to a worker). */
  anyWorkerOf?: string;
  /** Which page of CANDIDATE_PAGE members to read (0 = the longest idle). */
  page?: number;
  /**
   * A transfer offers the task afresh: only those holding it now, or offered it before in this
   * transfer, are left out (not those who once rejected it).
   */
  transferSid?: string;
}

/**
 * Queue members who could take the task now: available activity, channel available with spare
 * capacity (or no task at all, single-tasking), no earlier reservation for this task. The target
 * expression and ordering are the pure matcher's job.
 */
// CROSS JOIN keeps SQLite's join order as written: from the queue's members outwards. Left to itself
// it starts from every worker with the channel, which costs the whole workspace per task.
export async function loadCandidates(db: Executor, q: CandidateQuery): Promise<Candidate[]> {
  const where = [
    q.anyWorkerOf ? 'w.workspace_sid = ?' : 'm.queue_sid = ? AND w.sid = m.worker_sid',
    'a.sid = w.activity_sid',
    'wc.worker_sid = w.sid AND wc.task_channel_sid = ?',
    'a.available = 1',
  ];
  const params: (string | number)[] = [q.anyWorkerOf ?? q.queueSid, q.taskChannelSid];
  if (!q.ignoreCapacity) {
    where.push('wc.available = 1');
    where.push(q.multiTask ? 'wc.held < wc.capacity' : 'NOT EXISTS (SELECT 1 FROM worker_channels x WHERE x.worker_sid = w.sid AND x.held > 0)');
    if (!q.multiTask) where.push('wc.capacity > 0');
  }
  // A worker who already had this task (and rejected it, or let it time out) is not offered it again.
  if (q.transferSid) {
    where.push(
      "NOT EXISTS (SELECT 1 FROM reservations r WHERE r.task_sid = ? AND r.worker_sid = w.sid AND (r.reservation_status IN ('pending', 'accepted', 'wrapping') OR r.transfer_sid = ?))",
    );
    params.push(q.taskSid, q.transferSid);
  } else {
    where.push(
      "NOT EXISTS (SELECT 1 FROM reservations r WHERE r.task_sid = ? AND r.worker_sid = w.sid AND r.reservation_status NOT IN ('canceled', 'rescinded'))",
    );
    params.push(q.taskSid);
  }
  if (q.knownWorker) {
    where.push(q.knownWorker.by === 'sid' ? 'w.sid = ?' : 'w.friendly_name = ?');
    params.push(q.knownWorker.value);
  }
  if (q.workerSid) {
    where.push('w.sid = ?');
    params.push(q.workerSid);
  }
  const rows = await db.all<Record<string, unknown>>(
    `SELECT w.sid, w.friendly_name, w.attributes, w.activity_sid, a.friendly_name AS activity_name, w.idle_since,
            wc.capacity, wc.available AS ch_available, wc.held, wc.assigned
       FROM ${q.anyWorkerOf ? 'workers w' : 'queue_members m CROSS JOIN workers w'}
       CROSS JOIN activities a CROSS JOIN worker_channels wc
      WHERE ${where.join(' AND ')}
      ORDER BY w.idle_since, w.sid LIMIT ${CANDIDATE_PAGE} OFFSET ${Math.floor(q.page ?? 0) * CANDIDATE_PAGE}`,
    params,
  );
  const candidates = rows.map((r) => toCandidate(r));
  if (q.needChannels) for (const c of candidates) c.channels = await loadChannels(db, c.sid);
  return candidates;
}

export function toCandidate(r: Record<string, unknown>): Candidate {
  return {
    sid: r.sid as string,
    friendlyName: r.friendly_name as string,
    activitySid: r.activity_sid as string,
    activityName: r.activity_name as string,
    available: true,
    attributes: parseAttributes(r.attributes as string),
    channel: { capacity: Number(r.capacity), available: Boolean(r.ch_available), held: Number(r.held), assigned: Number(r.assigned) },
    channels: {},
    idleSince: Number(r.idle_since),
    reservedForTask: false,
  };
}

/** Every channel of a worker, as `worker.channel.<unique_name>.*` exposes them. */
export async function loadChannels(db: Executor, workerSid: string): Promise<Candidate['channels']> {
  const rows = await db.all<{ unique_name: string; capacity: number; held: number; assigned: number }>(
    `SELECT tc.unique_name, wc.capacity, wc.held, wc.assigned FROM worker_channels wc
       JOIN task_channels tc ON tc.sid = wc.task_channel_sid WHERE wc.worker_sid = ?`,
    [workerSid],
  );
  const out: Candidate['channels'] = {};
  for (const r of rows) {
    const cap = Number(r.capacity);
    out[r.unique_name] = {
      configured_capacity: cap,
      assigned_tasks: Number(r.assigned),
      available_capacity_percentage: cap > 0 ? Math.max(0, Math.floor((1 - Number(r.held) / cap) * 100)) : 0,
    };
  }
  return out;
}
