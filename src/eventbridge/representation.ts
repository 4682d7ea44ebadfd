import type { ActivityRow, TaskQueueRow } from '../taskrouter/model.ts';
import type { ReservationRow, TaskRow, TransferRow } from '../taskrouter/routing-model.ts';
import type { WorkerChannelView } from '../taskrouter/service/worker-channels.ts';
import type { WorkerView } from '../taskrouter/service/workers.ts';

/**
 * The event-bridge representation, which twilio-taskrouter reads both from pushed events and
 * from envelope replies. It is not the public REST shape: dates are epoch seconds (the SDK
 * multiplies by 1000), `attributes` and `addons` stay JSON strings (the SDK parses them), some
 * names differ (`queue_name`, `workflow_name`), a reservation carries its task, and there are no
 * URLs or links. The SDK refuses a payload missing any key it lists, so every key is always
 * present (null where there is nothing).
 */

const secs = (ms: number) => Math.floor(ms / 1000);

export function activity(a: ActivityRow) {
  return {
    account_sid: a.account_sid,
    available: a.available,
    date_created: secs(a.date_created),
    date_updated: secs(a.date_updated),
    friendly_name: a.friendly_name,
    sid: a.sid,
    workspace_sid: a.workspace_sid,
  };
}

export function worker({ worker: w, activity: a }: WorkerView) {
  return {
    account_sid: w.account_sid,
    activity_name: a.friendly_name,
    activity_sid: a.sid,
    attributes: w.attributes,
    available: a.available,
    date_created: secs(w.date_created),
    date_status_changed: secs(w.date_status_changed),
    date_updated: secs(w.date_updated),
    friendly_name: w.friendly_name,
    sid: w.sid,
    workspace_sid: w.workspace_sid,
    version: w.version,
  };
}

/** `last_reserved_time` is the one date in milliseconds (the SDK does not scale it). */
export function workerChannel(v: WorkerChannelView, lastReservedMs: number | null) {
  const c = v.channel;
  const free = c.capacity > 0 ? Math.max(0, Math.floor((1 - v.activeReservations / c.capacity) * 100)) : 0;
  return {
    account_sid: c.account_sid,
    assigned_tasks: v.assignedTasks,
    available: c.available,
    available_capacity_percentage: free,
    configured_capacity: c.capacity,
    date_created: secs(c.date_created),
    date_updated: secs(c.date_updated),
    last_reserved_time: lastReservedMs,
    sid: c.sid,
    task_channel_sid: c.task_channel_sid,
    task_channel_unique_name: v.taskChannelUniqueName,
    worker_sid: c.worker_sid,
    workspace_sid: c.workspace_sid,
  };
}

export function task(t: TaskRow, names: { queue: string | null; workflow: string | null }, now: number) {
  return {
    account_sid: t.account_sid,
    workspace_sid: t.workspace_sid,
    addons: t.addons,
    age: Math.max(0, secs(now - t.date_created)),
    attributes: t.attributes,
    date_created: secs(t.date_created),
    date_updated: secs(t.date_updated),
    priority: t.priority,
    queue_name: names.queue,
    queue_sid: t.task_queue_sid,
    reason: t.reason,
    routing_target: t.routing_target,
    sid: t.sid,
    assignment_status: t.assignment_status,
    task_channel_unique_name: t.task_channel_unique_name,
    task_channel_sid: t.task_channel_sid,
    timeout: t.timeout,
    workflow_name: names.workflow,
    workflow_sid: t.workflow_sid,
    version: t.version,
    virtual_start_time: secs(t.virtual_start_time),
  };
}

export type TaskPayload = ReturnType<typeof task>;

/** A queue as Workspace.fetchTaskQueues() reads it; `lifo_queue` says whether it hands out the newest task first. */
export function taskQueue(q: TaskQueueRow, names: { reservation: string | null; assignment: string | null }) {
  return {
    account_sid: q.account_sid,
    assignment_activity_name: names.assignment,
    assignment_activity_sid: q.assignment_activity_sid,
    date_created: secs(q.date_created),
    date_updated: secs(q.date_updated),
    friendly_name: q.friendly_name,
    lifo_queue: q.task_order === 'LIFO',
    max_reserved_workers: q.max_reserved_workers,
    reservation_activity_name: names.reservation,
    reservation_activity_sid: q.reservation_activity_sid,
    sid: q.sid,
    target_workers: q.target_workers,
    task_order: q.task_order,
    workspace_sid: q.workspace_sid,
  };
}

/** `reservation_timeout` is the offer's length in seconds, as configured when it was made. */
export function reservation(r: ReservationRow, t: TaskPayload) {
  return {
    account_sid: r.account_sid,
    date_created: secs(r.date_created),
    date_updated: secs(r.date_updated),
    reservation_status: r.reservation_status,
    sid: r.sid,
    task: t,
    task_sid: r.task_sid,
    reservation_timeout: r.timeout_at === null ? 0 : Math.max(0, Math.round((r.timeout_at - r.date_created) / 1000)),
    worker_name: r.worker_name,
    worker_sid: r.worker_sid,
    workspace_sid: r.workspace_sid,
    version: r.version,
  };
}

/**
 * A transfer (TransferDescriptor): in transfer replies, in task.transfer-* pushes, and in a
 * reservation as `task_transfer` (the transfer it was offered for) and
 * `active_outgoing_task_transfer` (the transfer its holder started). Statuses are lowercase, as
 * the SDK's constants.
 */
export function transfer(t: TransferRow) {
  return {
    account_sid: t.account_sid,
    workspace_sid: t.workspace_sid,
    task_sid: t.task_sid,
    sid: t.sid,
    date_created: secs(t.date_created),
    date_updated: secs(t.date_updated),
    initiating_reservation_sid: t.initiating_reservation_sid,
    initiating_worker_sid: t.initiating_worker_sid,
    initiating_queue_sid: t.initiating_queue_sid,
    initiating_workflow_sid: t.initiating_workflow_sid,
    transfer_to: t.transfer_to,
    transfer_type: t.transfer_type,
    transfer_mode: t.transfer_mode,
    transfer_status: t.transfer_status,
    transfer_failed_reason: t.transfer_failed_reason,
  };
}

export type TransferPayload = ReturnType<typeof transfer>;

/** A page the SDK can follow: `after_sid` names the last item when more follow. */
export function page<T extends { sid: string }>(items: T[], pageSize: number, afterSid: string | undefined) {
  let start = 0;
  if (afterSid !== undefined) {
    const i = items.findIndex((x) => x.sid === afterSid);
    start = i < 0 ? items.length : i + 1;
  }
  const contents = items.slice(start, start + pageSize);
  const more = start + pageSize < items.length;
  return { contents, after_sid: more && contents.length > 0 ? contents[contents.length - 1].sid : null };
}

/**
 * The Workspace lists' page: the SDK follows `after_sid` without Ordering and `meta.next_token`
 * with it (sending it back as NextToken); both name the page's last item.
 */
export function cursorPage<T extends { sid: string }>(items: T[], pageSize: number, afterSid: string | undefined) {
  const p = page(items, pageSize, afterSid);
  return { ...p, meta: { next_token: p.after_sid, page_size: pageSize } };
}
