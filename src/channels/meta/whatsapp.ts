import type { ReceiptStatus } from '../../conversations/model.ts';
import type { CloudNumber, CloudTemplate, MetaOptions } from './options.ts';
import { MAX_BODY, list, metaId, obj, text, type InboundMessage, type MetaEvent } from './events.ts';
import { twilioCodeFor } from './graph.ts';

export const WHATSAPP = 'whatsapp:';
const WA_ID = /^\d{6,15}$/;
const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
const STATUSES: Record<string, ReceiptStatus> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' };

/**
 * A WhatsApp Cloud API webhook (object "whatsapp_business_account") as events: messages to a
 * number this server serves, and the statuses of messages it sent. Media arrive as Meta's media
 * ids: the entry's URL is the Graph object, which only the number's token can fetch.
 */
export function whatsappEvents(payload: Record<string, unknown>, options: MetaOptions): MetaEvent[] {
  const out: MetaEvent[] = [];
  for (const entry of list(payload.entry)) {
    for (const change of list(obj(entry).changes)) {
      const c = obj(change);
      if (c.field !== 'messages') continue;
      const value = obj(c.value);
      const id = metaId(obj(value.metadata).phone_number_id);
      const number = options.numbers.find((n) => n.phoneNumberId === id);
      if (!number) continue;
      const names = new Map<string, string>();
      for (const contact of list(value.contacts)) {
        const waId = text(obj(contact).wa_id, 15);
        const name = text(obj(obj(contact).profile).name);
        if (waId && name) names.set(waId, name);
      }
      for (const m of list(value.messages)) {
        const message = inbound(obj(m), number, options.graphUrl);
        if (message) out.push({ ...message, name: names.get(message.from.slice(WHATSAPP.length + 1)) });
      }
      for (const s of list(value.statuses)) {
        const st = obj(s);
        const channelMessageId = metaId(st.id);
        const status = typeof st.status === 'string' ? STATUSES[st.status] : undefined;
        if (!channelMessageId || !status) continue;
        const error = obj(list(st.errors)[0]);
        const errorCode = status === 'failed' && typeof error.code === 'number' ? twilioCodeFor(error.code) : undefined;
        out.push({ kind: 'status', channelMessageId, status, errorCode });
      }
    }
  }
  return out;
}

function inbound(m: Record<string, unknown>, number: CloudNumber, graphUrl: string): InboundMessage | undefined {
  const id = metaId(m.id);
  const from = typeof m.from === 'string' && WA_ID.test(m.from) ? m.from : undefined;
  if (!id || !from) return undefined;
  const base = { kind: 'message' as const, id, from: `${WHATSAPP}+${from}`, to: WHATSAPP + number.number, media: [] as InboundMessage['media'] };
  const type = m.type;
  if (type === 'text') return { ...base, body: text(obj(m.text).body, MAX_BODY) ?? '' };
  if (type === 'button') return { ...base, body: text(obj(m.button).text, MAX_BODY) ?? '' };
  if (type === 'interactive') {
    const i = obj(m.interactive);
    return { ...base, body: text(obj(i.button_reply).title, MAX_BODY) ?? text(obj(i.list_reply).title, MAX_BODY) ?? '' };
  }
  if ((MEDIA_TYPES as readonly unknown[]).includes(type)) {
    const media = obj(m[type as string]);
    const mediaId = metaId(media.id);
    if (!mediaId) return undefined;
    return { ...base, body: text(media.caption, MAX_BODY) ?? '', media: [{ url: `${graphUrl}/${mediaId}`, contentType: text(media.mime_type, 128) ?? null }] };
  }
  return undefined; // locations, contacts, reactions, orders: not carried
}

const digits = (address: string) => address.slice(WHATSAPP.length).replace(/^\+/, '');

/** The Cloud API requests for a free-form message: its media (the first captioned with the text), or its text. */
export function whatsappRequests(to: string, body: string | null, media: { url: string; contentType: string | null }[]): unknown[] {
  const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to: digits(to) };
  if (media.length === 0) return body ? [{ ...base, type: 'text', text: { body, preview_url: false } }] : [];
  return media.map((m, i) => {
    const kind = mediaType(m.contentType);
    const caption = i === 0 && body && kind !== 'audio' ? { caption: body } : {};
    return { ...base, type: kind, [kind]: { link: m.url, ...caption } };
  });
}

/** A template message: ContentVariables ({"1": "Ada", "2": "42"}) fill the body's {{1}}, {{2}} in order. */
export function templateRequest(to: string, template: CloudTemplate, variables: Record<string, string>): unknown {
  const keys = Object.keys(variables).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  const parameters = keys.map((k) => ({ type: 'text', text: variables[k] }));
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: digits(to),
    type: 'template',
    template: { name: template.name, language: { code: template.language }, ...(parameters.length > 0 ? { components: [{ type: 'body', parameters }] } : {}) },
  };
}

function mediaType(contentType: string | null): 'image' | 'video' | 'audio' | 'document' {
  const kind = contentType?.split('/')[0];
  return kind === 'image' || kind === 'video' || kind === 'audio' ? kind : 'document';
}
