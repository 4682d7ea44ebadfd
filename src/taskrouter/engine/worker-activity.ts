import type { WorkerPool } from '../../core/routing/worker-pool.ts';
import type { Executor } from '../../store/database.ts';
import { activities, workers, type ActivityRow, type WorkerRow, type WorkspaceRow } from '../model.ts';
import { emit } from './events.ts';
import { workerEventData } from './event-data.ts';

/** Moves a worker to an activity, with its event. Returns whether the worker became available. */
export async function changeActivity(
  tx: Executor,
  ws: WorkspaceRow,
  workerSid: string,
  activitySid: string,
  now: number,
  pool: WorkerPool,
  /** What the caller read already in this transaction (the worker as it stands, activities): not read again. */
  known?: { worker: WorkerRow; activities: readonly ActivityRow[] },
): Promise<{ becameAvailable: boolean; changed: boolean }> {
  const worker = known?.worker ?? (await workers.get(tx, workerSid));
  if (!worker || worker.activity_sid === activitySid) return { becameAvailable: false, changed: false };
  const activity = (sid: string) => known?.activities.find((a) => a.sid === sid) ?? activities.get(tx, sid);
  const [before, after] = await Promise.all([activity(worker.activity_sid), activity(activitySid)]);
  if (!after) return { becameAvailable: false, changed: false };
  const version = worker.version + 1;
  await workers.updateLater(tx, workerSid, { activity_sid: activitySid, date_status_changed: now, date_updated: now, version });
  pool.setActivity(workerSid, activitySid, version);
  const inPrevious = now - worker.date_status_changed;
  await emit(tx, ws, now, {
    type: 'worker.activity.update',
    description: `Worker ${worker.friendly_name} updated to ${after.friendly_name} Activity`,
    resourceType: 'worker',
    resourceSid: workerSid,
    data: {
      ...workerEventData({ ...worker, version, activity_sid: activitySid }, after),
      WorkerPreviousActivitySid: before?.sid,
      WorkerPreviousActivityName: before?.friendly_name,
      WorkerTimeInPreviousActivity: Math.floor(inPrevious / 1000),
      WorkerTimeInPreviousActivityMs: inPrevious,
    },
  });
  return { becameAvailable: after.available && !before?.available, changed: true };
}
