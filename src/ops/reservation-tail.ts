import type { Clock } from '../core/clock.ts';
import type { Database } from '../store/database.ts';

/** The reservation events counted, and the status label each becomes. */
export const RESERVATION_EVENTS = { 'reservation.created': 'created', 'reservation.accepted': 'accepted', 'reservation.timeout': 'timeout' } as const;
export type ReservationStatus = (typeof RESERVATION_EVENTS)[keyof typeof RESERVATION_EVENTS];

/**
 * How far back each read looks again. An event's date is read from the clock inside its
 * transaction, which commits a little later, so a row can appear with a date older than the last
 * read; one that commits more than this after reading the clock would be missed (a request's own
 * timeout is 30 s).
 */
export const LOOK_BACK_MS = 60_000;

export interface ReservationSeen {
  status: ReservationStatus;
  /** Task created → reservation created, in ms (reservation.created only; null when the task is gone). */
  latencyMs: number | null;
}

/**
 * Reservations as the `events` table records them, read on each scrape: every reservation.created,
 * .accepted and .timeout written since this process started (by seq, not by date: the CI twin's
 * clock may be set back), each once. Until the engine has a
 * post-commit event bus this is the honest source: rows exist only for committed changes. They
 * are the whole store's, so every node sharing a PostgreSQL store reports the same counts.
 */
export class ReservationTail {
  /** The last seq before this process started: only later rows are counted. */
  private readonly startSeq: Promise<number>;
  private maxSeq: number | null = null;
  private lastRead: number | null = null;
  /** Seqs already counted that are still inside the look-back window, with their dates. */
  private readonly seen = new Map<number, number>();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    this.startSeq = db.get<{ seq: number | string }>('SELECT COALESCE(MAX(seq), 0) AS seq FROM events').then((r) => Number(r?.seq ?? 0));
    this.startSeq.catch(() => undefined);
  }

  /**
   * The events that appeared since the last read: rows past the highest seq seen, whatever their
   * date (the clock may have been set back while nothing was recorded), and rows of the look-back
   * window not yet seen (a transaction that committed after a later one).
   */
  async read(): Promise<ReservationSeen[]> {
    const now = this.clock.now();
    const startSeq = await this.startSeq;
    const after = this.maxSeq ?? startSeq;
    const from = this.lastRead === null ? Number.MAX_SAFE_INTEGER : this.lastRead - LOOK_BACK_MS;
    const types = Object.keys(RESERVATION_EVENTS);
    const rows = await this.db.all<{ seq: number | string; event_type: keyof typeof RESERVATION_EVENTS; event_date: number | string; task_created: number | string | null }>(
      `SELECT e.seq, e.event_type, e.event_date, t.date_created AS task_created
         FROM events e LEFT JOIN tasks t ON t.sid = e.task_sid
        WHERE e.seq > ? AND (e.seq > ? OR e.event_date >= ?) AND e.event_type IN (${types.map(() => '?').join(', ')})
        ORDER BY e.seq`,
      [startSeq, after, from, ...types],
    );
    this.lastRead = now;
    const out: ReservationSeen[] = [];
    for (const r of rows) {
      const seq = Number(r.seq);
      this.maxSeq = Math.max(this.maxSeq ?? startSeq, seq);
      if (this.seen.has(seq)) continue;
      this.seen.set(seq, Number(r.event_date));
      const status = RESERVATION_EVENTS[r.event_type];
      const latencyMs = status === 'created' && r.task_created !== null ? Math.max(0, Number(r.event_date) - Number(r.task_created)) : null;
      out.push({ status, latencyMs });
    }
    this.maxSeq ??= startSeq;
    for (const [seq, date] of this.seen) if (date < now - LOOK_BACK_MS) this.seen.delete(seq);
    return out;
  }
}
