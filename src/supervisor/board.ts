import { workspaces } from '../taskrouter/model.ts';
import { agentFigures, chatFigures, type AgentFigures, type ChatFigures } from './agents.ts';
import type { SupervisorDeps } from './deps.ts';

/** One queue's figures now, as TaskRouter's own statistics compute them. */
export interface QueueFigures {
  sid: string;
  friendly_name: string;
  /** Pending + reserved: what the statistics call waiting. */
  waiting: number;
  /** Seconds the oldest waiting task had waited when the board was built. */
  longest_wait: number;
  assigned: number;
  wrapping: number;
  available_workers: number;
  eligible_workers: number;
  activities: { friendly_name: string; workers: number }[];
  /** Tasks that entered the queue over the last hour. */
  entered_last_hour: number;
}

/** Tasks that entered each queue per slice of the last hour, the slices laid back from the server's now. */
export interface Chart {
  slice_minutes: number;
  /** Each slice's start (epoch ms), oldest first; the last one ends at `now`. */
  starts: number[];
  series: { queue_sid: string; friendly_name: string; values: number[] }[];
}

export interface Board {
  /** The server's clock when the board was built (epoch ms): durations are counted from it, not the browser's clock. */
  now: number;
  workspace: { sid: string; friendly_name: string };
  activities: { sid: string; friendly_name: string; available: boolean }[];
  queues: QueueFigures[];
  agents: AgentFigures[];
  chats: ChatFigures[];
  chart: Chart;
}

export const SLICE_MINUTES = 5;
export const SLICES = 12;
const MAX_QUEUES = 1000;

/** The whole board of a workspace, read at one moment of the server's clock. */
export async function buildBoard(deps: SupervisorDeps, accountSid: string, workspaceSid: string): Promise<Board> {
  const now = deps.clock.now();
  const tr = deps.taskRouter;
  const ws = await workspaces.get(deps.db, workspaceSid, ['account_sid = ?', accountSid]);
  const stats = await tr.statistics.queuesStatistics(accountSid, workspaceSid, { window: { minutes: 60 } }, MAX_QUEUES, 0);
  const queues: QueueFigures[] = stats.map(({ queue, realtime: rt, cumulative }) => {
    const by = rt.tasks_by_status;
    return {
      sid: queue.sid,
      friendly_name: queue.friendly_name,
      waiting: (by.pending ?? 0) + (by.reserved ?? 0),
      longest_wait: rt.longest_task_waiting_age,
      assigned: by.assigned ?? 0,
      wrapping: by.wrapping ?? 0,
      available_workers: rt.total_available_workers ?? 0,
      eligible_workers: rt.total_eligible_workers ?? 0,
      activities: (rt.activity_statistics ?? []).map((a) => ({ friendly_name: a.friendly_name, workers: a.workers })),
      entered_last_hour: cumulative.tasks_entered ?? 0,
    };
  });
  const acts = await tr.activities.list(accountSid, workspaceSid, {}, 1000, 0);
  return {
    now,
    workspace: { sid: workspaceSid, friendly_name: ws?.friendly_name ?? workspaceSid },
    activities: acts.map((a) => ({ sid: a.sid, friendly_name: a.friendly_name, available: a.available })),
    queues,
    agents: await agentFigures(deps.db, workspaceSid),
    chats: await chatFigures(deps.db, workspaceSid),
    chart: await chart(deps, workspaceSid, queues, now),
  };
}

/** One read of the hour's task-queue.entered events (what tasks_entered counts), shared out by slice. */
async function chart(deps: SupervisorDeps, workspaceSid: string, queues: QueueFigures[], now: number): Promise<Chart> {
  const slice = SLICE_MINUTES * 60_000;
  const first = now - SLICES * slice;
  const starts = Array.from({ length: SLICES }, (_, i) => first + i * slice);
  const rows = await deps.db.all<{ task_queue_sid: string | null; event_date: number | string }>(
    "SELECT task_queue_sid, event_date FROM events WHERE workspace_sid = ? AND event_type = 'task-queue.entered' AND event_date > ? AND event_date <= ?",
    [workspaceSid, first, now],
  );
  const series = queues.map((q) => ({ queue_sid: q.sid, friendly_name: q.friendly_name, values: starts.map(() => 0) }));
  const bySid = new Map(series.map((s) => [s.queue_sid, s]));
  for (const r of rows) {
    const s = r.task_queue_sid && bySid.get(r.task_queue_sid);
    if (!s) continue;
    // An event at a slice's very end belongs to it (the last slice ends at now, inclusive).
    const i = Math.min(SLICES - 1, Math.max(0, Math.ceil((Number(r.event_date) - first) / slice) - 1));
    s.values[i]++;
  }
  return { slice_minutes: SLICE_MINUTES, starts, series };
}
