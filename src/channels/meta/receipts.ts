import { TwilioError } from '../../core/errors.ts';
import type { ReceiptRow, ReceiptStatus } from '../../conversations/model.ts';
import type { ChannelDeps } from '../channel.ts';
import type { StatusUpdate, Watermark } from './events.ts';
import { channelMessageSid } from './graph.ts';
import { accountOf } from './inbound.ts';

/** Meta's statuses may arrive out of order: a receipt only moves forward (read is also delivered and sent). */
const RANK: Record<ReceiptStatus, number> = { sent: 1, failed: 2, undelivered: 2, delivered: 3, read: 4 };

type Receipt = Pick<ReceiptRow, 'account_sid' | 'conversation_sid' | 'message_sid' | 'participant_sid' | 'status'>;
const COLUMNS = 'r.account_sid, r.conversation_sid, r.message_sid, r.participant_sid, r.status';

/** What Meta's status webhooks say becomes the messages' delivery receipts (onDeliveryUpdated follows). */
export class MetaReceipts {
  constructor(private readonly deps: ChannelDeps) {}

  async status(u: StatusUpdate): Promise<void> {
    const rows = await this.deps.db.all<Receipt>(`SELECT ${COLUMNS} FROM conversation_receipts r WHERE r.channel_message_sid = ?`, [channelMessageSid(u.channelMessageId)]);
    for (const r of rows) await this.move(r, u.status, u.errorCode);
  }

  /** Messenger's watermark: every message sent to that person from that page up to then. */
  async watermark(w: Watermark): Promise<void> {
    const accountSid = await accountOf(this.deps.db, w.business);
    if (accountSid === undefined) return;
    const rows = await this.deps.db.all<Receipt>(
      `SELECT ${COLUMNS} FROM conversation_receipts r JOIN conversation_participants p ON p.sid = r.participant_sid ` +
        "WHERE p.account_sid = ? AND p.address = ? AND p.proxy_address = ? AND r.status IN ('sent', 'delivered') AND r.date_created <= ? ORDER BY r.seq",
      [accountSid, w.customer, w.business, w.upTo],
    );
    for (const r of rows) await this.move(r, w.status);
  }

  private async move(r: Receipt, status: ReceiptStatus, errorCode?: number): Promise<void> {
    if (RANK[status] <= RANK[r.status]) return;
    try {
      await this.deps.conversations.messages.recordReceipt(r.account_sid, r.conversation_sid, r.message_sid, { participantSid: r.participant_sid, status, errorCode });
    } catch (err) {
      // The message or its conversation went meanwhile: nothing left to update.
      if (!(err instanceof TwilioError)) throw err;
    }
  }
}
