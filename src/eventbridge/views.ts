import type { Database } from '../store/database.ts';
import type { TaskQueueRow } from '../taskrouter/model.ts';
import { reservations, tasks, transfers, type ReservationRow, type TaskRow, type TransferRow } from '../taskrouter/routing-model.ts';
import type { WorkerChannelView } from '../taskrouter/service/worker-channels.ts';
import type { TaskRouter } from '../taskrouter/services.ts';
import * as eb from './representation.ts';

/**
 * Current rows in the event-bridge representation, loaded through the TaskRouter services (so
 * the figures are the ones the REST API shows). Shared by the envelope replies and the pushes.
 */
export class Views {
  constructor(
    private readonly tr: TaskRouter,
    private readonly db: Database,
  ) {}

  async worker(accountSid: string, workspaceSid: string, workerSid: string) {
    return eb.worker(await this.tr.workers.get(accountSid, workspaceSid, workerSid));
  }

  async taskQueue(q: TaskQueueRow) {
    return eb.taskQueue(q, { reservation: await this.tr.taskQueues.activityName(q.reservation_activity_sid), assignment: await this.tr.taskQueues.activityName(q.assignment_activity_sid) });
  }

  async channel(v: WorkerChannelView) {
    const row = await this.db.get<{ t: number | string | null }>(
      'SELECT MAX(date_created) AS t FROM reservations WHERE worker_sid = ? AND task_channel_sid = ?',
      [v.channel.worker_sid, v.channel.task_channel_sid],
    );
    return eb.workerChannel(v, row?.t === null || row?.t === undefined ? null : Number(row.t));
  }

  async task(t: TaskRow) {
    return eb.task(t, await this.tr.tasks.names(t), this.tr.clock.now());
  }

  transfer(t: TransferRow) {
    return eb.transfer(t);
  }

  /**
   * A reservation with its task (read now unless given), and the transfers it is part of: the
   * SDK reads `task_transfer` and `active_outgoing_task_transfer` only when present (null would
   * not do). Not in the reply to a reservation's update (`withTransfers` false), which the SDK
   * reads without its task and where a transfer would have no task to attach to. Undefined when
   * the task is gone.
   */
  async reservation(r: ReservationRow, t?: TaskRow, withTransfers = true) {
    const task = t ?? (await tasks.get(this.db, r.task_sid));
    if (!task) return undefined;
    const payload: ReturnType<typeof eb.reservation> & { task_transfer?: eb.TransferPayload; active_outgoing_task_transfer?: eb.TransferPayload } = eb.reservation(r, await this.task(task));
    if (!withTransfers) return payload;
    const incoming = r.transfer_sid ? await transfers.get(this.db, r.transfer_sid) : undefined;
    if (incoming) payload.task_transfer = eb.transfer(incoming);
    const outgoing = await transfers.first(this.db, ['task_sid = ?', r.task_sid], ["transfer_status = 'initiated'"], ['initiating_reservation_sid = ?', r.sid]);
    if (outgoing) payload.active_outgoing_task_transfer = eb.transfer(outgoing);
    return payload;
  }

  async reservationBySid(sid: string) {
    const r = await reservations.get(this.db, sid);
    return r ? this.reservation(r) : undefined;
  }
}
