import type { Clock } from '../core/clock.ts';
import type { Database } from './database.ts';

/**
 * Claims the oldest row of one ordered queue in an outbox table, if it is due and nobody is
 * sending it, for `leaseMs`. Only ever the head: on PostgreSQL a locked head is skipped, which
 * skips the whole queue rather than reaching the row behind it, so order is kept across nodes.
 */
export async function claimHead<R extends { seq: number; next_attempt_at: number; locked_until: number }>(
  db: Database,
  clock: Clock,
  table: 'deliveries' | 'conversation_deliveries',
  queueColumn: 'workspace_sid' | 'queue',
  queue: string,
  leaseMs: number,
): Promise<R | undefined> {
  return db.transaction(async (tx) => {
    const now = clock.now();
    const lock = db.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    const row = await tx.get<R>(`SELECT * FROM ${table} WHERE seq = (SELECT MIN(seq) FROM ${table} WHERE ${queueColumn} = ?)${lock}`, [queue]);
    if (!row || Number(row.next_attempt_at) > now || Number(row.locked_until) > now) return undefined;
    const claimed = await tx.run(`UPDATE ${table} SET locked_until = ? WHERE seq = ? AND locked_until <= ?`, [now + leaseMs, row.seq, now]);
    return claimed === 1 ? row : undefined;
  });
}
