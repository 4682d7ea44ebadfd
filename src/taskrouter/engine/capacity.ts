import type { WorkerPool } from '../../core/routing/worker-pool.ts';
import { later, type Executor } from '../../store/database.ts';
import { workers } from '../model.ts';

/*
 * A worker's channel capacity, written to the store and to routing memory together: every routing
 * change of worker_channels goes through here, so that the two cannot drift apart.
 */

/** A reservation takes room on the worker's channel, and the worker goes to the back of the idle order. */
export async function holdChannel(tx: Executor, pool: WorkerPool, workerSid: string, taskChannelSid: string, now: number): Promise<void> {
  await later(tx, 'UPDATE worker_channels SET held = held + 1 WHERE worker_sid = ? AND task_channel_sid = ?', [workerSid, taskChannelSid]);
  await workers.updateLater(tx, workerSid, { idle_since: now });
  pool.hold(workerSid, taskChannelSid, now);
}

/** A reservation was accepted: the channel counts one more assigned task. */
export async function countAssignment(tx: Executor, pool: WorkerPool, workerSid: string, taskChannelSid: string): Promise<void> {
  await later(tx, 'UPDATE worker_channels SET assigned = assigned + 1 WHERE worker_sid = ? AND task_channel_sid = ?', [workerSid, taskChannelSid]);
  pool.assign(workerSid, taskChannelSid);
}

/** A reservation ended: its room comes back (and its assignment, when it had been accepted). */
export async function releaseChannel(tx: Executor, pool: WorkerPool, workerSid: string, taskChannelSid: string, wasAssigned: boolean): Promise<void> {
  pool.release(workerSid, taskChannelSid, wasAssigned);
  await later(
    tx,
    `UPDATE worker_channels SET held = CASE WHEN held > 0 THEN held - 1 ELSE 0 END,
            assigned = CASE WHEN ? = 1 AND assigned > 0 THEN assigned - 1 ELSE assigned END
      WHERE worker_sid = ? AND task_channel_sid = ?`,
    [wasAssigned ? 1 : 0, workerSid, taskChannelSid],
  );
}
