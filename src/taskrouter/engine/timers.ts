import { insertRowLater, later, type Executor } from '../../store/database.ts';

/** Durable timers: one row per (kind, subject), so a restart neither loses nor repeats them. */
/** ttl: a waiting task's TTL; reservation: an offer's timeout; target: a workflow target's timeout;
 * assigned: the 24 hours an assigned task may last; cleanup: removing a closed task. */
export type TimerKind = 'ttl' | 'reservation' | 'target' | 'assigned' | 'cleanup';

export async function setTimer(tx: Executor, kind: TimerKind, refSid: string, workspaceSid: string, dueAt: number): Promise<void> {
  await later(
    tx,
    'INSERT INTO timers (kind, ref_sid, workspace_sid, due_at) VALUES (?, ?, ?, ?) ON CONFLICT (kind, ref_sid) DO UPDATE SET workspace_sid = excluded.workspace_sid, due_at = excluded.due_at',
    [kind, refSid, workspaceSid, dueAt],
  );
}

/** The first timer of a subject made in this transaction (a new task's TTL, a new offer's timeout): an insert, batched with the change's other new rows. */
export async function newTimer(tx: Executor, kind: TimerKind, refSid: string, workspaceSid: string, dueAt: number): Promise<void> {
  await insertRowLater(tx, 'timers', { kind, ref_sid: refSid, workspace_sid: workspaceSid, due_at: dueAt }, `${kind} ${refSid}`);
}

export async function clearTimer(tx: Executor, kind: TimerKind, refSid: string): Promise<void> {
  await later(tx, 'DELETE FROM timers WHERE kind = ? AND ref_sid = ?', [kind, refSid]);
}

export interface DueTimer {
  kind: TimerKind;
  ref_sid: string;
  workspace_sid: string;
  due_at: number;
}

export function dueTimers(db: Executor, now: number, limit: number): Promise<DueTimer[]> {
  return db.all<DueTimer>(`SELECT kind, ref_sid, workspace_sid, due_at FROM timers WHERE due_at <= ? ORDER BY due_at LIMIT ${limit}`, [now]);
}

/** Takes a due timer for handling; false when another node (or an earlier pass) already did. */
export async function claimTimer(tx: Executor, t: DueTimer): Promise<boolean> {
  return (await tx.run('DELETE FROM timers WHERE kind = ? AND ref_sid = ? AND due_at = ?', [t.kind, t.ref_sid, t.due_at])) > 0;
}

/** Puts off a due timer that failed to fire, unless it was moved or taken meanwhile. */
export async function postponeTimer(tx: Executor, t: DueTimer, dueAt: number): Promise<void> {
  await tx.run('UPDATE timers SET due_at = ? WHERE kind = ? AND ref_sid = ? AND due_at = ?', [dueAt, t.kind, t.ref_sid, t.due_at]);
}

export async function nextDue(db: Executor): Promise<number | null> {
  const row = await db.get<{ due: number | null }>('SELECT MIN(due_at) AS due FROM timers');
  return row?.due ?? null;
}
