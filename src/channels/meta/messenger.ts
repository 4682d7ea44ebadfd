import type { MetaOptions } from './options.ts';
import { MAX_BODY, MAX_MEDIA, list, metaId, obj, text, type InboundMessage, type MetaEvent } from './events.ts';

export const MESSENGER = 'messenger:';

/**
 * A Messenger webhook (object "page") as events: messages and postbacks from people to a page
 * this server serves (echoes of the page's own messages are not news), deliveries and reads.
 * Entries about pages not configured here are left out.
 */
export function messengerEvents(payload: Record<string, unknown>, options: MetaOptions): MetaEvent[] {
  const out: MetaEvent[] = [];
  for (const entry of list(payload.entry)) {
    for (const item of list(obj(entry).messaging)) {
      const e = obj(item);
      const psid = metaId(obj(e.sender).id);
      const pageId = metaId(obj(e.recipient).id);
      if (!psid || !pageId || options.pages[pageId] === undefined) continue;
      const customer = MESSENGER + psid;
      const business = MESSENGER + pageId;
      if (e.message !== undefined) {
        const m = inbound(obj(e.message), customer, business);
        if (m) out.push({ ...m, lookup: { psid, token: options.pages[pageId] } });
      } else if (e.postback !== undefined) {
        // A button the person tapped: its title is what they "said".
        const p = obj(e.postback);
        const id = metaId(p.mid);
        const title = text(p.title, MAX_BODY);
        if (id && title) out.push({ kind: 'message', id, from: customer, to: business, body: title, media: [], lookup: { psid, token: options.pages[pageId] } });
      } else if (e.delivery !== undefined) {
        const d = obj(e.delivery);
        const mids = list(d.mids).map(metaId).filter((x): x is string => x !== undefined);
        for (const mid of mids) out.push({ kind: 'status', channelMessageId: mid, status: 'delivered' });
        const upTo = d.watermark;
        if (mids.length === 0 && typeof upTo === 'number' && Number.isSafeInteger(upTo)) out.push({ kind: 'watermark', customer, business, status: 'delivered', upTo });
      } else if (e.read !== undefined) {
        const upTo = obj(e.read).watermark;
        if (typeof upTo === 'number' && Number.isSafeInteger(upTo)) out.push({ kind: 'watermark', customer, business, status: 'read', upTo });
      }
    }
  }
  return out;
}

function inbound(m: Record<string, unknown>, from: string, to: string): InboundMessage | undefined {
  if (m.is_echo === true) return undefined;
  const id = metaId(m.mid);
  if (!id) return undefined;
  const body = typeof m.text === 'string' ? m.text.slice(0, MAX_BODY) : '';
  const media = list(m.attachments)
    .map((a) => text(obj(obj(a).payload).url, 2048))
    .filter((url): url is string => url !== undefined && /^https?:\/\//i.test(url))
    .slice(0, MAX_MEDIA)
    .map((url) => ({ url, contentType: null }));
  return { kind: 'message', id, from, to, body, media };
}

/**
 * The Send API requests for one message: its text, then each attachment (Messenger takes one per
 * message). Always a RESPONSE: only replies within the window are sent (Meta's message tags are not modelled).
 */
export function messengerRequests(psid: string, body: string | null, media: { url: string; contentType: string | null }[]): unknown[] {
  const base = { recipient: { id: psid }, messaging_type: 'RESPONSE' };
  const out: unknown[] = [];
  if (body) out.push({ ...base, message: { text: body } });
  for (const m of media) out.push({ ...base, message: { attachment: { type: attachmentType(m.contentType), payload: { url: m.url, is_reusable: true } } } });
  return out;
}

function attachmentType(contentType: string | null): 'image' | 'video' | 'audio' | 'file' {
  const kind = contentType?.split('/')[0];
  return kind === 'image' || kind === 'video' || kind === 'audio' ? kind : 'file';
}
