import type { Executor } from '../../store/database.ts';
import type { EventRow } from '../events.ts';
import type { ConfigRow, ConversationRow, ServiceRow } from '../model.ts';
import { jsonList } from '../service/deps.ts';

/** The pre- and post-event webhooks that apply to one service's conversations. */
export interface HookSettings {
  chatServiceSid: string;
  method: 'GET' | 'POST';
  filters: string[];
  preUrl: string | null;
  postUrl: string | null;
}

/**
 * Which webhooks a service's conversations fire: the service's own (Services/IS.../Configuration/
 * Webhooks) once either of its URLs is set, which replace the account's for that service only, as
 * Twilio documents; else the account's (Configuration/Webhooks; none while its target is Flex).
 * No service given: the account's default. Undefined for a service the account does not have.
 * Conversation-scoped webhooks fire in either case (the deliverer adds them).
 */
export async function hookSettings(db: Executor, accountSid: string, serviceSid: string | null): Promise<HookSettings | undefined> {
  const config = await db.get<ConfigRow>('SELECT * FROM conversation_config WHERE account_sid = ?', [accountSid]);
  if (!config) return undefined;
  const sid = serviceSid ?? config.default_chat_service_sid;
  const service = await db.get<Pick<ServiceRow, 'pre_webhook_url' | 'post_webhook_url' | 'webhook_method' | 'webhook_filters'>>(
    'SELECT pre_webhook_url, post_webhook_url, webhook_method, webhook_filters FROM conversation_services WHERE sid = ? AND account_sid = ?',
    [sid, accountSid],
  );
  if (!service) return undefined;
  if (service.pre_webhook_url || service.post_webhook_url)
    return { chatServiceSid: sid, method: service.webhook_method, filters: jsonList(service.webhook_filters), preUrl: service.pre_webhook_url, postUrl: service.post_webhook_url };
  const on = config.webhook_target === 'webhook';
  return {
    chatServiceSid: sid,
    method: config.webhook_method,
    filters: jsonList(config.webhook_filters),
    preUrl: on ? config.pre_webhook_url : null,
    postUrl: on ? config.post_webhook_url : null,
  };
}

/** The service of a conversation (by SID), null when there is no such conversation of the account. */
export async function serviceOfConversation(db: Executor, accountSid: string, conversationSid: string): Promise<string | null> {
  const row = await db.get<{ chat_service_sid: string }>('SELECT chat_service_sid FROM conversations WHERE sid = ? AND account_sid = ?', [conversationSid, accountSid]);
  return row?.chat_service_sid ?? null;
}

/** The service an event happened in: from its snapshot of the conversation, else the conversation as it is. */
export async function serviceOfEvent(db: Executor, ev: EventRow): Promise<string | null> {
  const snapshot = (JSON.parse(ev.data) as { conversation?: Pick<ConversationRow, 'chat_service_sid'> }).conversation;
  if (snapshot?.chat_service_sid) return snapshot.chat_service_sid;
  return ev.conversation_sid ? serviceOfConversation(db, ev.account_sid, ev.conversation_sid) : null;
}
