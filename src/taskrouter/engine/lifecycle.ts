import { endingMove } from '../../core/routing/lifecycle.ts';
import type { Executor } from '../../store/database.ts';
import { workers, workspaces, type WorkflowRow, type WorkspaceRow } from '../model.ts';
import { reservations, tasks, TASK_LIMITS, type ReservationRow, type TaskRow } from '../routing-model.ts';
import { countAssignment, releaseChannel } from './capacity.ts';
import { emit } from './events.ts';
import { reservationEventData, taskEventData } from './event-data.ts';
import { directStep, Router } from './router.ts';
import { clearTimer, newTimer, setTimer, type DueTimer } from './timers.ts';
import { TaskTransfers } from './transfers.ts';
import { changeActivity } from './worker-activity.ts';

type EndStatus = 'rejected' | 'timeout' | 'canceled' | 'rescinded';

const DESCRIPTIONS: Record<string, string> = {
  accepted: 'accepted',
  rejected: 'rejected',
  timeout: 'timed out',
  canceled: 'canceled',
  rescinded: 'rescinded',
  wrapping: 'wrapping up',
  completed: 'completed',
};

/**
 * What follows from a change of state: reservations accepted, rejected, timed out, canceled,
 * rescinded; tasks canceled, wrapped up, completed, deleted; and timers firing. Every method runs
 * inside the caller's transaction, under the workspace lock.
 */
export class Lifecycle extends Router {
  readonly transfers = new TaskTransfers(this, () => this.now());

  private async reservationEvent(tx: Executor, ws: WorkspaceRow, res: ReservationRow, task: TaskRow, type: string) {
    const worker = await workers.get(tx, res.worker_sid);
    if (!worker) return;
    const what = type.split('.')[1];
    await emit(tx, ws, this.now(), {
      type,
      description: `Reservation ${res.sid} ${DESCRIPTIONS[what === 'wrapup' ? 'wrapping' : what] ?? what}`,
      resourceType: 'reservation',
      resourceSid: res.sid,
      data: reservationEventData(task, res, worker, this.now()),
    });
  }

  private async taskEvent(tx: Executor, ws: WorkspaceRow, task: TaskRow, type: string, description: string, extra: Record<string, string | null> = {}) {
    await emit(tx, ws, this.now(), {
      type,
      description,
      resourceType: 'task',
      resourceSid: task.sid,
      data: { ...taskEventData(task, this.now()), ...extra },
    });
  }

  private async setReservation(tx: Executor, res: ReservationRow, status: ReservationRow['reservation_status']): Promise<ReservationRow> {
    const patch = { reservation_status: status, version: res.version + 1, date_updated: this.now() };
    await reservations.updateLater(tx, res.sid, patch);
    return { ...res, ...patch };
  }

  private async release(tx: Executor, ws: WorkspaceRow, res: ReservationRow, wasAssigned: boolean) {
    await releaseChannel(tx, this.memory(ws).pool, res.worker_sid, res.task_channel_sid, wasAssigned);
  }

  /**
   * A new task: written with its TTL, evented (task.created, and workflow.entered when it has a
   * workflow), then into its workflow, or straight into its queue.
   */
  async createTask(tx: Executor, ws: WorkspaceRow, task: TaskRow, to: { workflow: WorkflowRow } | { queueSid: string }): Promise<TaskRow> {
    await tasks.insertLater(tx, task);
    await newTimer(tx, 'ttl', task.sid, ws.sid, task.date_created + task.timeout * 1000);
    await this.taskEvent(tx, ws, task, 'task.created', `Task ${task.sid} created`);
    if ('queueSid' in to) return this.place(tx, ws, task, directStep(to.queueSid), 0);
    const name = to.workflow.friendly_name;
    await this.taskEvent(tx, ws, task, 'workflow.entered', `Task ${task.sid} entered Workflow ${name}`, { WorkflowName: name });
    return this.enterWorkflow(tx, ws, task);
  }

  /** A change of a task's own fields (attributes, priority, channel, or a transfer's status): its version moves, task.updated. */
  async updateTask(tx: Executor, ws: WorkspaceRow, task: TaskRow, change: Partial<TaskRow>): Promise<TaskRow> {
    const patch: Partial<TaskRow> = { version: task.version + 1, date_updated: this.now() };
    for (const [k, v] of Object.entries(change)) if (v !== undefined) (patch as Record<string, unknown>)[k] = v;
    await tasks.updateLater(tx, task.sid, patch);
    const updated = { ...task, ...patch };
    await this.taskEvent(tx, ws, updated, 'task.updated', `Task ${task.sid} updated`);
    return updated;
  }

  /** pending → accepted: the task is assigned, the other pending reservations are rescinded. */
  async accept(tx: Executor, ws: WorkspaceRow, res: ReservationRow): Promise<ReservationRow> {
    const now = this.now();
    let task = (await tasks.get(tx, res.task_sid))!;
    const accepted = await this.setReservation(tx, res, 'accepted');
    await clearTimer(tx, 'reservation', res.sid);
    await countAssignment(tx, this.memory(ws).pool, res.worker_sid, res.task_channel_sid);
    const taskPatch = { assignment_status: 'assigned' as const, version: task.version + 1, date_updated: now };
    await tasks.updateLater(tx, task.sid, taskPatch);
    task = { ...task, ...taskPatch };
    await clearTimer(tx, 'ttl', task.sid);
    await clearTimer(tx, 'target', task.sid);
    await setTimer(tx, 'assigned', task.sid, ws.sid, now + TASK_LIMITS.assignedMaxMs);
    await this.reservationEvent(tx, ws, accepted, task, 'reservation.accepted');
    const others = await reservations.list(tx, { where: [['task_sid = ?', task.sid], ["reservation_status = 'pending'"]] });
    for (const other of others) await this.end(tx, ws, other, 'rescinded', { reroute: false });
    const queue = res.task_queue_sid ? this.memory(ws).queues.get(res.task_queue_sid) : undefined;
    if (!ws.multi_task_enabled && queue?.assignment_activity_sid)
      await changeActivity(tx, ws, res.worker_sid, queue.assignment_activity_sid, now, this.memory(ws).pool);
    if (res.transfer_sid) await this.transfers.accepted(tx, ws, accepted);
    // The workers whose offers were rescinded have their room back: they may take what waits.
    for (const other of others) await this.tryAssignWorker(tx, ws, other.worker_sid);
    return accepted;
  }

  /**
   * A pending reservation ends without acceptance. The worker's capacity comes back (and it may
   * take other work); the task, if nothing else holds it, goes back to pending and is routed again.
   */
  async end(
    tx: Executor,
    ws: WorkspaceRow,
    res: ReservationRow,
    status: EndStatus,
    opts: { reroute: boolean; workerActivitySid?: string; workerLeaving?: boolean },
  ): Promise<ReservationRow> {
    const now = this.now();
    const ended = await this.setReservation(tx, res, status);
    await clearTimer(tx, 'reservation', res.sid);
    await this.release(tx, ws, res, false);
    let task = (await tasks.get(tx, res.task_sid))!;
    await this.reservationEvent(tx, ws, ended, task, `reservation.${status}`);

    // Where the worker goes: the timeout activity, the one asked for, or back where it was (single-tasking).
    let activity = opts.workerActivitySid;
    if (status === 'timeout') activity = ws.timeout_activity_sid ?? undefined;
    else if (!activity && !ws.multi_task_enabled && res.worker_previous_activity_sid) {
      const worker = await workers.get(tx, res.worker_sid);
      if (worker && worker.activity_sid !== res.worker_previous_activity_sid) activity = res.worker_previous_activity_sid;
    }
    if (activity) await changeActivity(tx, ws, res.worker_sid, activity, now, this.memory(ws).pool);

    if (!opts.reroute) return ended;
    if (res.transfer_sid) {
      // Its holder keeps the task: only the transfer goes on, or fails.
      await this.transfers.offerEnded(tx, ws, ended);
      if (!opts.workerLeaving) await this.tryAssignWorker(tx, ws, res.worker_sid);
      return ended;
    }
    const stillPending = await reservations.count(tx, ['task_sid = ?', task.sid], ["reservation_status = 'pending'"]);
    if (task.assignment_status === 'reserved' && stillPending === 0) {
      const patch = { assignment_status: 'pending' as const, version: task.version + 1, date_updated: now };
      await tasks.updateLater(tx, task.sid, patch);
      task = { ...task, ...patch };
      await this.reroute(tx, ws, task);
    }
    if (!opts.workerLeaving) await this.tryAssignWorker(tx, ws, res.worker_sid);
    return ended;
  }

  /** A task back in pending: too many attempts cancel it, a passed deadline moves it on, otherwise others are tried. */
  private async reroute(tx: Executor, ws: WorkspaceRow, task: TaskRow) {
    if (task.assignment_count >= TASK_LIMITS.maxAssignmentCount) {
      await this.cancelTask(tx, ws, task, 'Task TTL Exceeded or Max assignment count exceeded');
      return;
    }
    const step = await this.stepOf(tx, task);
    if (!step) return;
    const now = this.now();
    if (step.deadlineAge !== null && now >= task.date_created + step.deadlineAge * 1000) {
      await this.moveOn(tx, ws, task);
      return;
    }
    await this.tryAssignTask(tx, ws, task, step);
  }

  /** Ends a task as asked, as far as where it stands allows (core/routing/lifecycle.ts, endingMove). */
  async endTask(tx: Executor, ws: WorkspaceRow, task: TaskRow, wanted: 'canceled' | 'wrapping' | 'completed', reason: string | null): Promise<TaskRow> {
    switch (endingMove(task.assignment_status, wanted)) {
      case 'canceled':
        return this.cancelTask(tx, ws, task, reason ?? 'Task canceled');
      case 'wrapping':
        return this.wrapTask(tx, ws, task, reason);
      case 'completed':
        return this.completeTask(tx, ws, task, reason);
      default:
        return task;
    }
  }

  /** pending/reserved → canceled, with its reason. Pending reservations are canceled too. */
  async cancelTask(tx: Executor, ws: WorkspaceRow, task: TaskRow, reason: string): Promise<TaskRow> {
    const now = this.now();
    const pending = await reservations.list(tx, { where: [['task_sid = ?', task.sid], ["reservation_status = 'pending'"]] });
    const patch = { assignment_status: 'canceled' as const, reason, version: task.version + 1, date_updated: now, date_closed: now };
    await tasks.updateLater(tx, task.sid, patch);
    task = { ...task, ...patch };
    for (const r of pending) await this.end(tx, ws, r, 'canceled', { reroute: false });
    await this.closeTimers(tx, ws, task);
    await this.taskEvent(tx, ws, task, 'task.canceled', `Task ${task.sid} canceled: ${reason}`, { TaskCanceledReason: reason, Reason: reason });
    for (const r of pending) await this.tryAssignWorker(tx, ws, r.worker_sid);
    return task;
  }

  /** assigned → wrapping: the accepted reservation wraps up too. */
  async wrapTask(tx: Executor, ws: WorkspaceRow, task: TaskRow, reason: string | null): Promise<TaskRow> {
    const now = this.now();
    const patch = { assignment_status: 'wrapping' as const, reason: reason ?? task.reason, version: task.version + 1, date_updated: now };
    await tasks.updateLater(tx, task.sid, patch);
    task = { ...task, ...patch };
    for (const r of await reservations.list(tx, { where: [['task_sid = ?', task.sid], ["reservation_status = 'accepted'"]] })) {
      const wrapped = await this.setReservation(tx, r, 'wrapping');
      await this.reservationEvent(tx, ws, wrapped, task, 'reservation.wrapup');
    }
    await this.taskEvent(tx, ws, task, 'task.wrapup', `Task ${task.sid} wrapping up`);
    return task;
  }

  /** assigned/wrapping → completed: reservations complete, the workers' capacity comes back. */
  async completeTask(tx: Executor, ws: WorkspaceRow, task: TaskRow, reason: string | null): Promise<TaskRow> {
    const now = this.now();
    const patch = { assignment_status: 'completed' as const, reason: reason ?? task.reason, version: task.version + 1, date_updated: now, date_closed: now };
    await tasks.updateLater(tx, task.sid, patch);
    task = { ...task, ...patch };
    const held = await reservations.list(tx, { where: [['task_sid = ?', task.sid], ["reservation_status IN ('accepted', 'wrapping')"]] });
    for (const r of held) {
      const done = await this.setReservation(tx, r, 'completed');
      await this.release(tx, ws, r, true);
      await this.reservationEvent(tx, ws, done, task, 'reservation.completed');
    }
    await this.closeTimers(tx, ws, task);
    await this.taskEvent(tx, ws, task, 'task.completed', `Task ${task.sid} completed`, { TaskCompletedReason: reason });
    for (const r of held) await this.tryAssignWorker(tx, ws, r.worker_sid);
    return task;
  }

  /** One holder of a task wraps up while another still holds it (after a warm transfer): its reservation alone. */
  async wrapReservation(tx: Executor, ws: WorkspaceRow, res: ReservationRow, task: TaskRow): Promise<ReservationRow> {
    const wrapped = await this.setReservation(tx, res, 'wrapping');
    await this.reservationEvent(tx, ws, wrapped, task, 'reservation.wrapup');
    return wrapped;
  }

  /** One holder of a task completes while another still holds it: its reservation alone, and its capacity comes back. */
  async completeReservation(tx: Executor, ws: WorkspaceRow, res: ReservationRow, task: TaskRow): Promise<ReservationRow> {
    const done = await this.setReservation(tx, res, 'completed');
    await this.release(tx, ws, res, true);
    await this.reservationEvent(tx, ws, done, task, 'reservation.completed');
    await this.tryAssignWorker(tx, ws, res.worker_sid);
    return done;
  }

  /** Deleting a task frees whoever held it; its reservations go with it. */
  async deleteTask(tx: Executor, ws: WorkspaceRow, task: TaskRow, systemDeleted = false): Promise<void> {
    const held = await reservations.list(tx, {
      where: [['task_sid = ?', task.sid], ["reservation_status IN ('pending', 'accepted', 'wrapping')"]],
    });
    for (const r of held) {
      if (r.reservation_status === 'pending') await this.end(tx, ws, r, 'canceled', { reroute: false });
      else await this.release(tx, ws, r, true);
    }
    for (const kind of ['ttl', 'target', 'assigned', 'cleanup'] as const) await clearTimer(tx, kind, task.sid);
    await this.transfers.taskDeleted(tx, ws, task);
    await tasks.delete(tx, ['sid = ?', task.sid]);
    await this.taskEvent(tx, ws, task, systemDeleted ? 'task.system-deleted' : 'task.deleted', `Task ${task.sid} deleted`);
    for (const r of held) await this.tryAssignWorker(tx, ws, r.worker_sid);
  }

  private async closeTimers(tx: Executor, ws: WorkspaceRow, task: TaskRow) {
    await clearTimer(tx, 'ttl', task.sid);
    await clearTimer(tx, 'target', task.sid);
    await clearTimer(tx, 'assigned', task.sid);
    await setTimer(tx, 'cleanup', task.sid, ws.sid, this.now() + TASK_LIMITS.closedRetentionMs);
  }

  /** Handles one due timer that the caller has claimed. */
  async fire(tx: Executor, timer: DueTimer): Promise<void> {
    const ws = await workspaces.get(tx, timer.workspace_sid);
    if (!ws) return;
    if (timer.kind === 'reservation') {
      const res = await reservations.get(tx, timer.ref_sid);
      if (res?.reservation_status === 'pending') await this.end(tx, ws, res, 'timeout', { reroute: true });
      return;
    }
    const task = await tasks.get(tx, timer.ref_sid);
    if (!task) return;
    if (timer.kind === 'ttl' && (task.assignment_status === 'pending' || task.assignment_status === 'reserved')) {
      await this.cancelTask(tx, ws, task, 'Task TTL Exceeded');
    } else if (timer.kind === 'target' && task.assignment_status === 'pending') {
      await this.moveOn(tx, ws, task);
    } else if (timer.kind === 'assigned' && (task.assignment_status === 'assigned' || task.assignment_status === 'wrapping')) {
      // Twilio deletes a task still assigned 24 hours after it was accepted.
      await this.deleteTask(tx, ws, task, true);
    } else if (timer.kind === 'cleanup' && (task.assignment_status === 'completed' || task.assignment_status === 'canceled')) {
      await tasks.delete(tx, ['sid = ?', task.sid]);
    }
    // A target deadline passing while a reservation is pending is handled when that reservation ends.
  }

  /** The worker's activity may have changed availability; reject its pending reservations when asked. */
  async rejectPending(tx: Executor, ws: WorkspaceRow, workerSid: string): Promise<void> {
    const pending = await reservations.list(tx, { where: [['worker_sid = ?', workerSid], ["reservation_status = 'pending'"]] });
    // The caller has just moved the worker to the activity it asked for: the rejections keep it
    // there (a single-tasking reject would otherwise restore the activity held before the offer).
    const stay = (await workers.get(tx, workerSid))?.activity_sid;
    for (const r of pending) await this.end(tx, ws, r, 'rejected', { reroute: true, workerActivitySid: stay });
  }

}

