import { simpleParser, type AddressObject } from 'mailparser';

/** A mail as the gateway lands it: who, to whom, which thread, what it says and carries. */
export interface InboundMail {
  /** Message-ID without its angle brackets; null when the mail has none. */
  messageId: string | null;
  /** The ids it answers, the most recent first: In-Reply-To, then References from the end. */
  thread: string[];
  from: { address: string; name: string | null } | null;
  /** Header recipients (To and Cc), lower case. */
  recipients: string[];
  subject: string | null;
  text: string | null;
  html: string | null;
  attachments: Attachment[];
  /** Every value of a header (lower-case name), as written. */
  header(name: string): string[];
  /** The top-level content type (multipart/report for delivery reports). */
  contentType: string;
}

export interface Attachment {
  content: Buffer;
  contentType: string;
  filename: string | null;
}

/** A mail refers to at most this many earlier ones for threading; more is noise (or an attack on the lookup). */
const MAX_THREAD_IDS = 50;
const MAX_ID = 250;
// A long HTML body is kept as it came; only its conversion to text (the message body) is bounded.
const MAX_HTML_TO_TEXT = 1024 * 1024;

/**
 * Parses a mail. mailparser reads whatever it is given (a broken MIME structure becomes text);
 * it throws only on input it cannot read at all, which the listener refuses.
 */
export async function parseMail(raw: Buffer): Promise<InboundMail> {
  const m = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true, maxHtmlLengthToParse: MAX_HTML_TO_TEXT });
  const lines = new Map<string, string[]>();
  for (const { key, line } of m.headerLines) {
    const value = line.slice(line.indexOf(':') + 1).trim();
    lines.set(key, [...(lines.get(key) ?? []), value]);
  }
  const from = addressesOf(m.from).find((a) => a.address !== undefined && usableAddress(a.address));
  const thread = [...messageIds(m.inReplyTo), ...messageIds(m.references).reverse()];
  const contentType = (lines.get('content-type')?.[0] ?? 'text/plain').split(';')[0].trim().toLowerCase();
  return {
    messageId: messageIds(m.messageId)[0] ?? null,
    thread: [...new Set(thread)].slice(0, MAX_THREAD_IDS),
    from: from?.address ? { address: from.address.toLowerCase(), name: clean(from.name).trim().slice(0, 256) || null } : null,
    recipients: [...addressesOf(m.to), ...addressesOf(m.cc)].flatMap((a) => (a.address && usableAddress(a.address) ? [a.address.toLowerCase()] : [])),
    subject: clean(m.subject).trim() || null,
    text: clean(m.text).trim() ? clean(m.text) : null,
    html: typeof m.html === 'string' && clean(m.html).trim() ? clean(m.html) : null,
    attachments: m.attachments.map((a) => ({ content: a.content, contentType: clean(a.contentType) || 'application/octet-stream', filename: clean(a.filename) || null })),
    header: (name) => lines.get(name.toLowerCase()) ?? [],
    contentType,
  };
}

// NUL is no text (PostgreSQL refuses it in a TEXT column); the other controls but tab and line ends go with it.
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
const clean = (s: string | undefined) => (s ?? '').replace(CONTROLS, '');

/** An address a participant can have: at most RFC 5321's 254 characters, one @, no blanks or controls. */
export function usableAddress(address: string): boolean {
  return address.length <= 254 && /^[^\s@\u0000-\u001f\u007f]+@[^\s@\u0000-\u001f\u007f]+$/.test(address);
}

function addressesOf(v: AddressObject | AddressObject[] | undefined): { address?: string; name: string }[] {
  if (!v) return [];
  // Groups (To: team: a@x, b@y;) hold their members one level down.
  return (Array.isArray(v) ? v : [v]).flatMap((o) => o.value.flatMap((a) => (a.group ? a.group : [a])));
}

/** The ids a Message-ID, In-Reply-To or References value names, without their brackets. */
export function messageIds(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  const out: string[] = [];
  for (const text of Array.isArray(v) ? v : [v]) {
    const bracketed = text.match(/<[^<>\s]+>/g);
    const ids = bracketed ? bracketed.map((b) => b.slice(1, -1)) : text.trim().split(/\s+/);
    // Message-IDs are printable ASCII; anything else cannot be one we sent or recorded.
    for (const id of ids) if (id && id.length <= MAX_ID && /^[\x21-\x7e]+$/.test(id)) out.push(id);
  }
  return out;
}
