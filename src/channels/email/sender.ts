import nodemailer, { type Transporter } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { Clock } from '../../core/clock.ts';
import { UNKNOWN_DELIVERY_ERROR, type DeliveryAdapter, type DeliveryOutcome, type OutboundMessage } from '../../conversations/gateway/outbound.ts';
import { conversations, messages, participants, type MediaEntry, type MessageRow } from '../../conversations/model.ts';
import { mediaContent } from '../../conversations/sdk/media/store.ts';
import { bindingType } from '../../conversations/service/participants.ts';
import type { Log } from '../../ops/logger.ts';
import type { Database } from '../../store/database.ts';
import { compose, messageIdOf, type Draft } from './compose.ts';
import type { RelayOptions } from './options.ts';
import { idsBefore, inboundRecord, recordMessageId } from './threads.ts';

/** Twilio's 30005 (unknown destination): the relay refused the recipient for good. */
export const RECIPIENT_REFUSED = 30005;
/** Twilio's 30007 (message filtered): the relay refused the message itself for good. */
export const MESSAGE_REFUSED = 30007;
/** Earlier messages quoted under a reply. */
const QUOTED = 10;

/** A mail that nodemailer could not send, with what the relay answered. */
interface SendError extends Error {
  code?: string;
  responseCode?: number;
  command?: string;
}

/** How to reach the relay: nodemailer's SMTP transport. */
export function relayTransport(o: RelayOptions): Transporter {
  return nodemailer.createTransport({
    host: o.host,
    port: o.port,
    secure: o.tls === 'implicit',
    requireTLS: o.tls === 'starttls',
    ignoreTLS: o.tls === 'none',
    auth: o.auth,
    pool: true,
    maxConnections: 2,
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
  });
}

/**
 * The outbound side: a message for an email participant (an address with an @) becomes a mail
 * through the relay (compose.ts). What the relay answers is the participant's delivery receipt:
 * accepted → sent (no channel message SID: a Message-ID is not a SID); refused for good (5xx) → failed
 * with 30005 (the recipient) or 30007 (the message); anything else (no connection, a timeout, 4xx,
 * authentication) → tried again by the outbox, which gives up with 30008. A message that came in
 * by mail is not mailed again to those it was addressed to: they have it (delivered).
 */
export class EmailSender implements DeliveryAdapter {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly transport: Transporter,
    private readonly log: Log,
  ) {}

  handles(m: OutboundMessage): boolean {
    return bindingType(m.to) === 'email';
  }

  async deliver(m: OutboundMessage): Promise<DeliveryOutcome> {
    const draft = await this.draft(m);
    if ('outcome' in draft) return draft.outcome;
    const mail = compose(draft);
    const messageId = messageIdOf(draft.message.sid, draft.conversation.email_address);
    // Recorded before it leaves: an answer to it may come back before the relay has replied.
    await recordMessageId(this.db, {
      account_sid: m.accountSid,
      message_id: messageId,
      conversation_sid: m.conversationSid,
      message_sid: m.messageSid,
      direction: 'outbound',
      recipients: null,
      date_created: this.clock.now(),
    });
    return this.send(mail, m);
  }

  private async send(mail: Mail.Options, m: OutboundMessage): Promise<DeliveryOutcome> {
    const context = { conversationSid: m.conversationSid, messageSid: m.messageSid, participantSid: m.participantSid };
    try {
      const info = (await this.transport.sendMail(mail)) as { rejected?: unknown[] };
      if ((info.rejected ?? []).length > 0) return { status: 'failed', errorCode: RECIPIENT_REFUSED };
      return { status: 'sent' };
    } catch (err) {
      const e = err as SendError;
      const code = e.responseCode;
      this.log.info({ ...context, err: { message: e.message, code: e.code, responseCode: code, command: e.command } }, 'an email could not be sent');
      if (e.code === 'EAUTH' || code === undefined || code < 500) return { status: 'retry' };
      const command = (e.command ?? '').toUpperCase();
      const errorCode = command.startsWith('RCPT') ? RECIPIENT_REFUSED : command.startsWith('DATA') ? MESSAGE_REFUSED : UNKNOWN_DELIVERY_ERROR;
      return { status: 'failed', errorCode };
    }
  }

  /** Everything the mail is made from, or the outcome when there is no mail to make. */
  private async draft(m: OutboundMessage): Promise<Draft | { outcome: DeliveryOutcome }> {
    const db = this.db;
    const gone = { outcome: { status: 'failed', errorCode: UNKNOWN_DELIVERY_ERROR } as DeliveryOutcome };
    const message = await messages.get(db, m.messageSid, ['conversation_sid = ?', m.conversationSid]);
    const conversation = await conversations.get(db, m.conversationSid);
    const recipient = await participants.get(db, m.participantSid, ['conversation_sid = ?', m.conversationSid]);
    if (!message || !conversation || !recipient?.address) return gone;
    const inbound = await inboundRecord(db, message.sid);
    if (inbound && wasAddressed(inbound.recipients, recipient.address)) return { outcome: { status: 'delivered' } };
    if (!conversation.email_address) {
      this.log.warn({ conversationSid: conversation.sid, messageSid: message.sid }, "an email participant's message has no sender: the conversation has no email address (Bindings.Email.Address, or the interaction's from)");
      return gone;
    }
    const all = await participants.list(db, { where: [['conversation_sid = ?', conversation.sid], ['address IS NOT NULL']] });
    const earlier = await messages.list(db, {
      where: [['conversation_sid = ?', conversation.sid], ['message_index < ?', message.message_index], ["body IS NOT NULL AND body <> ''"]],
      orderBy: 'message_index DESC',
      limit: QUOTED,
    });
    const latestSubject = (await messages.list(db, {
      where: [['conversation_sid = ?', conversation.sid], ['message_index < ?', message.message_index], ['subject IS NOT NULL']],
      orderBy: 'message_index DESC',
      limit: 1,
    }))[0];
    return {
      conversation: { ...conversation, email_address: conversation.email_address },
      message,
      recipient,
      emailParticipants: all.filter((p) => bindingType(p.address as string) === 'email'),
      earlier,
      threadIds: await idsBefore(db, conversation.sid, message.message_index),
      threadSubject: latestSubject?.subject ?? null,
      attachments: await this.attachments(message),
    };
  }

  private async attachments(message: MessageRow): Promise<Draft['attachments']> {
    if (!message.media) return [];
    const out: Draft['attachments'] = [];
    for (const entry of JSON.parse(message.media) as MediaEntry[]) {
      // An email's own bodies (category body) are the message, not attachments to it.
      if (entry.category === 'body' || entry.category === 'history' || typeof entry.url === 'string') continue;
      const content = await mediaContent(this.db, entry.sid);
      if (content) out.push({ filename: entry.filename, contentType: entry.content_type ?? 'application/octet-stream', content });
    }
    return out;
  }
}

function wasAddressed(recipients: string | null, address: string): boolean {
  try {
    return (JSON.parse(recipients ?? '[]') as string[]).includes(address.toLowerCase());
  } catch {
    return false;
  }
}
