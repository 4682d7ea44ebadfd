import type { Executor } from '../../store/database.ts';

/**
 * Meta's customer-service window: free-form messages may go to a person for 24 hours after their
 * last message to the page or number. Counted from what Switchyard's conversations hold: the last
 * message that person wrote through this business address, in any of their conversations.
 */
export const WINDOW_MS = 24 * 60 * 60 * 1000;

export async function lastCustomerMessage(db: Executor, accountSid: string, customer: string, business: string): Promise<number | undefined> {
  const row = await db.get<{ at: number | string | null }>(
    'SELECT MAX(m.date_created) AS at FROM conversation_participants p JOIN conversation_messages m ON m.conversation_sid = p.conversation_sid AND m.participant_sid = p.sid ' +
      'WHERE p.account_sid = ? AND p.address = ? AND p.proxy_address = ?',
    [accountSid, customer, business],
  );
  return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
}

export async function insideWindow(db: Executor, now: number, accountSid: string, customer: string, business: string): Promise<boolean> {
  const last = await lastCustomerMessage(db, accountSid, customer, business);
  return last !== undefined && now - last <= WINDOW_MS;
}
