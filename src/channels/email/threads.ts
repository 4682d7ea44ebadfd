import type { Executor } from '../../store/database.ts';

/**
 * Message-IDs and the conversations they belong to (table email_messages, migration 22): what
 * threads a customer's answer into the conversation it answers, and what the gateway's replies
 * name in In-Reply-To and References.
 */

export interface MessageIdRow {
  account_sid: string;
  message_id: string;
  conversation_sid: string;
  message_sid: string;
  direction: 'inbound' | 'outbound';
  /** JSON array: the header recipients of an inbound mail. */
  recipients: string | null;
  date_created: number;
}

/** Records an id; one already recorded (a copy of a mail to another recipient) is left as it is. */
export async function recordMessageId(tx: Executor, row: MessageIdRow): Promise<void> {
  await tx.run(
    'INSERT INTO email_messages (account_sid, message_id, conversation_sid, message_sid, direction, recipients, date_created) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
      'ON CONFLICT (account_sid, message_id) DO NOTHING',
    [row.account_sid, row.message_id, row.conversation_sid, row.message_sid, row.direction, row.recipients, row.date_created],
  );
}

export async function isKnown(db: Executor, accountSid: string, messageId: string): Promise<boolean> {
  return (await db.get('SELECT 1 AS x FROM email_messages WHERE account_sid = ? AND message_id = ?', [accountSid, messageId])) !== undefined;
}

/** The open conversation of the first of `ids` (most recent first) that the gateway knows. */
export async function threadConversation(db: Executor, accountSid: string, ids: string[]): Promise<string | undefined> {
  if (ids.length === 0) return undefined;
  const rows = await db.all<{ message_id: string; conversation_sid: string }>(
    `SELECT e.message_id, e.conversation_sid FROM email_messages e JOIN conversations c ON c.sid = e.conversation_sid
      WHERE e.account_sid = ? AND c.state <> 'closed' AND e.message_id IN (${ids.map(() => '?').join(', ')})`,
    [accountSid, ...ids],
  );
  const byId = new Map(rows.map((r) => [r.message_id, r.conversation_sid]));
  for (const id of ids) if (byId.has(id)) return byId.get(id);
  return undefined;
}

/** The newest open conversation of this receiving address that the sender is in. */
export async function senderConversation(db: Executor, accountSid: string, sender: string, address: string): Promise<string | undefined> {
  const row = await db.get<{ sid: string }>(
    `SELECT c.sid FROM conversations c JOIN conversation_participants p ON p.conversation_sid = c.sid
      WHERE c.account_sid = ? AND lower(c.email_address) = ? AND c.state <> 'closed' AND lower(p.address) = ?
      ORDER BY c.seq DESC LIMIT 1`,
    [accountSid, address.toLowerCase(), sender.toLowerCase()],
  );
  return row?.sid;
}

/** The ids of a conversation's mail up to a message, oldest first (the last is the one a reply answers). */
export async function idsBefore(db: Executor, conversationSid: string, messageIndex: number, limit = 20): Promise<string[]> {
  const rows = await db.all<{ message_id: string }>(
    `SELECT e.message_id FROM email_messages e JOIN conversation_messages m ON m.sid = e.message_sid
      WHERE e.conversation_sid = ? AND m.message_index < ? ORDER BY m.message_index DESC, e.seq DESC LIMIT ${Math.floor(limit)}`,
    [conversationSid, messageIndex],
  );
  return rows.map((r) => r.message_id).reverse();
}

/** The inbound record of a message, if it came in by mail. */
export function inboundRecord(db: Executor, messageSid: string): Promise<MessageIdRow | undefined> {
  return db.get<MessageIdRow>("SELECT * FROM email_messages WHERE message_sid = ? AND direction = 'inbound' LIMIT 1", [messageSid]);
}
