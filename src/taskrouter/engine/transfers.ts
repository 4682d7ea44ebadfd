import { newSid } from '../../core/sid.ts';
import type { Executor } from '../../store/database.ts';
import type { WorkspaceRow } from '../model.ts';
import { reservations, tasks, transfers, type ReservationRow, type TaskRow, type TransferRow, type TransferStatus } from '../routing-model.ts';
import { emit } from './events.ts';
import { taskEventData } from './event-data.ts';

/**
 * What a transfer asks of the reservation lifecycle. Lifecycle (lifecycle.ts) owns the transfers
 * and is this; declared here so that the two modules do not import each other.
 */
export interface TransferLifecycle {
  /** Offers the task to the transfer's worker, or the best member of its queue; false if nobody can take it now. */
  offerTransfer(tx: Executor, ws: WorkspaceRow, task: TaskRow, transfer: TransferRow): Promise<boolean>;
  end(tx: Executor, ws: WorkspaceRow, res: ReservationRow, status: 'canceled', opts: { reroute: boolean }): Promise<unknown>;
  tryAssignWorker(tx: Executor, ws: WorkspaceRow, workerSid: string): Promise<unknown>;
  completeReservation(tx: Executor, ws: WorkspaceRow, res: ReservationRow, task: TaskRow): Promise<unknown>;
  updateTask(tx: Executor, ws: WorkspaceRow, task: TaskRow, change: Partial<TaskRow>): Promise<TaskRow>;
}

export interface TransferRequest {
  to: string;
  type: TransferRow['transfer_type'];
  mode: TransferRow['transfer_mode'];
  attributes?: string;
  priority?: number;
}

/**
 * Task transfers (task.transfer() in the worker SDK), for any channel: no call is moved, the task
 * is offered again. While a transfer is initiated, the task is `reserved` and its holder keeps
 * its accepted reservation; the worker it goes to (or, for a queue, the best available member,
 * then the next on a rejection or timeout) gets a reservation that names the transfer. Accepted,
 * the transfer is complete (cold: the holder's reservation completes; warm: both hold the task);
 * rejected, timed out or canceled with nobody left to offer it to, it fails and the task is
 * `assigned` again. An offer is made only to someone who can take it now: a transfer never waits.
 * Every step is evented (task.transfer-*, task.updated, reservation.*). Runs inside the caller's
 * locked transaction.
 */
export class TaskTransfers {
  constructor(
    private readonly lifecycle: TransferLifecycle,
    private readonly now: () => number,
  ) {}

  /** The transfer of this task in progress, if any. */
  inFlight(tx: Executor, taskSid: string): Promise<TransferRow | undefined> {
    return transfers.first(tx, ['task_sid = ?', taskSid], ["transfer_status = 'initiated'"]);
  }

  /** Starts a transfer of `task`, held by the accepted reservation `from` (the caller checked both). */
  async initiate(tx: Executor, ws: WorkspaceRow, task: TaskRow, from: ReservationRow, req: TransferRequest): Promise<TransferRow> {
    const now = this.now();
    const transfer: TransferRow = {
      sid: newSid('TT'),
      account_sid: task.account_sid,
      workspace_sid: task.workspace_sid,
      task_sid: task.sid,
      initiating_reservation_sid: from.sid,
      initiating_worker_sid: from.worker_sid,
      initiating_queue_sid: task.task_queue_sid,
      initiating_workflow_sid: task.workflow_sid,
      transfer_to: req.to,
      transfer_type: req.type,
      transfer_mode: req.mode,
      transfer_status: 'initiated',
      transfer_failed_reason: null,
      date_created: now,
      date_updated: now,
    };
    await transfers.insert(tx, transfer);
    await this.event(tx, ws, task, transfer, 'task.transfer-initiated', 'initiated');
    task = await this.lifecycle.updateTask(tx, ws, task, { assignment_status: 'reserved', attributes: req.attributes, priority: req.priority });
    if (!(await this.lifecycle.offerTransfer(tx, ws, task, transfer)))
      return this.fail(tx, ws, task, transfer, req.type === 'WORKER' ? `Worker ${req.to} cannot take the Task now` : `Nobody in TaskQueue ${req.to} can take the Task now`);
    return transfer;
  }

  /** The initiating worker cancels: the pending offer is canceled and the task is its holder's again. */
  async cancel(tx: Executor, ws: WorkspaceRow, transfer: TransferRow): Promise<TransferRow> {
    const offers = await reservations.list(tx, { where: [['transfer_sid = ?', transfer.sid], ["reservation_status = 'pending'"]] });
    const canceled = await this.setStatus(tx, transfer, 'canceled', null);
    for (const r of offers) await this.lifecycle.end(tx, ws, r, 'canceled', { reroute: false });
    let task = (await tasks.get(tx, transfer.task_sid))!;
    await this.event(tx, ws, task, canceled, 'task.transfer-canceled', 'canceled');
    task = await this.lifecycle.updateTask(tx, ws, task, { assignment_status: 'assigned' });
    for (const r of offers) await this.lifecycle.tryAssignWorker(tx, ws, r.worker_sid);
    return canceled;
  }

  /** The transferee accepted (lifecycle.accept has assigned the task to it). */
  async accepted(tx: Executor, ws: WorkspaceRow, res: ReservationRow): Promise<void> {
    const transfer = await transfers.get(tx, res.transfer_sid!);
    if (transfer?.transfer_status !== 'initiated') return;
    const done = await this.setStatus(tx, transfer, 'complete', null);
    const task = (await tasks.get(tx, transfer.task_sid))!;
    await this.event(tx, ws, task, done, 'task.transfer-completed', 'complete');
    if (transfer.transfer_mode !== 'COLD') return;
    const from = await reservations.get(tx, transfer.initiating_reservation_sid);
    if (from && (from.reservation_status === 'accepted' || from.reservation_status === 'wrapping')) await this.lifecycle.completeReservation(tx, ws, from, task);
  }

  /**
   * An offer made for a transfer ended without acceptance (rejected, timed out, canceled with its
   * worker): a queue transfer tries the next member, anything else fails.
   */
  async offerEnded(tx: Executor, ws: WorkspaceRow, res: ReservationRow): Promise<void> {
    const transfer = await transfers.get(tx, res.transfer_sid!);
    if (transfer?.transfer_status !== 'initiated') return;
    const task = (await tasks.get(tx, transfer.task_sid))!;
    if (transfer.transfer_type === 'QUEUE' && (await this.lifecycle.offerTransfer(tx, ws, task, transfer))) {
      await this.event(tx, ws, task, transfer, 'task.transfer-attempt-failed', 'initiated');
      return;
    }
    await this.fail(tx, ws, task, transfer, `Worker ${res.worker_name} did not take the transfer (${res.reservation_status})`);
  }

  /** The task is deleted during a transfer: the transfer fails with it. */
  async taskDeleted(tx: Executor, ws: WorkspaceRow, task: TaskRow): Promise<void> {
    const transfer = await this.inFlight(tx, task.sid);
    if (!transfer) return;
    const failed = await this.setStatus(tx, transfer, 'failed', 'The Task was deleted');
    await this.event(tx, ws, task, failed, 'task.transfer-failed', 'failed');
  }

  private async fail(tx: Executor, ws: WorkspaceRow, task: TaskRow, transfer: TransferRow, reason: string): Promise<TransferRow> {
    const failed = await this.setStatus(tx, transfer, 'failed', reason);
    await this.event(tx, ws, task, failed, 'task.transfer-failed', 'failed');
    await this.lifecycle.updateTask(tx, ws, task, { assignment_status: 'assigned' });
    return failed;
  }

  private async setStatus(tx: Executor, transfer: TransferRow, status: TransferStatus, reason: string | null): Promise<TransferRow> {
    const patch = { transfer_status: status, transfer_failed_reason: reason, date_updated: this.now() };
    await transfers.update(tx, transfer.sid, patch);
    return { ...transfer, ...patch };
  }

  /** A task.transfer-* event: the task's parameters and the transfer's, with the status this step gave it. */
  private async event(tx: Executor, ws: WorkspaceRow, task: TaskRow, t: TransferRow, type: string, status: TransferStatus): Promise<void> {
    const now = this.now();
    await emit(tx, ws, now, {
      type,
      description: `Transfer ${t.sid} of Task ${task.sid} ${type.slice('task.transfer-'.length).replace('-', ' ')}`,
      resourceType: 'task',
      resourceSid: task.sid,
      data: {
        ...taskEventData(task, now),
        TransferSid: t.sid,
        TransferStatus: status,
        TransferType: t.transfer_type,
        TransferMode: t.transfer_mode,
        TransferTo: t.transfer_to,
        TransferInitiatingReservationSid: t.initiating_reservation_sid,
        TransferInitiatingWorkerSid: t.initiating_worker_sid,
        TransferFailedReason: t.transfer_failed_reason,
      },
    });
  }
}
