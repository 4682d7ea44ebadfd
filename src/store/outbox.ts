import type { Clock } from '../core/clock.ts';
import type { Database, Executor } from './database.ts';

/** The outbox tables: rows to send, each claimed (locked_until) by the node sending it. */
export type OutboxTable = 'deliveries' | 'conversation_deliveries' | 'assignment_callbacks';
/** The column that names an ordered table's queue (rows of one queue are sent in seq order). */
export type QueueColumn = 'workspace_sid' | 'queue';

export interface OutboxRow {
  seq: number;
  locked_until: number;
}

/** A row this node claimed, until `until`; `lost` once it turned out that another node has it now. */
export interface Claim {
  seq: number;
  until: number;
  lost: boolean;
}

/** Auth tokens by account, read when needed: a rotated token signs the next request. */
export async function authTokenOf(db: Executor, accountSid: string): Promise<string | undefined> {
  return (await db.get<{ auth_token: string }>('SELECT auth_token FROM accounts WHERE sid = ?', [accountSid]))?.auth_token;
}

/**
 * The highest seq of an event table below which no row can still appear. On PostgreSQL a seq is
 * handed out when a row is inserted, not when it commits, so a later row may be visible before an
 * earlier one. A SHARE lock waits for every transaction inserting into the table to end (holding new
 * ones back only while MAX(seq) is read): below that, a missing seq was rolled back. SQLite writes
 * one transaction at a time, so whatever is visible is final.
 */
export function settledSeq(db: Database, table: 'conversation_events'): Promise<number> {
  return db.transaction(async (tx) => {
    if (db.dialect === 'postgres') await tx.run(`LOCK TABLE ${table} IN SHARE MODE`);
    return Number((await tx.get<{ seq: number | null }>(`SELECT MAX(seq) AS seq FROM ${table}`))?.seq ?? 0);
  });
}

/**
 * Claims on one outbox table. A claim lasts `leaseMs`; every write after a send is conditional on
 * the claim still being this node's (locked_until unchanged), so a node whose claim ran out and was
 * taken over changes nothing. Several nodes may share a PostgreSQL database: claims are taken with
 * FOR UPDATE SKIP LOCKED.
 */
export class Outbox<R extends OutboxRow> {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly table: OutboxTable,
    private readonly leaseMs: number,
  ) {}

  private get lock() {
    return this.db.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
  }

  /**
   * The ordered queues (rows grouped by `queueColumn`) whose head is due and unclaimed, oldest
   * first, after `afterSeq`: a caller pages through all of them, so heads behind many others are found.
   */
  async dueHeads(queueColumn: QueueColumn, afterSeq: number, limit: number): Promise<{ queue: string; seq: number }[]> {
    const now = this.clock.now();
    const t = this.table;
    return this.db.all(
      `SELECT d.${queueColumn} AS queue, d.seq FROM ${t} d
         JOIN (SELECT ${queueColumn}, MIN(seq) AS head FROM ${t} GROUP BY ${queueColumn}) h ON h.head = d.seq
        WHERE d.next_attempt_at <= ? AND d.locked_until <= ? AND d.seq > ?
        ORDER BY d.seq LIMIT ${limit}`,
      [now, now, afterSeq],
    );
  }

  /**
   * Claims the oldest row of one ordered queue, if it is due and nobody is sending it. Only ever the
   * head: on PostgreSQL a locked head is skipped, which skips the whole queue rather than reaching
   * the row behind it, so order is kept across nodes.
   */
  claimHead(queueColumn: QueueColumn, queue: string): Promise<{ row: R; claim: Claim } | undefined> {
    const t = this.table;
    return this.db.transaction(async (tx) => {
      const now = this.clock.now();
      const row = await tx.get<R & { next_attempt_at: number }>(`SELECT * FROM ${t} WHERE seq = (SELECT MIN(seq) FROM ${t} WHERE ${queueColumn} = ?)${this.lock}`, [queue]);
      if (!row || Number(row.next_attempt_at) > now || Number(row.locked_until) > now) return undefined;
      return (await this.take(tx, row, now)) ?? undefined;
    });
  }

  /** Claims up to `limit` unclaimed rows of an unordered outbox, oldest first, after `afterSeq`. */
  claimDue(afterSeq: number, limit: number): Promise<{ row: R; claim: Claim }[]> {
    return this.db.transaction(async (tx) => {
      const now = this.clock.now();
      const due = await tx.all<R>(`SELECT * FROM ${this.table} WHERE locked_until <= ? AND seq > ? ORDER BY seq LIMIT ${limit}${this.lock}`, [now, afterSeq]);
      const claimed = [];
      for (const row of due) {
        const c = await this.take(tx, row, now);
        if (c) claimed.push(c);
      }
      return claimed;
    });
  }

  private async take(tx: Executor, row: R, now: number): Promise<{ row: R; claim: Claim } | null> {
    const until = now + this.leaseMs;
    const n = await tx.run(`UPDATE ${this.table} SET locked_until = ? WHERE seq = ? AND locked_until <= ?`, [until, row.seq, now]);
    return n === 1 ? { row, claim: { seq: row.seq, until, lost: false } } : null;
  }

  /**
   * Extends a claim before a send that had to wait (for its destination's share). False, and the
   * claim marked lost, when another node took the row over meanwhile (or it is gone).
   */
  async renew(claim: Claim): Promise<boolean> {
    const until = this.clock.now() + this.leaseMs;
    if ((await this.db.run(`UPDATE ${this.table} SET locked_until = ? WHERE seq = ? AND locked_until = ?`, [until, claim.seq, claim.until])) === 1) {
      claim.until = until;
      return true;
    }
    claim.lost = true;
    return false;
  }

  /** Hands a claimed row back, due as it was (shutdown): whichever node runs next sends it. */
  async release(claim: Claim): Promise<void> {
    await this.db.run(`UPDATE ${this.table} SET locked_until = 0 WHERE seq = ? AND locked_until = ?`, [claim.seq, claim.until]);
  }

  /** Records a failed attempt of a claimed row and when to try again. */
  async retryAt(claim: Claim, attempts: number, at: number): Promise<void> {
    await this.db.run(`UPDATE ${this.table} SET attempts = ?, next_attempt_at = ?, locked_until = 0 WHERE seq = ? AND locked_until = ?`, [
      attempts,
      at,
      claim.seq,
      claim.until,
    ]);
  }

  /** Removes a claimed row; false when the claim was no longer this node's (the row stays). */
  async drop(claim: Claim): Promise<boolean> {
    return (await this.db.run(`DELETE FROM ${this.table} WHERE seq = ? AND locked_until = ?`, [claim.seq, claim.until])) === 1;
  }

  /** Removes a row that was sent: whoever holds it now, it needs no other send. */
  async done(seq: number): Promise<void> {
    await this.db.run(`DELETE FROM ${this.table} WHERE seq = ?`, [seq]);
  }
}
