import { invalidParameter, notFound } from '../../core/errors.ts';
import { isSid, newSid } from '../../core/sid.ts';
import type { Executor } from '../../store/database.ts';
import { bodyTooLong, conversationClosed } from '../errors.ts';
import { recordEvent } from '../events.ts';
import {
  messages,
  participants,
  receipts,
  type ConversationRow,
  type MediaEntry,
  type MessageRow,
  type ParticipantRow,
  type ReceiptRow,
  type ReceiptStatus,
} from '../model.ts';
import { findConversation, lockedConversation, write, type Cause, type Deps } from './deps.ts';
import { activity } from './lifecycle.ts';

export interface MessageInput {
  author?: string;
  body?: string;
  attributes?: string;
  dateCreated?: number;
  dateUpdated?: number;
  /** Media SIDs (ME...) given with the message; the REST API takes one, gateways may give more. */
  mediaSids?: string[];
  /** Full media entries (gateways that know size, type and name). */
  media?: MediaEntry[];
  contentSid?: string;
  contentVariables?: string;
  subject?: string;
}

/** Twilio's delivery summary: for each status, whether all, some or none of the receipts reached it. */
export interface DeliverySummary {
  total: number;
  sent: 'all' | 'some' | 'none';
  delivered: 'all' | 'some' | 'none';
  read: 'all' | 'some' | 'none';
  failed: 'all' | 'some' | 'none';
  undelivered: 'all' | 'some' | 'none';
}

export interface MessageView {
  conversation: ConversationRow;
  message: MessageRow;
  delivery: DeliverySummary | null;
}

export const MAX_BODY = 1600;

export interface ReceiptInput {
  participantSid: string;
  status: ReceiptStatus;
  channelMessageSid?: string | null;
  errorCode?: number;
}

export class MessageService {
  constructor(private readonly deps: Deps) {}

  async create(accountSid: string, conversation: string, input: MessageInput, cause: Cause, outer?: Executor): Promise<MessageView> {
    const media = [...(input.media ?? []), ...(input.mediaSids ?? []).map((sid) => ({ sid, size: null, content_type: null, filename: null }))];
    if ((input.body === undefined || input.body === '') && media.length === 0 && input.contentSid === undefined)
      throw invalidParameter('A message needs a Body, a MediaSid or a ContentSid');
    if (input.body !== undefined && input.body.length > MAX_BODY) throw bodyTooLong(`Body is ${input.body.length} characters long; the limit is ${MAX_BODY}`);
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      let c = await lockedConversation(this.deps.db, tx, accountSid, conversation);
      if (c.state === 'closed') throw conversationClosed(`Conversation ${c.sid} is closed: no message can be added`);
      const author = input.author ?? 'system';
      const created = input.dateCreated ?? now;
      const row: MessageRow = {
        sid: newSid('IM'),
        account_sid: accountSid,
        conversation_sid: c.sid,
        message_index: c.next_message_index,
        author,
        body: input.body ?? null,
        attributes: input.attributes ?? '{}',
        media: media.length > 0 ? JSON.stringify(media) : null,
        participant_sid: (await authorParticipant(tx, c.sid, author))?.sid ?? null,
        content_sid: input.contentSid ?? null,
        content_variables: input.contentVariables ?? null,
        subject: input.subject ?? null,
        date_created: created,
        date_updated: input.dateUpdated ?? created,
      };
      await tx.run('UPDATE conversations SET next_message_index = next_message_index + 1 WHERE sid = ?', [c.sid]);
      await messages.insert(tx, row);
      c = await activity(tx, { ...c, next_message_index: c.next_message_index + 1 }, now, cause);
      await recordEvent(tx, now, {
        accountSid,
        conversationSid: c.sid,
        type: 'onMessageAdded',
        resourceSid: row.sid,
        ...cause,
        data: { message: row, conversation: c },
      });
      return { conversation: c, message: row, delivery: null };
    }, outer);
  }

  async get(accountSid: string, conversation: string, sid: string): Promise<MessageView> {
    const c = await findConversation(this.deps.db, accountSid, conversation);
    const message = await this.find(this.deps.db, c, sid, conversation);
    return { conversation: c, message, delivery: (await deliveries(this.deps.db, [message.sid])).get(message.sid) ?? null };
  }

  private async find(db: Executor, c: ConversationRow, sid: string, conversationParam: string): Promise<MessageRow> {
    const m = isSid(sid, 'IM') ? await messages.get(db, sid, ['conversation_sid = ?', c.sid]) : undefined;
    if (!m) throw notFound(`/v1/Conversations/${conversationParam}/Messages/${sid}`);
    return m;
  }

  async list(accountSid: string, conversation: string, order: 'asc' | 'desc', limit: number, offset: number): Promise<MessageView[]> {
    const c = await findConversation(this.deps.db, accountSid, conversation);
    const rows = await messages.list(this.deps.db, {
      where: [['conversation_sid = ?', c.sid]],
      orderBy: order === 'desc' ? 'message_index DESC' : 'message_index',
      limit,
      offset,
    });
    const summaries = await deliveries(this.deps.db, rows.map((r) => r.sid));
    return rows.map((message) => ({ conversation: c, message, delivery: summaries.get(message.sid) ?? null }));
  }

  async update(accountSid: string, conversation: string, sid: string, input: MessageInput, cause: Cause): Promise<MessageView> {
    if (input.body !== undefined && input.body.length > MAX_BODY) throw bodyTooLong(`Body is ${input.body.length} characters long; the limit is ${MAX_BODY}`);
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      const c = await lockedConversation(this.deps.db, tx, accountSid, conversation);
      const m = await this.find(tx, c, sid, conversation);
      const next: MessageRow = { ...m };
      if (input.author !== undefined) {
        next.author = input.author;
        next.participant_sid = (await authorParticipant(tx, c.sid, input.author))?.sid ?? null;
      }
      if (input.body !== undefined) next.body = input.body;
      if (input.attributes !== undefined) next.attributes = input.attributes;
      if (input.subject !== undefined) next.subject = input.subject;
      if (input.dateCreated !== undefined) next.date_created = input.dateCreated;
      next.date_updated = input.dateUpdated ?? now;
      if (next.body === null && next.media === null && next.content_sid === null)
        throw invalidParameter('A message needs a Body, media or a ContentSid');
      const { sid: _sid, ...patch } = next;
      await messages.update(tx, m.sid, patch);
      await recordEvent(tx, now, {
        accountSid,
        conversationSid: c.sid,
        type: 'onMessageUpdated',
        resourceSid: m.sid,
        ...cause,
        data: { message: next, previous: m, conversation: c },
      });
      return { conversation: c, message: next, delivery: (await deliveries(tx, [m.sid])).get(m.sid) ?? null };
    });
  }

  async delete(accountSid: string, conversation: string, sid: string, cause: Cause): Promise<void> {
    const now = this.deps.clock.now();
    await write(this.deps, async (tx) => {
      const c = await lockedConversation(this.deps.db, tx, accountSid, conversation);
      const m = await this.find(tx, c, sid, conversation);
      await messages.delete(tx, ['sid = ?', m.sid]);
      await recordEvent(tx, now, {
        accountSid,
        conversationSid: c.sid,
        type: 'onMessageRemoved',
        resourceSid: m.sid,
        ...cause,
        data: { message: m, conversation: c },
      });
    });
  }

  // ---- Receipts -------------------------------------------------------------------------------

  async receipts(accountSid: string, conversation: string, messageSid: string, limit: number, offset: number): Promise<{ conversation: ConversationRow; receipts: ReceiptRow[] }> {
    const c = await findConversation(this.deps.db, accountSid, conversation);
    const m = await this.find(this.deps.db, c, messageSid, conversation);
    return { conversation: c, receipts: await receipts.list(this.deps.db, { where: [['message_sid = ?', m.sid]], limit, offset }) };
  }

  async receipt(accountSid: string, conversation: string, messageSid: string, sid: string): Promise<{ conversation: ConversationRow; receipt: ReceiptRow }> {
    const c = await findConversation(this.deps.db, accountSid, conversation);
    const m = await this.find(this.deps.db, c, messageSid, conversation);
    const r = isSid(sid, 'DY') ? await receipts.get(this.deps.db, sid, ['message_sid = ?', m.sid]) : undefined;
    if (!r) throw notFound(`/v1/Conversations/${conversation}/Messages/${messageSid}/Receipts/${sid}`);
    return { conversation: c, receipt: r };
  }

  /**
   * Records (or moves on) the delivery receipt of a message for one non-chat participant: for the
   * outbound gateway, which learns delivery results. Records onDeliveryUpdated.
   */
  async recordReceipt(accountSid: string, conversationSid: string, messageSid: string, input: ReceiptInput, cause: Cause = { source: 'gateway', webhooksEnabled: true }): Promise<ReceiptRow> {
    const now = this.deps.clock.now();
    return write(this.deps, async (tx) => {
      const c = await lockedConversation(this.deps.db, tx, accountSid, conversationSid);
      const m = await this.find(tx, c, messageSid, conversationSid);
      const p = await participants.get(tx, input.participantSid, ['conversation_sid = ?', c.sid]);
      if (!p) throw notFound(`/v1/Conversations/${c.sid}/Participants/${input.participantSid}`);
      const existing = await receipts.first(tx, ['message_sid = ?', m.sid], ['participant_sid = ?', p.sid]);
      const row: ReceiptRow = existing
        ? {
            ...existing,
            status: input.status,
            channel_message_sid: input.channelMessageSid ?? existing.channel_message_sid,
            error_code: input.errorCode ?? existing.error_code,
            date_updated: now,
          }
        : {
            sid: newSid('DY'),
            account_sid: accountSid,
            conversation_sid: c.sid,
            message_sid: m.sid,
            participant_sid: p.sid,
            channel_message_sid: input.channelMessageSid ?? null,
            status: input.status,
            error_code: input.errorCode ?? 0,
            date_created: now,
            date_updated: now,
          };
      if (existing) {
        const { sid: _sid, ...patch } = row;
        await receipts.update(tx, row.sid, patch);
      } else await receipts.insert(tx, row);
      await recordEvent(tx, now, {
        accountSid,
        conversationSid: c.sid,
        type: 'onDeliveryUpdated',
        resourceSid: row.sid,
        ...cause,
        data: { receipt: row, message: m, participant: p },
      });
      return row;
    });
  }
}

/** The participant a message's author names: by identity, else by messaging address. */
async function authorParticipant(tx: Executor, conversationSid: string, author: string): Promise<ParticipantRow | undefined> {
  return (
    (await participants.first(tx, ['conversation_sid = ?', conversationSid], ['identity = ?', author])) ??
    (await participants.first(tx, ['conversation_sid = ?', conversationSid], ['address = ?', author]))
  );
}

/**
 * Delivery summaries of messages from their receipts; a message with no receipt has none (null).
 * Statuses are cumulative: a read receipt was also delivered and sent, a delivered one also sent.
 */
export async function deliveries(db: Executor, messageSids: string[]): Promise<Map<string, DeliverySummary>> {
  const out = new Map<string, DeliverySummary>();
  if (messageSids.length === 0) return out;
  const rows = await db.all<{ message_sid: string; status: ReceiptStatus; n: number }>(
    `SELECT message_sid, status, COUNT(*) AS n FROM conversation_receipts WHERE message_sid IN (${messageSids.map(() => '?').join(', ')}) GROUP BY message_sid, status`,
    messageSids,
  );
  const counts = new Map<string, Record<ReceiptStatus, number>>();
  for (const r of rows) {
    const c = counts.get(r.message_sid) ?? { sent: 0, delivered: 0, read: 0, failed: 0, undelivered: 0 };
    c[r.status] = (c[r.status] ?? 0) + Number(r.n);
    counts.set(r.message_sid, c);
  }
  const level = (n: number, total: number) => (n === 0 ? 'none' : n >= total ? 'all' : 'some');
  for (const [sid, c] of counts) {
    const total = c.sent + c.delivered + c.read + c.failed + c.undelivered;
    out.set(sid, {
      total,
      sent: level(c.sent + c.delivered + c.read, total),
      delivered: level(c.delivered + c.read, total),
      read: level(c.read, total),
      failed: level(c.failed, total),
      undelivered: level(c.undelivered, total),
    });
  }
  return out;
}
