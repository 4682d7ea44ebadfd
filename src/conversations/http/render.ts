import { isoDate } from '../../core/clock.ts';
import type { AddressRow, ConfigRow, ConversationRow, MediaEntry, ParticipantRow, ReceiptRow, WebhookRow } from '../model.ts';
import { jsonList } from '../service/deps.ts';
import type { MessageView } from '../service/messages.ts';

/**
 * Rows into Twilio's JSON. A Scope says how the caller addressed the resource: account-level
 * (/v1/Conversations/...) or service-scoped (/v1/Services/IS.../Conversations/...). URLs follow
 * it, and service-scoped participants, messages, receipts and webhooks carry chat_service_sid.
 */
export interface Scope {
  /** Absolute base URL of the product as the caller reached it. */
  base: string;
  /** The service SID when addressed through /v1/Services/{ChatServiceSid}/... */
  service: string | null;
}

export const root = (s: Scope) => (s.service ? `${s.base}/v1/Services/${s.service}` : `${s.base}/v1`);
const conversationUrl = (s: Scope, sid: string) => `${root(s)}/Conversations/${sid}`;
const scoped = (s: Scope) => (s.service ? { chat_service_sid: s.service } : {});

/** Timer dates as Twilio shows them: only the timers that are set. */
export function timers(c: ConversationRow): Record<string, string> {
  const out: Record<string, string> = {};
  if (c.date_inactive !== null) out.date_inactive = isoDate(c.date_inactive) as string;
  if (c.date_closed !== null) out.date_closed = isoDate(c.date_closed) as string;
  return out;
}

function bindings(c: ConversationRow): Record<string, unknown> {
  if (c.email_address === null && c.email_name === null) return {};
  return { email: { address: c.email_address, name: c.email_name } };
}

export function conversation(s: Scope, c: ConversationRow) {
  const url = conversationUrl(s, c.sid);
  return {
    sid: c.sid,
    account_sid: c.account_sid,
    chat_service_sid: c.chat_service_sid,
    messaging_service_sid: c.messaging_service_sid,
    friendly_name: c.friendly_name,
    unique_name: c.unique_name,
    attributes: c.attributes,
    date_created: isoDate(c.date_created),
    date_updated: isoDate(c.date_updated),
    state: c.state,
    timers: timers(c),
    bindings: bindings(c),
    url,
    links: {
      participants: `${url}/Participants`,
      messages: `${url}/Messages`,
      webhooks: `${url}/Webhooks`,
    },
  };
}

export function messagingBinding(p: ParticipantRow): Record<string, string | null> | null {
  if (p.address === null && p.projected_address === null) return null;
  const out: Record<string, string | null> = { type: p.binding_type ?? 'sms' };
  if (p.address !== null) out.address = p.address;
  if (p.proxy_address !== null) out.proxy_address = p.proxy_address;
  if (p.projected_address !== null) out.projected_address = p.projected_address;
  return out;
}

export function participant(s: Scope, p: ParticipantRow) {
  return {
    account_sid: p.account_sid,
    ...scoped(s),
    conversation_sid: p.conversation_sid,
    sid: p.sid,
    identity: p.identity,
    attributes: p.attributes,
    messaging_binding: messagingBinding(p),
    role_sid: p.role_sid,
    date_created: isoDate(p.date_created),
    date_updated: isoDate(p.date_updated),
    url: `${conversationUrl(s, p.conversation_sid)}/Participants/${p.sid}`,
    last_read_message_index: p.last_read_message_index,
    last_read_timestamp: p.last_read_timestamp,
  };
}

export function message(s: Scope, v: MessageView) {
  const m = v.message;
  const url = `${conversationUrl(s, m.conversation_sid)}/Messages/${m.sid}`;
  return {
    sid: m.sid,
    account_sid: m.account_sid,
    ...scoped(s),
    conversation_sid: m.conversation_sid,
    body: m.body,
    media: m.media === null ? null : (JSON.parse(m.media) as MediaEntry[]),
    author: m.author,
    participant_sid: m.participant_sid,
    attributes: m.attributes,
    date_created: isoDate(m.date_created),
    date_updated: isoDate(m.date_updated),
    index: m.message_index,
    delivery: v.delivery,
    content_sid: m.content_sid,
    url,
    links: {
      delivery_receipts: `${url}/Receipts`,
      channel_metadata: `${url}/ChannelMetadata`,
    },
  };
}

export function receipt(s: Scope, r: ReceiptRow) {
  return {
    sid: r.sid,
    account_sid: r.account_sid,
    ...scoped(s),
    conversation_sid: r.conversation_sid,
    message_sid: r.message_sid,
    channel_message_sid: r.channel_message_sid,
    participant_sid: r.participant_sid,
    status: r.status,
    error_code: r.error_code,
    date_created: isoDate(r.date_created),
    date_updated: isoDate(r.date_updated),
    url: `${conversationUrl(s, r.conversation_sid)}/Messages/${r.message_sid}/Receipts/${r.sid}`,
  };
}

/** Each target shows what it uses; a trigger's keywords show as its filters, as in Twilio's examples. */
export function webhookConfiguration(w: WebhookRow): Record<string, unknown> {
  if (w.target === 'studio') return { flow_sid: w.flow_sid };
  if (w.target === 'trigger') return { url: w.url, method: w.method, filters: jsonList(w.triggers) };
  return { url: w.url, method: w.method, filters: jsonList(w.filters) };
}

export function webhook(s: Scope, w: WebhookRow) {
  return {
    account_sid: w.account_sid,
    ...scoped(s),
    conversation_sid: w.conversation_sid,
    sid: w.sid,
    target: w.target,
    configuration: webhookConfiguration(w),
    date_created: isoDate(w.date_created),
    date_updated: isoDate(w.date_updated),
    url: `${conversationUrl(s, w.conversation_sid)}/Webhooks/${w.sid}`,
  };
}

export function participantConversation(s: Scope, p: ParticipantRow, c: ConversationRow) {
  const url = conversationUrl(s, c.sid);
  return {
    account_sid: p.account_sid,
    chat_service_sid: c.chat_service_sid,
    participant_sid: p.sid,
    participant_user_sid: null,
    participant_identity: p.identity,
    participant_messaging_binding: messagingBinding(p),
    conversation_sid: c.sid,
    conversation_unique_name: c.unique_name,
    conversation_friendly_name: c.friendly_name,
    conversation_attributes: c.attributes,
    conversation_date_created: isoDate(c.date_created),
    conversation_date_updated: isoDate(c.date_updated),
    conversation_created_by: c.created_by,
    // The schema's enum has no 'initializing'; such a conversation shows as active.
    conversation_state: c.state === 'initializing' ? 'active' : c.state,
    conversation_timers: timers(c),
    links: {
      participant: `${url}/Participants/${p.sid}`,
      conversation: url,
    },
  };
}

export function configuration(base: string, c: ConfigRow) {
  return {
    account_sid: c.account_sid,
    default_chat_service_sid: c.default_chat_service_sid,
    default_messaging_service_sid: c.default_messaging_service_sid,
    default_inactive_timer: c.default_inactive_timer,
    default_closed_timer: c.default_closed_timer,
    url: `${base}/v1/Configuration`,
    links: {
      service: `${base}/v1/Services/${c.default_chat_service_sid}/Configuration`,
      webhooks: `${base}/v1/Configuration/Webhooks`,
    },
  };
}

export function configurationWebhook(base: string, c: ConfigRow) {
  return {
    account_sid: c.account_sid,
    method: c.webhook_method,
    filters: jsonList(c.webhook_filters),
    pre_webhook_url: c.pre_webhook_url,
    post_webhook_url: c.post_webhook_url,
    target: c.webhook_target,
    url: `${base}/v1/Configuration/Webhooks`,
  };
}

/** auto_creation shows the fields of its type, as in Twilio's examples (webhook method in capitals). */
export function autoCreation(a: AddressRow): Record<string, unknown> {
  const out: Record<string, unknown> = { enabled: a.auto_enabled };
  if (a.auto_type !== null) out.type = a.auto_type;
  if (a.auto_type === 'webhook') {
    out.conversation_service_sid = a.auto_service_sid;
    out.webhook_url = a.auto_webhook_url;
    out.webhook_method = (a.auto_webhook_method ?? 'post').toUpperCase();
    out.webhook_filters = jsonList(a.auto_webhook_filters);
  }
  if (a.auto_type === 'studio') {
    out.conversation_service_sid = a.auto_service_sid;
    out.studio_flow_sid = a.auto_studio_flow_sid;
    out.studio_retry_count = a.auto_studio_retry_count;
  }
  return out;
}

export function address(base: string, a: AddressRow) {
  return {
    account_sid: a.account_sid,
    sid: a.sid,
    address: a.address,
    type: a.type,
    friendly_name: a.friendly_name,
    address_country: a.address_country,
    auto_creation: autoCreation(a),
    date_created: isoDate(a.date_created),
    date_updated: isoDate(a.date_updated),
    url: `${base}/v1/Configuration/Addresses/${a.sid}`,
  };
}
