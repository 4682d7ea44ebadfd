import type { Database } from '../store/database.ts';
import type { TaskRouter } from '../taskrouter/services.ts';
import type { WorkerSession } from './session.ts';

/**
 * The activity a worker is moved to when it disconnects with setWorkerOfflineIfDisconnected:
 * Twilio says "Offline", so the workspace's unavailable activity named Offline (any case);
 * failing that, its timeout activity if that is unavailable (where TaskRouter itself parks a
 * worker that stopped answering); failing that, its first unavailable activity. A workspace
 * with no unavailable activity leaves the worker where it is.
 */
export async function offlineActivity(db: Database, workspaceSid: string): Promise<string | undefined> {
  const named = await db.get<{ sid: string }>(
    "SELECT sid FROM activities WHERE workspace_sid = ? AND lower(friendly_name) = 'offline' AND available = ?",
    [workspaceSid, false],
  );
  if (named) return named.sid;
  const timeout = await db.get<{ sid: string }>(
    'SELECT a.sid FROM workspaces w JOIN activities a ON a.sid = w.timeout_activity_sid WHERE w.sid = ? AND a.available = ?',
    [workspaceSid, false],
  );
  if (timeout) return timeout.sid;
  return (await db.get<{ sid: string }>('SELECT sid FROM activities WHERE workspace_sid = ? AND available = ? ORDER BY seq LIMIT 1', [workspaceSid, false]))?.sid;
}

/** Moves the worker offline through the worker service, so the change is routed and evented like any other. */
export async function setWorkerOffline(db: Database, tr: TaskRouter, s: WorkerSession, reconnected: () => boolean): Promise<void> {
  const activitySid = await offlineActivity(db, s.workspaceSid);
  if (!activitySid) return;
  const current = await db.get<{ activity_sid: string }>('SELECT activity_sid FROM workers WHERE sid = ?', [s.workerSid]);
  if (!current || current.activity_sid === activitySid || reconnected()) return;
  await tr.workers.update(s.accountSid, s.workspaceSid, s.workerSid, { activitySid });
}
