import type { StoreReader } from './stores.ts';

/**
 * After a run, the bench reads the store itself and counts what must never happen however many
 * nodes routed: counted from the reservation rows, not from the servers' own counters, so a
 * counter that drifted cannot hide an overrun.
 *
 * - double reservations: a task with more live reservations than its queue's MaxReservedWorkers
 *   (or more than one accepted / wrapping), or one worker holding two live reservations for one task;
 * - capacity overruns: a worker channel with more live reservations than its capacity (tasks
 *   created with IgnoreCapacity are left out: they may exceed it by design; the bench makes none).
 */

const LIVE = "('pending', 'accepted', 'wrapping')";

export interface StoreCheck {
  tasks: number;
  reservations: number;
  doubleReservations: number;
  capacityOverruns: number;
  /** The first few offending rows, to show what went wrong. */
  samples: string[];
}

export async function checkStore(store: StoreReader, workspaceSid: string): Promise<StoreCheck> {
  const samples: string[] = [];
  const [{ tasks }] = await store.all<{ tasks: number }>('SELECT COUNT(*) AS tasks FROM tasks WHERE workspace_sid = ?', [workspaceSid]);
  const [{ reservations }] = await store.all<{ reservations: number }>('SELECT COUNT(*) AS reservations FROM reservations WHERE workspace_sid = ?', [
    workspaceSid,
  ]);
  const overReserved = await store.all<{ task_sid: string; live: number; held: number; allowed: number | null }>(
    `SELECT r.task_sid, COUNT(*) AS live,
            SUM(CASE WHEN r.reservation_status IN ('accepted', 'wrapping') THEN 1 ELSE 0 END) AS held,
            MAX(q.max_reserved_workers) AS allowed
       FROM reservations r JOIN tasks t ON t.sid = r.task_sid LEFT JOIN task_queues q ON q.sid = t.task_queue_sid
      WHERE r.workspace_sid = ? AND r.reservation_status IN ${LIVE}
      GROUP BY r.task_sid
     HAVING COUNT(*) > COALESCE(MAX(q.max_reserved_workers), 1)
         OR SUM(CASE WHEN r.reservation_status IN ('accepted', 'wrapping') THEN 1 ELSE 0 END) > 1`,
    [workspaceSid],
  );
  for (const r of overReserved.slice(0, 3))
    samples.push(`task ${r.task_sid}: ${r.live} live reservations (${r.held} accepted or wrapping), its queue allows ${r.allowed ?? '?'}`);
  const twice = await store.all<{ task_sid: string; worker_sid: string; n: number }>(
    `SELECT task_sid, worker_sid, COUNT(*) AS n FROM reservations
      WHERE workspace_sid = ? AND reservation_status IN ${LIVE}
      GROUP BY task_sid, worker_sid HAVING COUNT(*) > 1`,
    [workspaceSid],
  );
  for (const r of twice.slice(0, 3)) samples.push(`worker ${r.worker_sid} holds ${r.n} live reservations for task ${r.task_sid}`);
  const overCapacity = await store.all<{ worker_sid: string; task_channel_sid: string; capacity: number; live: number }>(
    `SELECT wc.worker_sid, wc.task_channel_sid, wc.capacity, COUNT(*) AS live
       FROM worker_channels wc
       JOIN reservations r ON r.worker_sid = wc.worker_sid AND r.task_channel_sid = wc.task_channel_sid
       JOIN tasks t ON t.sid = r.task_sid
      WHERE wc.workspace_sid = ? AND r.reservation_status IN ${LIVE} AND t.ignore_capacity = 0
      GROUP BY wc.worker_sid, wc.task_channel_sid, wc.capacity
     HAVING COUNT(*) > wc.capacity`,
    [workspaceSid],
  );
  for (const r of overCapacity.slice(0, 3))
    samples.push(`worker ${r.worker_sid} channel ${r.task_channel_sid}: ${r.live} live reservations, capacity ${r.capacity}`);
  return {
    tasks: Number(tasks),
    reservations: Number(reservations),
    // A worker holding two for one task also over-reserves that task: count each task once.
    doubleReservations: new Set([...overReserved, ...twice].map((r) => r.task_sid)).size,
    capacityOverruns: overCapacity.length,
    samples,
  };
}
