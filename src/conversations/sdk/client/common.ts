import { isoDate } from '../../../core/clock.ts';
import { notFound } from '../../../core/errors.ts';
import type { Permission } from '../../../core/conversations-permissions.ts';
import type { ConversationRow, ParticipantRow } from '../../model.ts';
import { participants } from '../../model.ts';
import type { Cause } from '../../service/deps.ts';
import { preEvent, type PreEventType } from '../../webhooks/pre-event.ts';
import type { SdkApi } from '../api.ts';
import type { SdkCtx } from '../context.ts';
import { conversationObjects, userObjects } from '../sync/names.ts';

/** What the SDK does goes through the services as its own source: webhooks fire, with Source=SDK. */
export const SDK: Cause = { source: 'sdk', webhooksEnabled: true };

/** Attributes of conversations, participants, messages and users: Twilio's 16 KiB. */
export const MAX_ATTRIBUTES = 16 * 1024;

/** The client API's base path for the principal's service. */
export const servicePath = (serviceSid: string) => `/Client/v2/Services/${serviceSid}`;

/** The links the SDK follows (through the socket; media over plain HTTP to this server). */
export function links(ctx: SdkCtx) {
  const { serviceSid, identity } = ctx.principal;
  const base = `${ctx.base}${servicePath(serviceSid)}`;
  return {
    conversations: `${base}/Conversations`,
    users: `${base}/Users`,
    current_user: `${base}/Users/${encodeURIComponent(identity)}`,
    my_conversations: `${base}/MyConversations`,
    typing: `${base}/Typing`,
    media_service: `${ctx.session.origin}/mcs/v1/Services/${serviceSid}/Media`,
    media_set_service: `${ctx.session.origin}/mcs/v1/Services/${serviceSid}/MediaSet`,
    messages_receipts: `${base}/Conversations/%s/Messages/%s/Receipts`,
  };
}

/** Paths under /Client/v2/Services/{ServiceSid} answer only for the principal's own service. */
export function requireOwnService(ctx: SdkCtx): void {
  if (ctx.params.ServiceSid !== ctx.principal.serviceSid) throw notFound(ctx.req.path);
}

/** A conversation of the principal's service, by SID or unique name; another service's is not found. */
export async function conversationOf(api: SdkApi, ctx: SdkCtx, ref: string): Promise<ConversationRow> {
  requireOwnService(ctx);
  const c = await api.conversations.conversations.get(ctx.principal.accountSid, ref, ctx.principal.serviceSid).catch(() => undefined);
  if (!c || c.chat_service_sid !== ctx.principal.serviceSid) throw notFound(`${servicePath(ctx.principal.serviceSid)}/Conversations/${ref}`);
  return c;
}

/** The principal's own participant in a conversation, if it is one. */
export function ownParticipant(api: SdkApi, ctx: SdkCtx, conversationSid: string): Promise<ParticipantRow | undefined> {
  return participants.first(api.db, ['conversation_sid = ?', conversationSid], ['identity = ?', ctx.principal.identity]);
}

/**
 * The one check of every SDK action: the identity's service role, with its conversation role when
 * the action is about a conversation it is in, must grant `action`; else Twilio's 50107 (403).
 */
export function permit(api: SdkApi, ctx: SdkCtx, conversationSid: string | null, action: Permission): Promise<void> {
  const p = ctx.principal;
  return api.conversations.roles.requirePermission(p.accountSid, p.serviceSid, conversationSid, p.identity, action);
}

/** The account's (or service's) pre-event webhook, asked first as for every SDK action; a refusal stops it. */
export function askFirst(api: SdkApi, ctx: SdkCtx, event: PreEventType, params: Record<string, string | undefined>): Promise<void> {
  return preEvent(api.db, ctx.principal.accountSid, event, { Source: 'SDK', ClientIdentity: ctx.principal.identity, ChatServiceSid: ctx.principal.serviceSid, ...params });
}

/** A conversation as the client API describes it (REST's fields, and where its Sync objects are). */
export function conversationBody(ctx: SdkCtx, c: ConversationRow, extra: Record<string, unknown> = {}) {
  const names = conversationObjects(c.sid);
  const url = `${links(ctx).conversations}/${c.sid}`;
  return {
    sid: c.sid,
    account_sid: c.account_sid,
    chat_service_sid: c.chat_service_sid,
    friendly_name: c.friendly_name,
    unique_name: c.unique_name,
    attributes: parseOr(c.attributes),
    created_by: c.created_by,
    state: c.state,
    date_created: isoDate(c.date_created),
    date_updated: isoDate(c.date_updated),
    url,
    links: { participants: `${url}/Participants`, messages: `${url}/Messages` },
    sync_objects: { conversation: names.document, messages: names.messages, participants: names.roster },
    ...extra,
  };
}

export function participantBody(ctx: SdkCtx, p: ParticipantRow) {
  return {
    sid: p.sid,
    conversation_sid: p.conversation_sid,
    identity: p.identity,
    attributes: parseOr(p.attributes),
    role_sid: p.role_sid,
    messaging_binding: p.address ? { type: p.binding_type, address: p.address, proxy_address: p.proxy_address } : null,
    date_created: isoDate(p.date_created),
    date_updated: isoDate(p.date_updated),
    url: `${links(ctx).conversations}/${p.conversation_sid}/Participants/${p.sid}`,
  };
}

export function userInfoName(ctx: SdkCtx, identity: string): string {
  return userObjects(ctx.principal.serviceSid, identity).info;
}

/** Stored JSON text as a value, for bodies (it was valid when stored). */
export function parseOr(text: string | null): unknown {
  if (text === null) return {};
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
