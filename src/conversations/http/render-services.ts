import { isoDate } from '../../core/clock.ts';
import type { BindingRow, ServiceRow } from '../model.ts';
import { jsonList } from '../service/deps.ts';
import { notifications } from '../service/service-configuration.ts';

/** Conversation Services and what hangs off one, as Twilio's JSON. */

const serviceUrl = (base: string, sid: string) => `${base}/v1/Services/${sid}`;

export function service(base: string, s: ServiceRow) {
  const url = serviceUrl(base, s.sid);
  return {
    sid: s.sid,
    account_sid: s.account_sid,
    friendly_name: s.friendly_name,
    date_created: isoDate(s.date_created),
    date_updated: isoDate(s.date_updated),
    url,
    links: {
      conversations: `${url}/Conversations`,
      users: `${url}/Users`,
      roles: `${url}/Roles`,
      bindings: `${url}/Bindings`,
      configuration: `${url}/Configuration`,
      participant_conversations: `${url}/ParticipantConversations`,
      conversation_with_participants: `${url}/ConversationWithParticipants`,
    },
  };
}

/** The role SIDs shown are the service's defaults in effect (its built-in roles until others are set). */
export function serviceConfiguration(base: string, s: ServiceRow, roles: { chatServiceRole: string; conversationRole: string; conversationCreatorRole: string }) {
  const url = `${serviceUrl(base, s.sid)}/Configuration`;
  return {
    chat_service_sid: s.sid,
    default_conversation_creator_role_sid: roles.conversationCreatorRole,
    default_conversation_role_sid: roles.conversationRole,
    default_chat_service_role_sid: roles.chatServiceRole,
    reachability_enabled: s.reachability_enabled,
    url,
    links: { notifications: `${url}/Notifications`, webhooks: `${url}/Webhooks` },
  };
}

export function serviceNotification(base: string, s: ServiceRow) {
  return {
    account_sid: s.account_sid,
    chat_service_sid: s.sid,
    ...notifications(s),
    url: `${serviceUrl(base, s.sid)}/Configuration/Notifications`,
  };
}

export function serviceWebhook(base: string, s: ServiceRow) {
  return {
    account_sid: s.account_sid,
    chat_service_sid: s.sid,
    pre_webhook_url: s.pre_webhook_url,
    post_webhook_url: s.post_webhook_url,
    filters: jsonList(s.webhook_filters),
    method: s.webhook_method,
    url: `${serviceUrl(base, s.sid)}/Configuration/Webhooks`,
  };
}

export function binding(base: string, b: BindingRow) {
  return {
    sid: b.sid,
    account_sid: b.account_sid,
    chat_service_sid: b.chat_service_sid,
    credential_sid: b.credential_sid,
    date_created: isoDate(b.date_created),
    date_updated: isoDate(b.date_updated),
    endpoint: b.endpoint,
    identity: b.identity,
    binding_type: b.binding_type,
    message_types: jsonList(b.message_types),
    url: `${serviceUrl(base, b.chat_service_sid)}/Bindings/${b.sid}`,
  };
}
