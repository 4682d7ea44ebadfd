import { notFound } from '../../core/errors.ts';
import { isSid } from '../../core/sid.ts';
import type { Executor } from '../../store/database.ts';
import { workerEventData } from '../engine/event-data.ts';
import { emit } from '../engine/events.ts';
import { workerChannels, workers, type WorkerChannelRow } from '../model.ts';
import { patched, requireWorkspace, type Deps } from './deps.ts';

/** A worker's channel as the API shows it, with the figures derived from its work. */
export interface WorkerChannelView {
  channel: WorkerChannelRow;
  taskChannelUniqueName: string;
  /** Tasks accepted on this channel and not yet completed. */
  assignedTasks: number;
  /** Reservations holding capacity (pending, accepted, wrapping). */
  activeReservations: number;
}

const SELECT = `SELECT wc.*, tc.unique_name AS tc_unique_name FROM worker_channels wc
  JOIN task_channels tc ON tc.sid = wc.task_channel_sid`;

export class WorkerChannelService {
  constructor(private readonly deps: Deps) {}

  private async requireWorker(db: Executor, accountSid: string, workspaceSid: string, workerSid: string) {
    await requireWorkspace(db, accountSid, workspaceSid);
    const w = await db.get('SELECT sid FROM workers WHERE sid = ? AND workspace_sid = ?', [workerSid, workspaceSid]);
    if (!w) throw notFound(`/v1/Workspaces/${workspaceSid}/Workers/${workerSid}`);
  }

  async list(accountSid: string, workspaceSid: string, workerSid: string, limit: number, offset: number): Promise<WorkerChannelView[]> {
    await this.requireWorker(this.deps.db, accountSid, workspaceSid, workerSid);
    const rows = await this.deps.db.all<Record<string, unknown>>(
      `${SELECT} WHERE wc.worker_sid = ? ORDER BY wc.seq LIMIT ${Math.floor(limit)} OFFSET ${Math.floor(offset)}`,
      [workerSid],
    );
    return rows.map(toView);
  }

  /** Addressed by WC SID, by TaskChannel SID or by the TaskChannel's unique name. */
  async get(accountSid: string, workspaceSid: string, workerSid: string, ref: string, db: Executor = this.deps.db): Promise<WorkerChannelView> {
    await this.requireWorker(db, accountSid, workspaceSid, workerSid);
    const column = isSid(ref, 'WC') ? 'wc.sid' : isSid(ref, 'TC') ? 'wc.task_channel_sid' : 'tc.unique_name';
    const row = await db.get<Record<string, unknown>>(`${SELECT} WHERE wc.worker_sid = ? AND ${column} = ?`, [
      workerSid,
      ref,
    ]);
    if (!row) throw notFound(`/v1/Workspaces/${workspaceSid}/Workers/${workerSid}/Channels/${ref}`);
    return toView(row);
  }

  async update(
    accountSid: string,
    workspaceSid: string,
    workerSid: string,
    ref: string,
    input: { capacity?: number; available?: boolean },
  ): Promise<WorkerChannelView> {
    return this.deps.engine.inWorkspace(accountSid, workspaceSid, async (tx, ws) => {
      const view = await this.get(accountSid, workspaceSid, workerSid, ref, tx);
      const now = this.deps.clock.now();
      const patch: Partial<WorkerChannelRow> = { capacity: input.capacity, available: input.available, date_updated: now };
      await workerChannels.update(tx, view.channel.sid, patch);
      await this.deps.engine.state.refreshWorker(tx, workspaceSid, workerSid);
      const channel = patched(view.channel, patch);
      const worker = (await workers.get(tx, workerSid))!;
      const data = {
        ...workerEventData(worker),
        TaskChannelSid: channel.task_channel_sid,
        TaskChannelUniqueName: view.taskChannelUniqueName,
        WorkerChannelAvailable: channel.available,
        WorkerChannelAvailableCapacity: channel.capacity,
        WorkerChannelPreviousCapacity: view.channel.capacity,
        WorkerChannelTaskCount: channel.assigned,
      };
      if (channel.capacity !== view.channel.capacity)
        await emit(tx, ws, now, { type: 'worker.capacity.update', description: `Worker ${worker.friendly_name} capacity updated`, resourceType: 'worker', resourceSid: workerSid, data });
      if (channel.available !== view.channel.available)
        await emit(tx, ws, now, { type: 'worker.channel.availability.update', description: `Worker ${worker.friendly_name} channel availability updated`, resourceType: 'worker', resourceSid: workerSid, data });
      // More room on a channel may let the worker take something waiting.
      await this.deps.engine.lifecycle.tryAssignWorker(tx, ws, workerSid);
      return { ...view, channel };
    });
  }
}

function toView(r: Record<string, unknown>): WorkerChannelView {
  const { tc_unique_name, ...rest } = r;
  const channel = workerChannels.decode(rest);
  return { channel, taskChannelUniqueName: tc_unique_name as string, assignedTasks: channel.assigned, activeReservations: channel.held };
}
