import { MAX_MEDIA_BYTES } from '../../conversations/sdk/media/store.ts';
import { MAX_BODY } from '../../conversations/service/messages.ts';
import type { InboundMail } from './parse.ts';
import { newText } from './quote.ts';
import { noContent, tooBig } from './replies.ts';

/** Attachments one mail may bring (each one a media of its message). */
export const MAX_ATTACHMENTS = 20;

export interface Content {
  body: string;
  subject: string | null;
  parts: { category: 'media' | 'body'; content: Buffer; contentType: string; filename: string | null }[];
}

/**
 * What the message holds: its body is the text the mail adds (quoted history cut, at most
 * Conversations' 1600 characters); the whole text, when the body is not all of it, and the HTML
 * are `body` media (as Twilio keeps an email's bodies), attachments `media`.
 */
export function contentOf(mail: InboundMail): Content {
  const parts: Content['parts'] = [];
  let body = mail.text ? newText(mail.text) : '';
  if (body.length > MAX_BODY) body = `${body.slice(0, MAX_BODY - 1)}…`;
  if (mail.text && body !== mail.text.trim()) parts.push({ category: 'body', content: Buffer.from(mail.text, 'utf8'), contentType: 'text/plain; charset=utf-8', filename: null });
  if (mail.html) parts.push({ category: 'body', content: Buffer.from(mail.html, 'utf8'), contentType: 'text/html; charset=utf-8', filename: null });
  if (mail.attachments.length > MAX_ATTACHMENTS) throw tooBig(`more than ${MAX_ATTACHMENTS} attachments`);
  for (const a of mail.attachments) parts.push({ category: 'media', content: a.content, contentType: a.contentType.slice(0, 256), filename: a.filename?.slice(0, 256) ?? null });
  const large = parts.find((p) => p.content.length > MAX_MEDIA_BYTES);
  if (large) throw tooBig(`${large.filename ?? (large.category === 'body' ? 'its body' : 'an attachment')} is over ${MAX_MEDIA_BYTES} bytes`);
  const subject = mail.subject ? mail.subject.slice(0, 256) : null;
  if (body === '') body = subject ?? '';
  if (body === '' && parts.length === 0) throw noContent();
  return { body, subject, parts };
}
