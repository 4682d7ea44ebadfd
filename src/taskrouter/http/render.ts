import { isoDate } from '../../core/clock.ts';
import type { ActivityRow, TaskChannelRow, TaskQueueRow, WorkflowRow, WorkspaceRow } from '../model.ts';
import type { ReservationRow, TaskRow } from '../routing-model.ts';
import type { WorkerChannelView } from '../service/worker-channels.ts';
import type { WorkerView } from '../service/workers.ts';

/** Rows into Twilio's JSON: snake_case fields, ISO dates, absolute URLs built from the request's base. */

const wsUrl = (base: string, sid: string) => `${base}/v1/Workspaces/${sid}`;

export function workspace(base: string, w: WorkspaceRow, activityNames: Map<string, string>) {
  const url = wsUrl(base, w.sid);
  return {
    account_sid: w.account_sid,
    date_created: isoDate(w.date_created),
    date_updated: isoDate(w.date_updated),
    default_activity_name: w.default_activity_sid ? (activityNames.get(w.default_activity_sid) ?? null) : null,
    default_activity_sid: w.default_activity_sid,
    event_callback_url: w.event_callback_url,
    events_filter: w.events_filter,
    friendly_name: w.friendly_name,
    multi_task_enabled: w.multi_task_enabled,
    sid: w.sid,
    timeout_activity_name: w.timeout_activity_sid ? (activityNames.get(w.timeout_activity_sid) ?? null) : null,
    timeout_activity_sid: w.timeout_activity_sid,
    prioritize_queue_order: w.prioritize_queue_order,
    url,
    links: {
      activities: `${url}/Activities`,
      statistics: `${url}/Statistics`,
      real_time_statistics: `${url}/RealTimeStatistics`,
      cumulative_statistics: `${url}/CumulativeStatistics`,
      task_queues: `${url}/TaskQueues`,
      tasks: `${url}/Tasks`,
      workers: `${url}/Workers`,
      workflows: `${url}/Workflows`,
      task_channels: `${url}/TaskChannels`,
      events: `${url}/Events`,
    },
  };
}

export function activity(base: string, a: ActivityRow) {
  const ws = wsUrl(base, a.workspace_sid);
  return {
    account_sid: a.account_sid,
    available: a.available,
    date_created: isoDate(a.date_created),
    date_updated: isoDate(a.date_updated),
    friendly_name: a.friendly_name,
    sid: a.sid,
    workspace_sid: a.workspace_sid,
    url: `${ws}/Activities/${a.sid}`,
    links: { workspace: ws },
  };
}

export function taskChannel(base: string, c: TaskChannelRow) {
  const ws = wsUrl(base, c.workspace_sid);
  return {
    account_sid: c.account_sid,
    date_created: isoDate(c.date_created),
    date_updated: isoDate(c.date_updated),
    friendly_name: c.friendly_name,
    sid: c.sid,
    unique_name: c.unique_name,
    workspace_sid: c.workspace_sid,
    channel_optimized_routing: c.channel_optimized_routing,
    url: `${ws}/TaskChannels/${c.sid}`,
    links: { workspace: ws },
  };
}

export function taskQueue(base: string, q: TaskQueueRow, names: { reservation: string | null; assignment: string | null }) {
  const ws = wsUrl(base, q.workspace_sid);
  const url = `${ws}/TaskQueues/${q.sid}`;
  const links: Record<string, string> = {
    workspace: ws,
    statistics: `${url}/Statistics`,
    real_time_statistics: `${url}/RealTimeStatistics`,
    cumulative_statistics: `${url}/CumulativeStatistics`,
    list_statistics: `${ws}/TaskQueues/Statistics`,
    bulk_real_time_statistics: `${ws}/TaskQueues/RealTimeStatistics`,
  };
  if (q.assignment_activity_sid) links.assignment_activity = `${ws}/Activities/${q.assignment_activity_sid}`;
  if (q.reservation_activity_sid) links.reservation_activity = `${ws}/Activities/${q.reservation_activity_sid}`;
  return {
    account_sid: q.account_sid,
    assignment_activity_sid: q.assignment_activity_sid,
    assignment_activity_name: names.assignment,
    date_created: isoDate(q.date_created),
    date_updated: isoDate(q.date_updated),
    friendly_name: q.friendly_name,
    max_reserved_workers: q.max_reserved_workers,
    reservation_activity_sid: q.reservation_activity_sid,
    reservation_activity_name: names.reservation,
    sid: q.sid,
    target_workers: q.target_workers,
    task_order: q.task_order,
    url,
    workspace_sid: q.workspace_sid,
    links,
  };
}

export function workflow(base: string, w: WorkflowRow) {
  const url = `${wsUrl(base, w.workspace_sid)}/Workflows/${w.sid}`;
  return {
    account_sid: w.account_sid,
    assignment_callback_url: w.assignment_callback_url,
    configuration: w.configuration,
    date_created: isoDate(w.date_created),
    date_updated: isoDate(w.date_updated),
    document_content_type: 'application/json',
    fallback_assignment_callback_url: w.fallback_assignment_callback_url,
    friendly_name: w.friendly_name,
    sid: w.sid,
    task_reservation_timeout: w.task_reservation_timeout,
    workspace_sid: w.workspace_sid,
    url,
    links: {
      statistics: `${url}/Statistics`,
      real_time_statistics: `${url}/RealTimeStatistics`,
      cumulative_statistics: `${url}/CumulativeStatistics`,
    },
  };
}

export function worker(base: string, { worker: w, activity: a }: WorkerView) {
  const ws = wsUrl(base, w.workspace_sid);
  const url = `${ws}/Workers/${w.sid}`;
  return {
    account_sid: w.account_sid,
    activity_name: a.friendly_name,
    activity_sid: a.sid,
    attributes: w.attributes,
    available: a.available,
    date_created: isoDate(w.date_created),
    date_status_changed: isoDate(w.date_status_changed),
    date_updated: isoDate(w.date_updated),
    friendly_name: w.friendly_name,
    sid: w.sid,
    workspace_sid: w.workspace_sid,
    url,
    links: {
      channels: `${url}/Channels`,
      activity: `${ws}/Activities/${a.sid}`,
      workspace: ws,
      statistics: `${ws}/Workers/Statistics`,
      real_time_statistics: `${ws}/Workers/RealTimeStatistics`,
      cumulative_statistics: `${ws}/Workers/CumulativeStatistics`,
      worker_statistics: `${url}/Statistics`,
      worker_channels: `${url}/Channels`,
      reservations: `${url}/Reservations`,
    },
  };
}

export function workerChannel(base: string, v: WorkerChannelView) {
  const c = v.channel;
  const capacity = c.capacity;
  const free = capacity > 0 ? Math.max(0, Math.floor((1 - v.activeReservations / capacity) * 100)) : 0;
  return {
    account_sid: c.account_sid,
    assigned_tasks: v.assignedTasks,
    available: c.available,
    available_capacity_percentage: free,
    configured_capacity: capacity,
    date_created: isoDate(c.date_created),
    date_updated: isoDate(c.date_updated),
    sid: c.sid,
    task_channel_sid: c.task_channel_sid,
    task_channel_unique_name: v.taskChannelUniqueName,
    worker_sid: c.worker_sid,
    workspace_sid: c.workspace_sid,
    url: `${wsUrl(base, c.workspace_sid)}/Workers/${c.worker_sid}/Channels/${c.sid}`,
  };
}

export function task(base: string, t: TaskRow, names: { queue: string | null; workflow: string | null }, now: number) {
  const ws = wsUrl(base, t.workspace_sid);
  const url = `${ws}/Tasks/${t.sid}`;
  const links: Record<string, string> = { workspace: ws, reservations: `${url}/Reservations` };
  if (t.task_queue_sid) links.task_queue = `${ws}/TaskQueues/${t.task_queue_sid}`;
  if (t.workflow_sid) links.workflow = `${ws}/Workflows/${t.workflow_sid}`;
  return {
    account_sid: t.account_sid,
    age: Math.max(0, Math.floor((now - t.date_created) / 1000)),
    assignment_status: t.assignment_status,
    attributes: t.attributes,
    addons: t.addons,
    date_created: isoDate(t.date_created),
    date_updated: isoDate(t.date_updated),
    task_queue_entered_date: isoDate(t.task_queue_entered_date),
    priority: t.priority,
    reason: t.reason,
    sid: t.sid,
    task_queue_sid: t.task_queue_sid,
    task_queue_friendly_name: names.queue,
    task_channel_sid: t.task_channel_sid,
    task_channel_unique_name: t.task_channel_unique_name,
    timeout: t.timeout,
    workflow_sid: t.workflow_sid,
    workflow_friendly_name: names.workflow,
    workspace_sid: t.workspace_sid,
    url,
    links,
    virtual_start_time: isoDate(t.virtual_start_time),
    ignore_capacity: t.ignore_capacity,
    routing_target: t.routing_target,
  };
}

export function reservation(base: string, r: ReservationRow, via: 'task' | 'worker') {
  const ws = wsUrl(base, r.workspace_sid);
  const url = via === 'task' ? `${ws}/Tasks/${r.task_sid}/Reservations/${r.sid}` : `${ws}/Workers/${r.worker_sid}/Reservations/${r.sid}`;
  return {
    account_sid: r.account_sid,
    date_created: isoDate(r.date_created),
    date_updated: isoDate(r.date_updated),
    reservation_status: r.reservation_status,
    sid: r.sid,
    task_sid: r.task_sid,
    worker_name: r.worker_name,
    worker_sid: r.worker_sid,
    workspace_sid: r.workspace_sid,
    url,
    links: { task: `${ws}/Tasks/${r.task_sid}`, worker: `${ws}/Workers/${r.worker_sid}`, workspace: ws },
  };
}
