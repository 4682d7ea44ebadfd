import type { Database } from '../store/database.ts';
import { reservations, tasks, type ReservationRow, type TaskRow } from '../taskrouter/routing-model.ts';
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

  /** A reservation with its task (read now unless given). Undefined when the task is gone. */
  async reservation(r: ReservationRow, t?: TaskRow) {
    const task = t ?? (await tasks.get(this.db, r.task_sid));
    if (!task) return undefined;
    return eb.reservation(r, await this.task(task));
  }

  async reservationBySid(sid: string) {
    const r = await reservations.get(this.db, sid);
    return r ? this.reservation(r) : undefined;
  }
}
