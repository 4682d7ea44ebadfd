import { insertRowLater, type Database, type Executor } from '../../../store/database.ts';

/** A row of sdk_events: a Sync event of one object (its id is seq), or a notification (typing) for a conversation's participants. */
export interface SdkEventRow {
  seq: number;
  account_sid: string;
  object_sid: string | null;
  conversation_sid: string | null;
  event_type: string;
  /** JSON of the event without its id (which is seq). */
  payload: string;
  date_created: number;
}

export type NewSdkEvent = Omit<SdkEventRow, 'seq' | 'date_created' | 'payload'> & { payload: Record<string, unknown> };

/**
 * Takes the one writer's lock of sdk_events (the 'sdk' cursor row, held to the end of the
 * transaction) and returns the projector's cursor. Every writer holds it, so seqs are handed out and
 * committed in the same order and a reader behind a cursor never skips a late commit.
 */
export async function lockWriter(db: Database, tx: Executor): Promise<number> {
  const row = await tx.get<{ seq: number }>(`SELECT seq FROM conversation_cursors WHERE name = 'sdk'${db.forUpdate}`);
  return Number(row?.seq ?? 0);
}

/** The events in the order given (their seqs follow it): one multi-row INSERT where the transaction defers rows. */
export async function insertEvents(tx: Executor, now: number, events: NewSdkEvent[]): Promise<void> {
  for (const e of events) {
    const row = {
      account_sid: e.account_sid,
      object_sid: e.object_sid,
      conversation_sid: e.conversation_sid,
      event_type: e.event_type,
      payload: JSON.stringify(e.payload),
      date_created: now,
    };
    await insertRowLater(tx, 'sdk_events', row);
  }
}

/** The id of an object's latest event (0 when it has none). */
export async function lastEventId(db: Executor, objectSid: string): Promise<number> {
  const row = await db.get<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM sdk_events WHERE object_sid = ?', [objectSid]);
  return Number(row?.seq ?? 0);
}

/** An object's events after `after`, up to `upTo`, oldest first. */
export function eventsOf(db: Executor, objectSid: string, after: number, upTo: number, limit: number): Promise<SdkEventRow[]> {
  return db.all<SdkEventRow>(`SELECT * FROM sdk_events WHERE object_sid = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ${Math.floor(limit)}`, [objectSid, after, upTo]);
}

export function eventsAfter(db: Executor, after: number, limit: number): Promise<SdkEventRow[]> {
  return db.all<SdkEventRow>(`SELECT * FROM sdk_events WHERE seq > ? ORDER BY seq LIMIT ${Math.floor(limit)}`, [after]);
}

export async function maxSeq(db: Executor): Promise<number> {
  return Number((await db.get<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM sdk_events'))?.seq ?? 0);
}

/** How long a notification (typing) is kept for pushers on other nodes to read; it means nothing later. */
export const NOTIFICATION_TTL_MS = 60_000;

/** Drops notifications older than their use; Sync events stay, for replays however late. */
export async function pruneNotifications(db: Executor, now: number): Promise<void> {
  await db.run('DELETE FROM sdk_events WHERE object_sid IS NULL AND date_created < ?', [now - NOTIFICATION_TTL_MS]);
}
