import { isoDate } from '../../core/clock.ts';
import type { Route } from '../../http/context.ts';
import { pageReply } from '../../http/page.ts';
import type { UserConversationView } from '../service/user-conversations.ts';
import type { ConversationsApi } from '../services.ts';
import { root, timers, type Scope } from './render.ts';
import { twins } from './routes.ts';
import { cause, dateTime, page, scope } from './validate.ts';

const BASE = '/v1/Users/:UserSid/Conversations';

/** A user's conversation: the conversation as the user sees it, with its participant's read state. */
export function userConversation(s: Scope, v: UserConversationView) {
  const { conversation: c, participant: p, user: u } = v;
  const conversationUrl = `${root(s)}/Conversations/${c.sid}`;
  return {
    account_sid: c.account_sid,
    chat_service_sid: c.chat_service_sid,
    conversation_sid: c.sid,
    unread_messages_count: v.unreadMessagesCount,
    last_read_message_index: p.last_read_message_index,
    participant_sid: p.sid,
    user_sid: u.sid,
    friendly_name: c.friendly_name,
    // The schema's enum has no 'initializing'; such a conversation shows as active.
    conversation_state: c.state === 'initializing' ? 'active' : c.state,
    timers: timers(c),
    attributes: c.attributes,
    date_created: isoDate(c.date_created),
    date_updated: isoDate(c.date_updated),
    created_by: c.created_by,
    notification_level: v.notificationLevel,
    unique_name: c.unique_name,
    url: `${root(s)}/Users/${u.sid}/Conversations/${c.sid}`,
    links: { participant: `${conversationUrl}/Participants/${p.sid}`, conversation: conversationUrl },
  };
}

export function userConversationRoutes(api: ConversationsApi): Route[] {
  const uc = api.userConversations;
  return [
    ...twins({
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const req = page(ctx, 50);
        const s = await scope(api, ctx);
        const rows = await uc.list(ctx.accountSid, ctx.params.ChatServiceSid, ctx.params.UserSid, req.pageSize + 1, req.offset);
        return pageReply(ctx, 'conversations', rows.map((v) => userConversation(s, v)), req);
      },
    }),
    ...twins({
      method: 'GET',
      path: `${BASE}/:ConversationSid`,
      handler: async (ctx) => {
        const s = await scope(api, ctx);
        const v = await uc.get(ctx.accountSid, ctx.params.ChatServiceSid, ctx.params.UserSid, ctx.params.ConversationSid);
        return { body: userConversation(s, v) };
      },
    }),
    ...twins({
      method: 'POST',
      path: `${BASE}/:ConversationSid`,
      handler: async (ctx) => {
        const b = ctx.body;
        const timestamp = b.string('LastReadTimestamp');
        if (timestamp !== undefined) dateTime(b, 'LastReadTimestamp');
        const body = {
          notificationLevel: b.enum('NotificationLevel', ['default', 'muted'] as const),
          lastReadMessageIndex: b.int('LastReadMessageIndex', { min: 0 }),
          lastReadTimestamp: timestamp,
        };
        const why = cause(ctx);
        const s = await scope(api, ctx);
        const v = await uc.update(ctx.accountSid, ctx.params.ChatServiceSid, ctx.params.UserSid, ctx.params.ConversationSid, body, why);
        return { body: userConversation(s, v) };
      },
    }),
    ...twins({
      method: 'DELETE',
      path: `${BASE}/:ConversationSid`,
      handler: async (ctx) => {
        const why = cause(ctx);
        await scope(api, ctx);
        await uc.delete(ctx.accountSid, ctx.params.ChatServiceSid, ctx.params.UserSid, ctx.params.ConversationSid, why);
        return { status: 204 };
      },
    }),
  ];
}
