import type Mail from 'nodemailer/lib/mailer/index.js';
import type { ConversationRow, MessageRow, ParticipantRow } from '../../conversations/model.ts';
import { quoteHtml, quoteText, textToHtml, type Quoted } from './quote.ts';

/** What one mail of a message is made from, read from the store by the sender. */
export interface Draft {
  conversation: ConversationRow & { email_address: string };
  message: MessageRow;
  /** The participant this copy goes to (the envelope's only recipient). */
  recipient: ParticipantRow;
  /** The conversation's email participants, for the To and Cc headers (bcc ones never appear). */
  emailParticipants: ParticipantRow[];
  /** Earlier messages with text, newest first. */
  earlier: MessageRow[];
  /** Message-IDs of the conversation's earlier mail, oldest first. */
  threadIds: string[];
  /** The subject of the thread: the latest earlier message's that has one. */
  threadSubject: string | null;
  attachments: { filename: string | null; contentType: string; content: Buffer }[];
}

export type Level = 'to' | 'cc' | 'bcc';

function attributesOf(p: ParticipantRow): Record<string, unknown> {
  try {
    const a = JSON.parse(p.attributes) as unknown;
    return a && typeof a === 'object' && !Array.isArray(a) ? (a as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** to, cc or bcc: the participant's `level` attribute, as Flex's email participants carry it (to when absent). */
export function levelOf(p: ParticipantRow): Level {
  const level = attributesOf(p).level;
  return level === 'cc' || level === 'bcc' ? level : 'to';
}

export function nameOf(p: ParticipantRow): string | null {
  const a = attributesOf(p);
  for (const k of ['friendlyName', 'friendly_name', 'name']) if (typeof a[k] === 'string' && a[k]) return a[k] as string;
  return null;
}

/** The Message-ID of a message's mail: its SID at the sending address's domain (the same for every copy). */
export function messageIdOf(messageSid: string, fromAddress: string): string {
  const domain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1) || 'switchyard.invalid';
  return `${messageSid}@${domain}`;
}

const address = (p: ParticipantRow) => ({ name: nameOf(p) ?? '', address: p.address as string });

/**
 * The mail: from the conversation's email address and name (the interaction's from / from_name),
 * to the recipient alone in the envelope, with To and Cc naming the other email participants as
 * they are; the subject as the message gives it or "Re:" the thread's; In-Reply-To the latest
 * earlier mail and References the thread; the text with the earlier messages quoted under it.
 */
export function compose(d: Draft): Mail.Options {
  const c = d.conversation;
  const from = { name: c.email_name ?? '', address: c.email_address };
  const shown = d.emailParticipants.filter((p) => p.address !== null && p.address.toLowerCase() !== d.message.author.toLowerCase() && levelOf(p) !== 'bcc');
  const earlier: Quoted[] = d.earlier.map((m) => ({ date: new Date(Number(m.date_created)), author: authorOf(m, d), body: m.body ?? '' }));
  const body = d.message.body ?? '';
  const links = mediaLinks(d.message);
  const text = [body, ...links].filter(Boolean).join('\n\n');
  const subject = d.message.subject ?? (d.threadSubject ? reply(d.threadSubject) : undefined);
  return {
    envelope: { from: c.email_address, to: [d.recipient.address as string] },
    from,
    to: shown.filter((p) => levelOf(p) === 'to').map(address),
    cc: shown.filter((p) => levelOf(p) === 'cc').map(address),
    subject,
    date: new Date(Number(d.message.date_created)),
    messageId: `<${messageIdOf(d.message.sid, c.email_address)}>`,
    inReplyTo: d.threadIds.length > 0 ? `<${d.threadIds[d.threadIds.length - 1]}>` : undefined,
    references: d.threadIds.length > 0 ? d.threadIds.map((id) => `<${id}>`) : undefined,
    text: earlier.length > 0 ? `${text}\n\n${quoteText(earlier)}\n` : `${text}\n`,
    html: `<!doctype html><html><body><div>${textToHtml(text)}</div>${earlier.length > 0 ? `<br>\n${quoteHtml(earlier)}` : ''}</body></html>`,
    attachments: d.attachments.map((a) => ({ filename: a.filename ?? undefined, contentType: a.contentType, content: a.content })),
  };
}

/** "Re: " once, however many the thread's subject already has. */
function reply(subject: string): string {
  return `Re: ${subject.replace(/^(\s*(re|aw|sv|fw|fwd)\s*:\s*)+/i, '')}`;
}

/** Who wrote an earlier message, as the customer knows them: an email participant by name, anyone else is the contact center. */
function authorOf(m: MessageRow, d: Draft): string {
  const p = d.emailParticipants.find((x) => x.address !== null && x.address.toLowerCase() === m.author.toLowerCase());
  if (p) return nameOf(p) ? `${nameOf(p)} <${p.address}>` : (p.address as string);
  return d.conversation.email_name ? `${d.conversation.email_name} <${d.conversation.email_address}>` : d.conversation.email_address;
}

/** Media known only by URL (not stored here) go as links in the text. */
function mediaLinks(m: MessageRow): string[] {
  if (!m.media) return [];
  try {
    return (JSON.parse(m.media) as { url?: unknown; sid?: unknown }[]).flatMap((x) => (typeof x.url === 'string' ? [x.url] : []));
  } catch {
    return [];
  }
}
