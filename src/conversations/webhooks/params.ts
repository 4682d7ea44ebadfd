import type { EventRow } from '../events.ts';
import type { ConversationRow, MessageRow, ParticipantRow, ReceiptRow } from '../model.ts';

/**
 * The form parameters of a post-event webhook, under Twilio's names, from an outbox row's snapshot.
 * Absent values are left out, as Twilio does.
 */
export function postEventParams(ev: EventRow, chatServiceSid: string, webhookSid?: string): URLSearchParams {
  const data = JSON.parse(ev.data) as {
    conversation?: ConversationRow;
    message?: MessageRow;
    participant?: ParticipantRow;
    receipt?: ReceiptRow;
    state_from?: string;
    state_to?: string;
    reason?: string;
  };
  const out = new URLSearchParams();
  const put = (name: string, value: unknown) => {
    if (value === null || value === undefined) return;
    out.set(name, typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value));
  };
  const date = (ms: number | null | undefined) => (ms === null || ms === undefined ? undefined : new Date(Number(ms)).toISOString());
  put('AccountSid', ev.account_sid);
  put('EventType', ev.event_type);
  put('Source', sourceOf(ev, data.message));
  put('ChatServiceSid', data.conversation?.chat_service_sid ?? chatServiceSid);
  put('ConversationSid', ev.conversation_sid);
  put('RetryCount', '0');
  if (webhookSid) put('WebhookSid', webhookSid);
  const c = data.conversation;
  switch (ev.event_type) {
    case 'onConversationAdded':
    case 'onConversationUpdated':
    case 'onConversationRemoved':
      if (c) {
        put('FriendlyName', c.friendly_name);
        put('UniqueName', c.unique_name);
        put('Attributes', c.attributes);
        put('State', c.state);
        put('MessagingServiceSid', c.messaging_service_sid);
        put('DateCreated', date(c.date_created));
        put('DateUpdated', date(c.date_updated));
      }
      // The binding that made the conversation (auto-creation by the inbound gateway).
      {
        const binding = (JSON.parse(ev.data) as { binding?: { address?: string; proxy_address?: string } }).binding;
        put('MessagingBinding.Address', binding?.address);
        put('MessagingBinding.ProxyAddress', binding?.proxy_address);
      }
      break;
    case 'onConversationStateUpdated':
      put('StateFrom', data.state_from);
      put('StateTo', data.state_to);
      put('Reason', data.reason === 'timer' ? 'TIMER' : data.reason === 'activity' ? 'EVENT' : 'API');
      put('StateUpdated', date(ev.date_created));
      put('MessagingServiceSid', c?.messaging_service_sid);
      break;
    case 'onMessageAdded':
    case 'onMessageUpdated':
    case 'onMessageRemoved': {
      const m = data.message;
      if (m) {
        put('MessageSid', m.sid);
        put('Index', m.message_index);
        put('Author', m.author);
        put('Body', m.body);
        put('Attributes', m.attributes);
        put('ParticipantSid', m.participant_sid);
        put('DateCreated', date(m.date_created));
        put('DateUpdated', date(m.date_updated));
        if (m.media) {
          const media = (JSON.parse(m.media) as { sid: string; filename: string | null; content_type: string | null; size: number | null }[]).map((x) => ({
            Sid: x.sid,
            Filename: x.filename,
            ContentType: x.content_type,
            Size: x.size,
          }));
          put('Media', media);
        }
      }
      break;
    }
    case 'onParticipantAdded':
    case 'onParticipantUpdated':
    case 'onParticipantRemoved': {
      const p = data.participant;
      if (p) {
        put('ParticipantSid', p.sid);
        put('Identity', p.identity);
        put('MessagingBinding.Address', p.address);
        put('MessagingBinding.ProxyAddress', p.proxy_address);
        put('MessagingBinding.ProjectedAddress', p.projected_address);
        put('MessagingBinding.Type', p.binding_type);
        put('RoleSid', p.role_sid);
        put('Attributes', p.attributes);
        put('DateCreated', date(p.date_created));
        put('DateUpdated', date(p.date_updated));
      }
      break;
    }
    case 'onDeliveryUpdated': {
      const r = data.receipt;
      if (r) {
        put('DeliveryReceiptSid', r.sid);
        put('MessageSid', r.message_sid);
        put('ParticipantSid', r.participant_sid);
        put('ChannelMessageSid', r.channel_message_sid);
        put('Status', r.status);
        put('ErrorCode', r.error_code);
        put('DateCreated', date(r.date_created));
        put('DateUpdated', date(r.date_updated));
      }
      break;
    }
  }
  return out;
}

/**
 * Twilio's Source: API for REST calls and timers; SDK for whatever the official SDK did (twilsock);
 * for gateway messages the channel the author writes from (SMS, WHATSAPP), else SDK.
 */
function sourceOf(ev: EventRow, m: MessageRow | undefined): string {
  if (ev.source === 'sdk') return 'SDK';
  if (ev.source !== 'gateway') return 'API';
  if (!m) return 'API';
  if (/^whatsapp:/i.test(m.author)) return 'WHATSAPP';
  if (/^messenger:/i.test(m.author)) return 'MESSENGER';
  if (/^\+?\d{3,}$/.test(m.author)) return 'SMS';
  // A mail's author is its sender's address (as the pre-event already says).
  if (m.author.includes('@')) return 'EMAIL';
  return 'SDK';
}
