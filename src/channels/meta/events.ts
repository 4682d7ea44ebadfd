import type { ReceiptStatus } from '../../conversations/model.ts';

/**
 * What a Meta webhook says, once read: messages to land, and what became of messages sent. The
 * addresses are Conversations' (messenger:<PSID> / messenger:<page id>, whatsapp:+<number>).
 */
export interface InboundMessage {
  kind: 'message';
  /** Meta's message id (mid / wamid): a redelivered webhook lands it once. */
  id: string;
  from: string;
  to: string;
  body: string;
  media: { url: string; contentType: string | null }[];
  /** The sender's name when the webhook gives it (WhatsApp's contact profile). */
  name?: string;
  /** Messenger gives no name: where to look it up, when the message starts a conversation. */
  lookup?: { psid: string; token: string };
}

/** One sent message's new status (Messenger delivery mids, WhatsApp statuses). */
export interface StatusUpdate {
  kind: 'status';
  /** Meta's id of the message sent (mid, wamid). */
  channelMessageId: string;
  status: ReceiptStatus;
  errorCode?: number;
}

/** Messenger's watermarks: everything sent to `to` from `from` up to `upTo` (epoch ms) is delivered or read. */
export interface Watermark {
  kind: 'watermark';
  customer: string;
  business: string;
  status: 'delivered' | 'read';
  upTo: number;
}

export type MetaEvent = InboundMessage | StatusUpdate | Watermark;

// Reading JSON nobody has vouched for the shape of: anything unexpected reads as absent.
export const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const text = (v: unknown, max = 256): string | undefined => (typeof v === 'string' && v !== '' && v.length <= max ? v : undefined);
/** An id of Meta's as the addresses carry it: no blanks or colons, a sane length. */
export const metaId = (v: unknown): string | undefined => {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
  return typeof s === 'string' && /^[A-Za-z0-9_.=+\-/]{1,256}$/.test(s) ? s : undefined;
};

/** Webhooks carry at most this much of one message's text (Messenger's own limit is 2000, WhatsApp's 4096). */
export const MAX_BODY = 4096;
/** Media per message, as the Twilio-shaped gateway takes. */
export const MAX_MEDIA = 10;
