import { isoDate } from '../../core/clock.ts';
import { invalidParameter, notFound } from '../../core/errors.ts';
import { isSid } from '../../core/sid.ts';
import type { Executor, SqlValue } from '../../store/database.ts';
import type { Condition } from '../../store/table.ts';
import { activities, taskQueues, workers, workflows, type TaskChannelRow, type TaskQueueRow } from '../model.ts';
import { activityDurations, workerStints, type ActivityDuration, type ActivityRef, type Stint } from '../statistics/activity.ts';
import {
  CUMULATIVE_EVENT_TYPES,
  reservationCounts,
  taskCumulative,
  type ReservationCounts,
  type StatEvent,
  type TaskCumulative,
} from '../statistics/cumulative.ts';
import {
  activityStatistics,
  ageSeconds,
  LIVE_STATUSES,
  tasksByPriority,
  tasksByStatus,
  totalTasks,
  WAITING_STATUSES,
  type ActivityCount,
  type TaskCount,
  type TasksByStatus,
} from '../statistics/realtime.ts';
import { resolveWindow, type Window, type WindowInput } from '../statistics/window.ts';
import { requireWorkspace, type Deps } from './deps.ts';
import { findTaskChannel } from './task-channels.ts';

/** What a statistics request asks for: a TaskChannel, and for cumulative figures a window and thresholds. */
export interface StatsQuery {
  taskChannel?: string;
  window?: WindowInput;
  splitByWaitTime?: number[];
}

/** Which workers the Workers statistics cover. */
export interface WorkerSelection {
  taskQueueSid?: string;
  taskQueueName?: string;
  friendlyName?: string;
}

export interface TaskRealTime {
  activity_statistics?: ActivityCount[];
  longest_task_waiting_age: number;
  longest_task_waiting_sid: string | null;
  longest_relative_task_age_in_queue?: number;
  longest_relative_task_sid_in_queue?: string | null;
  tasks_by_priority: Record<string, number>;
  tasks_by_status: TasksByStatus;
  total_available_workers?: number;
  total_eligible_workers?: number;
  total_tasks: number;
  total_workers?: number;
}

export interface WorkersRealTime {
  activity_statistics: ActivityCount[];
  total_workers: number;
}

export interface WorkersCumulative extends ReservationCounts {
  start_time: string | null;
  end_time: string | null;
  activity_durations: ActivityDuration[];
}

export interface QueueStatistics {
  queue: TaskQueueRow;
  realtime: TaskRealTime;
  cumulative: TaskCumulative;
}

/** The bulk endpoint's entry for one queue. */
export interface BulkQueueRealTime {
  task_queue_sid: string;
  longest_task_waiting_age: number;
  longest_task_waiting_sid: string | null;
  total_tasks: number;
  total_eligible_workers: number;
  total_available_workers: number;
  tasks_by_status: TasksByStatus;
  tasks_by_priority: Record<string, number>;
  activity_statistics: ActivityCount[];
}

export const BULK_MAX_QUEUES = 50;

interface WorkerRowLite {
  sid: string;
  activity_sid: string;
  date_status_changed: number;
}

interface EventRowLite {
  event_type: string;
  event_date: number;
  task_queue_sid: string | null;
  event_data: string;
}

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * TaskRouter statistics, computed from what the store holds: real-time figures from the current
 * tasks and workers, cumulative ones from the events of the window. Read-only.
 */
export class StatisticsService {
  constructor(private readonly deps: Deps) {}

  private get db(): Executor {
    return this.deps.db;
  }

  // ---- Workspace

  async workspaceRealTime(accountSid: string, workspaceSid: string, q: StatsQuery): Promise<TaskRealTime> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    const channel = await this.channel(workspaceSid, q.taskChannel);
    const [tasks, workerRows, acts] = await Promise.all([
      this.taskFigures(workspaceSid, [], channel, false),
      this.workers(workspaceSid, { channelSid: channel?.sid }),
      this.activities(workspaceSid),
    ]);
    return {
      activity_statistics: activityStatistics(acts, countByActivity(workerRows)),
      ...tasks,
      total_workers: workerRows.length,
    };
  }

  async workspaceCumulative(accountSid: string, workspaceSid: string, q: StatsQuery): Promise<TaskCumulative> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    const channel = await this.channel(workspaceSid, q.taskChannel);
    const window = this.window(q);
    const rows = await this.events(workspaceSid, window, [], channel);
    return taskCumulative('workspace', rows.map(statEvent), windowTimes(window), q.splitByWaitTime);
  }

  // ---- TaskQueues

  async queueRealTime(accountSid: string, workspaceSid: string, queueSid: string, q: StatsQuery): Promise<TaskRealTime> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    const queue = await this.queue(workspaceSid, queueSid);
    const channel = await this.channel(workspaceSid, q.taskChannel);
    return this.queueRealTimeOf(workspaceSid, queue.sid, channel, await this.activities(workspaceSid));
  }

  async queueCumulative(accountSid: string, workspaceSid: string, queueSid: string, q: StatsQuery): Promise<TaskCumulative> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    const queue = await this.queue(workspaceSid, queueSid);
    const channel = await this.channel(workspaceSid, q.taskChannel);
    const window = this.window(q);
    const rows = await this.events(workspaceSid, window, [['task_queue_sid = ?', queue.sid]], channel);
    return taskCumulative('queue', rows.map(statEvent), windowTimes(window), q.splitByWaitTime);
  }

  /** Statistics of the workspace's queues, a page at a time (FriendlyName narrows to one). */
  async queuesStatistics(
    accountSid: string,
    workspaceSid: string,
    q: StatsQuery & { friendlyName?: string },
    limit: number,
    offset: number,
  ): Promise<QueueStatistics[]> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    const channel = await this.channel(workspaceSid, q.taskChannel);
    const window = this.window(q);
    const where: Condition[] = [['workspace_sid = ?', workspaceSid]];
    if (q.friendlyName !== undefined) where.push(['friendly_name = ?', q.friendlyName]);
    const queues = await taskQueues.list(this.db, { where, limit, offset });
    if (queues.length === 0) return [];
    const acts = await this.activities(workspaceSid);
    // One read of the window's events for the whole page, shared out by queue.
    const sids = queues.map((x) => x.sid);
    const rows = await this.events(workspaceSid, window, [[`task_queue_sid IN (${placeholders(sids.length)})`, ...sids]], channel);
    const byQueue = new Map<string, StatEvent[]>();
    for (const r of rows) {
      const list = byQueue.get(r.task_queue_sid!) ?? [];
      list.push(statEvent(r));
      byQueue.set(r.task_queue_sid!, list);
    }
    const out: QueueStatistics[] = [];
    for (const queue of queues)
      out.push({
        queue,
        realtime: await this.queueRealTimeOf(workspaceSid, queue.sid, channel, acts),
        cumulative: taskCumulative('queue', byQueue.get(queue.sid) ?? [], windowTimes(window), q.splitByWaitTime),
      });
    return out;
  }

  /**
   * Real-time statistics of up to 50 queues at once. A well-formed SID that is not a queue of this
   * workspace is answered with zeros, as Twilio documents.
   */
  async bulkRealTime(accountSid: string, workspaceSid: string, queueSids: string[]): Promise<BulkQueueRealTime[]> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    if (queueSids.length < 1 || queueSids.length > BULK_MAX_QUEUES)
      throw invalidParameter(`Between 1 and ${BULK_MAX_QUEUES} TaskQueue SIDs are required; ${queueSids.length} were given`);
    for (const sid of queueSids)
      if (!isSid(sid, 'WQ')) throw invalidParameter(`Invalid TaskQueue SID: '${sid}' is not a WQ SID`);
    const acts = await this.activities(workspaceSid);
    const out: BulkQueueRealTime[] = [];
    for (const sid of [...new Set(queueSids)]) {
      const queue = await taskQueues.get(this.db, sid, ['workspace_sid = ?', workspaceSid]);
      const rt = queue
        ? await this.queueRealTimeOf(workspaceSid, sid, undefined, acts)
        : {
            activity_statistics: activityStatistics(acts, new Map()),
            longest_task_waiting_age: 0,
            longest_task_waiting_sid: null,
            tasks_by_priority: {},
            tasks_by_status: tasksByStatus([]),
            total_available_workers: 0,
            total_eligible_workers: 0,
            total_tasks: 0,
          };
      out.push({
        task_queue_sid: sid,
        longest_task_waiting_age: rt.longest_task_waiting_age,
        longest_task_waiting_sid: rt.longest_task_waiting_sid,
        total_tasks: rt.total_tasks,
        total_eligible_workers: rt.total_eligible_workers ?? 0,
        total_available_workers: rt.total_available_workers ?? 0,
        tasks_by_status: rt.tasks_by_status,
        tasks_by_priority: rt.tasks_by_priority,
        activity_statistics: rt.activity_statistics ?? [],
      });
    }
    return out;
  }

  private async queueRealTimeOf(
    workspaceSid: string,
    queueSid: string,
    channel: TaskChannelRow | undefined,
    acts: ActivityRefWithAvailability[],
  ): Promise<TaskRealTime> {
    const [tasks, members] = await Promise.all([
      this.taskFigures(workspaceSid, [['task_queue_sid = ?', queueSid]], channel, true),
      this.workers(workspaceSid, { queueSid, channelSid: channel?.sid }),
    ]);
    const available = new Set(acts.filter((a) => a.available).map((a) => a.sid));
    return {
      activity_statistics: activityStatistics(acts, countByActivity(members)),
      ...tasks,
      total_available_workers: members.filter((w) => available.has(w.activity_sid)).length,
      total_eligible_workers: members.length,
    };
  }

  // ---- Workflows

  async workflowRealTime(accountSid: string, workspaceSid: string, workflowSid: string, q: StatsQuery): Promise<TaskRealTime> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    await this.workflow(workspaceSid, workflowSid);
    const channel = await this.channel(workspaceSid, q.taskChannel);
    return this.taskFigures(workspaceSid, [['workflow_sid = ?', workflowSid]], channel, false);
  }

  async workflowCumulative(accountSid: string, workspaceSid: string, workflowSid: string, q: StatsQuery): Promise<TaskCumulative> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    await this.workflow(workspaceSid, workflowSid);
    const channel = await this.channel(workspaceSid, q.taskChannel);
    const window = this.window(q);
    const rows = await this.events(workspaceSid, window, [['workflow_sid = ?', workflowSid]], channel);
    return taskCumulative('workflow', rows.map(statEvent), windowTimes(window), q.splitByWaitTime);
  }

  // ---- Workers

  async workersRealTime(accountSid: string, workspaceSid: string, q: StatsQuery, selection: WorkerSelection = {}): Promise<WorkersRealTime> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    const channel = await this.channel(workspaceSid, q.taskChannel);
    const queueSid = await this.selectedQueue(workspaceSid, selection);
    const [rows, acts] = await Promise.all([
      this.workers(workspaceSid, { queueSid, channelSid: channel?.sid, friendlyName: selection.friendlyName }),
      this.activities(workspaceSid),
    ]);
    return { activity_statistics: activityStatistics(acts, countByActivity(rows)), total_workers: rows.length };
  }

  async workersCumulative(accountSid: string, workspaceSid: string, q: StatsQuery, selection: WorkerSelection = {}): Promise<WorkersCumulative> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    const channel = await this.channel(workspaceSid, q.taskChannel);
    const queueSid = await this.selectedQueue(workspaceSid, selection);
    const narrowed = queueSid !== undefined || selection.friendlyName !== undefined;
    const rows = await this.workers(workspaceSid, { queueSid, friendlyName: selection.friendlyName });
    return this.workersCumulativeOf(workspaceSid, q, channel, rows, narrowed);
  }

  async workerCumulative(accountSid: string, workspaceSid: string, workerSid: string, q: StatsQuery): Promise<WorkersCumulative> {
    await requireWorkspace(this.db, accountSid, workspaceSid);
    const worker = await workers.get(this.db, workerSid, ['workspace_sid = ?', workspaceSid]);
    if (!worker) throw notFound(`/v1/Workspaces/${workspaceSid}/Workers/${workerSid}/Statistics`);
    const channel = await this.channel(workspaceSid, q.taskChannel);
    return this.workersCumulativeOf(workspaceSid, q, channel, [worker], true);
  }

  /**
   * Reservations offered to the workers and the time they spent in each activity. Without a
   * narrowing filter, reservations of since-deleted workers count too (they happened in the
   * workspace); activity durations are those of the workers that exist.
   */
  private async workersCumulativeOf(
    workspaceSid: string,
    q: StatsQuery,
    channel: TaskChannelRow | undefined,
    rows: WorkerRowLite[],
    narrowed: boolean,
  ): Promise<WorkersCumulative> {
    const window = this.window(q);
    const now = this.deps.clock.now();
    const sids = rows.map((w) => w.sid);
    const scope: Condition[] = narrowed ? [sids.length ? [`worker_sid IN (${placeholders(sids.length)})`, ...sids] : ['1 = 0']] : [];
    const [reservationRows, acts, changes] = await Promise.all([
      this.events(workspaceSid, window, scope, channel, RESERVATION_TYPES),
      this.activities(workspaceSid),
      this.activityChanges(workspaceSid, window.start, narrowed ? sids : undefined),
    ]);
    const stints: Stint[] = [];
    for (const w of rows)
      stints.push(...workerStints(changes.get(w.sid) ?? [], { activitySid: w.activity_sid, since: w.date_status_changed }, now));
    const times = windowTimes(window);
    return {
      start_time: times.start,
      end_time: times.end,
      activity_durations: activityDurations(acts, stints, window),
      ...reservationCounts(reservationRows.map(statEvent)),
    };
  }

  // ---- Loading

  private window(q: StatsQuery): Window {
    return resolveWindow(q.window ?? {}, this.deps.clock.now());
  }

  private async channel(workspaceSid: string, ref: string | undefined): Promise<TaskChannelRow | undefined> {
    if (ref === undefined) return undefined;
    const channel = await findTaskChannel(this.db, workspaceSid, ref);
    if (!channel) throw invalidParameter(`Invalid TaskChannel parameter: '${ref}' is not a TaskChannel of this Workspace`);
    return channel;
  }

  private async queue(workspaceSid: string, sid: string): Promise<TaskQueueRow> {
    const queue = await taskQueues.get(this.db, sid, ['workspace_sid = ?', workspaceSid]);
    if (!queue) throw notFound(`/v1/Workspaces/${workspaceSid}/TaskQueues/${sid}`);
    return queue;
  }

  private async workflow(workspaceSid: string, sid: string) {
    const workflow = await workflows.get(this.db, sid, ['workspace_sid = ?', workspaceSid]);
    if (!workflow) throw notFound(`/v1/Workspaces/${workspaceSid}/Workflows/${sid}`);
    return workflow;
  }

  private async selectedQueue(workspaceSid: string, s: WorkerSelection): Promise<string | undefined> {
    if (s.taskQueueSid !== undefined) return (await this.queue(workspaceSid, s.taskQueueSid)).sid;
    if (s.taskQueueName !== undefined) {
      const queue = await taskQueues.first(this.db, ['workspace_sid = ?', workspaceSid], ['friendly_name = ?', s.taskQueueName]);
      if (!queue) throw notFound(`/v1/Workspaces/${workspaceSid}/TaskQueues/${s.taskQueueName}`);
      return queue.sid;
    }
    return undefined;
  }

  private async activities(workspaceSid: string): Promise<ActivityRefWithAvailability[]> {
    return (await activities.list(this.db, { where: [['workspace_sid = ?', workspaceSid]] })).map((a) => ({
      sid: a.sid,
      friendly_name: a.friendly_name,
      available: a.available,
    }));
  }

  /**
   * The workers counted: all of the workspace's, or a queue's members, or those with a name; with
   * a TaskChannel, only workers that can take work on it now (channel on, capacity above zero).
   */
  private async workers(
    workspaceSid: string,
    f: { queueSid?: string; channelSid?: string; friendlyName?: string },
  ): Promise<WorkerRowLite[]> {
    const where = ['w.workspace_sid = ?'];
    const params: SqlValue[] = [workspaceSid];
    if (f.queueSid !== undefined) {
      where.push('w.sid IN (SELECT worker_sid FROM queue_members WHERE queue_sid = ?)');
      params.push(f.queueSid);
    }
    if (f.channelSid !== undefined) {
      where.push('w.sid IN (SELECT worker_sid FROM worker_channels WHERE task_channel_sid = ? AND available = 1 AND capacity > 0)');
      params.push(f.channelSid);
    }
    if (f.friendlyName !== undefined) {
      where.push('lower(w.friendly_name) = lower(?)');
      params.push(f.friendlyName);
    }
    return this.db.all<WorkerRowLite>(
      `SELECT w.sid, w.activity_sid, w.date_status_changed FROM workers w WHERE ${where.join(' AND ')} ORDER BY w.seq`,
      params,
    );
  }

  /** Tasks by status and priority, and the longest waiting (from creation, and from entering the queue). */
  private async taskFigures(
    workspaceSid: string,
    scope: Condition[],
    channel: TaskChannelRow | undefined,
    inQueue: boolean,
  ): Promise<TaskRealTime> {
    const now = this.deps.clock.now();
    const conds: Condition[] = [['workspace_sid = ?', workspaceSid], ...scope];
    if (channel) conds.push(['task_channel_sid = ?', channel.sid]);
    const where = (extra: Condition) => {
      const all = [...conds, extra];
      return { sql: all.map(([s]) => `(${s})`).join(' AND '), params: all.flatMap(([, ...p]) => p) };
    };
    const live = where([`assignment_status IN (${placeholders(LIVE_STATUSES.length)})`, ...LIVE_STATUSES]);
    const waiting = where([`assignment_status IN (${placeholders(WAITING_STATUSES.length)})`, ...WAITING_STATUSES]);
    const counts = (
      await this.db.all<{ status: string; priority: number; n: number }>(
        `SELECT assignment_status AS status, priority, COUNT(*) AS n FROM tasks WHERE ${live.sql} GROUP BY assignment_status, priority`,
        live.params,
      )
    ).map((r): TaskCount => ({ status: r.status, priority: Number(r.priority), n: Number(r.n) }));
    const oldest = await this.db.get<{ sid: string; date_created: number }>(
      `SELECT sid, date_created FROM tasks WHERE ${waiting.sql} ORDER BY date_created, seq LIMIT 1`,
      waiting.params,
    );
    const out: TaskRealTime = {
      longest_task_waiting_age: oldest ? ageSeconds(Number(oldest.date_created), now) : 0,
      longest_task_waiting_sid: oldest?.sid ?? null,
      tasks_by_priority: tasksByPriority(counts),
      tasks_by_status: tasksByStatus(counts),
      total_tasks: totalTasks(counts),
    };
    if (inQueue) {
      const inQueueOldest = await this.db.get<{ sid: string; task_queue_entered_date: number }>(
        `SELECT sid, task_queue_entered_date FROM tasks WHERE ${waiting.sql} AND task_queue_entered_date IS NOT NULL
          ORDER BY task_queue_entered_date, seq LIMIT 1`,
        waiting.params,
      );
      return {
        longest_task_waiting_age: out.longest_task_waiting_age,
        longest_task_waiting_sid: out.longest_task_waiting_sid,
        longest_relative_task_age_in_queue: inQueueOldest ? ageSeconds(Number(inQueueOldest.task_queue_entered_date), now) : 0,
        longest_relative_task_sid_in_queue: inQueueOldest?.sid ?? null,
        tasks_by_priority: out.tasks_by_priority,
        tasks_by_status: out.tasks_by_status,
        total_tasks: out.total_tasks,
      };
    }
    return out;
  }

  /** The window's events of the types statistics read, narrowed by scope and TaskChannel, in order. */
  private async events(
    workspaceSid: string,
    window: Window,
    scope: Condition[],
    channel: TaskChannelRow | undefined,
    types: readonly string[] = CUMULATIVE_EVENT_TYPES,
  ): Promise<EventRowLite[]> {
    const conds: Condition[] = [
      ['workspace_sid = ?', workspaceSid],
      ['event_date >= ?', window.start],
      ['event_date <= ?', window.end],
      [`event_type IN (${placeholders(types.length)})`, ...types],
      ...scope,
    ];
    if (channel) conds.push(['task_channel = ?', channel.unique_name]);
    const rows = await this.db.all<EventRowLite>(
      `SELECT event_type, event_date, task_queue_sid, event_data FROM events WHERE ${conds.map(([s]) => `(${s})`).join(' AND ')} ORDER BY seq`,
      conds.flatMap(([, ...p]) => p),
    );
    return rows.map((r) => ({ ...r, event_date: Number(r.event_date) }));
  }

  /**
   * Every activity change since `since`, by worker. A change after the window still tells how
   * long the worker had been in its previous activity, part of which may fall inside the window.
   */
  private async activityChanges(workspaceSid: string, since: number, workerSids?: string[]) {
    const params: SqlValue[] = [workspaceSid, 'worker.activity.update', since];
    let sql = 'SELECT worker_sid, event_date, event_data FROM events WHERE workspace_sid = ? AND event_type = ? AND event_date >= ?';
    if (workerSids) {
      if (workerSids.length === 0) return new Map();
      sql += ` AND worker_sid IN (${placeholders(workerSids.length)})`;
      params.push(...workerSids);
    }
    const rows = await this.db.all<{ worker_sid: string; event_date: number; event_data: string }>(`${sql} ORDER BY seq`, params);
    const out = new Map<string, { date: number; previousActivitySid: string; previousMs: number }[]>();
    for (const r of rows) {
      const data = parseData(r.event_data);
      const previous = data.WorkerPreviousActivitySid;
      if (typeof previous !== 'string') continue;
      const ms = Number(data.WorkerTimeInPreviousActivityMs ?? Number(data.WorkerTimeInPreviousActivity ?? 0) * 1000);
      const list = out.get(r.worker_sid) ?? [];
      list.push({ date: Number(r.event_date), previousActivitySid: previous, previousMs: Number.isFinite(ms) ? ms : 0 });
      out.set(r.worker_sid, list);
    }
    return out;
  }
}

interface ActivityRefWithAvailability extends ActivityRef {
  available: boolean;
}

const RESERVATION_TYPES = [
  'reservation.created',
  'reservation.accepted',
  'reservation.rejected',
  'reservation.timeout',
  'reservation.canceled',
  'reservation.rescinded',
];

function countByActivity(rows: readonly WorkerRowLite[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of rows) out.set(w.activity_sid, (out.get(w.activity_sid) ?? 0) + 1);
  return out;
}

function windowTimes(w: Window) {
  return { start: isoDate(w.start), end: isoDate(w.end) };
}

function parseData(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

/** An event row as the pure statistics read it: the data only where a wait is measured. */
function statEvent(r: EventRowLite): StatEvent {
  if (r.event_type !== 'reservation.accepted' && r.event_type !== 'task.canceled') return { type: r.event_type, date: r.event_date };
  const data = parseData(r.event_data);
  return { type: r.event_type, date: r.event_date, taskAge: num(data.TaskAge), queueEnteredDate: num(data.TaskQueueEnteredDate) };
}

