import { isoDate } from '../../../core/clock.ts';
import { invalidParameter } from '../../../core/errors.ts';
import type { UserConversationView } from '../../service/user-conversations.ts';
import { ok, type SdkCtx, type SdkRoute } from '../context.ts';
import type { SdkApi } from '../api.ts';
import { SDK, conversationBody, links, permit, requireOwnService } from './common.ts';

const PAGE = 50;

/** The identity's conversations (links.my_conversations): its read horizon, unread count and notification level in each. */
export function myConversationRoutes(api: SdkApi): SdkRoute[] {
  const uc = api.conversations.userConversations;
  const body = (ctx: SdkCtx, v: UserConversationView) =>
    conversationBody(ctx, v.conversation, {
      conversation_sid: v.conversation.sid,
      status: 'joined',
      participant_sid: v.participant.sid,
      last_read_message_index: v.participant.last_read_message_index === null ? null : Number(v.participant.last_read_message_index),
      last_read_timestamp: v.participant.last_read_timestamp,
      unread_messages_count: v.unreadMessagesCount,
      notification_level: v.notificationLevel,
      url: `${links(ctx).my_conversations}/${v.conversation.sid}`,
    });
  return [
    {
      method: 'GET',
      path: '/Client/v2/Services/:ServiceSid/MyConversations',
      handler: async (ctx) => {
        requireOwnService(ctx);
        const token = ctx.req.query.get('PageToken');
        if (token !== null && !/^\d{1,9}$/.test(token)) throw invalidParameter('Invalid PageToken');
        const offset = Number(token ?? 0);
        const p = ctx.principal;
        const views = await uc.list(p.accountSid, p.serviceSid, p.identity, PAGE + 1, offset);
        return ok({
          conversations: views.slice(0, PAGE).map((v) => body(ctx, v)),
          meta: { next_token: views.length > PAGE ? String(offset + PAGE) : null },
        });
      },
    },
    {
      method: 'GET',
      path: '/Client/v2/Services/:ServiceSid/MyConversations/:Conversation',
      handler: async (ctx) => {
        requireOwnService(ctx);
        const p = ctx.principal;
        return ok(body(ctx, await uc.get(p.accountSid, p.serviceSid, p.identity, ctx.params.Conversation)));
      },
    },
    {
      method: 'POST',
      path: '/Client/v2/Services/:ServiceSid/MyConversations/:Conversation',
      handler: async (ctx) => {
        requireOwnService(ctx);
        const p = ctx.principal;
        const index = ctx.body.index('last_read_message_index');
        const level = ctx.body.string('notification_level');
        if (level !== undefined && level !== 'default' && level !== 'muted') throw invalidParameter("Invalid notification_level: must be 'default' or 'muted'");
        const current = await uc.get(p.accountSid, p.serviceSid, p.identity, ctx.params.Conversation);
        if (level !== undefined) await permit(api, ctx, current.conversation.sid, 'editNotificationLevel');
        const view = await uc.update(
          p.accountSid,
          p.serviceSid,
          p.identity,
          current.conversation.sid,
          {
            notificationLevel: level,
            // null sets every message unread (no read horizon).
            lastReadMessageIndex: index as number | undefined,
            lastReadTimestamp: index === undefined ? undefined : (isoDate(api.clock.now()) as string),
          },
          SDK,
        );
        return ok(body(ctx, view));
      },
    },
  ];
}
