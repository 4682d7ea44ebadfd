import { userUnauthorized } from '../../errors.ts';
import type { ConversationRow } from '../../model.ts';
import { ok, type SdkCtx, type SdkRoute } from '../context.ts';
import type { SdkApi } from '../api.ts';
import { MAX_ATTRIBUTES, SDK, askFirst, conversationBody, conversationOf, ownParticipant, permit, requireOwnService } from './common.ts';

const BASE = '/Client/v2/Services/:ServiceSid/Conversations';

/** Conversations through the SDK: create, read, rename and re-attribute, delete; each checked against the identity's roles. */
export function conversationRoutes(api: SdkApi): SdkRoute[] {
  const cs = api.conversations.conversations;

  /** A conversation the identity is in (or created, before it joins); others are refused as the roles would. */
  const visible = async (ctx: SdkCtx): Promise<ConversationRow> => {
    const c = await conversationOf(api, ctx, ctx.params.Sid);
    if (c.created_by !== ctx.principal.identity && !(await ownParticipant(api, ctx, c.sid)))
      throw userUnauthorized(`User not authorized for command: '${ctx.principal.identity}' is not a participant of ${c.sid}`);
    return c;
  };

  return [
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        requireOwnService(ctx);
        const p = ctx.principal;
        await permit(api, ctx, null, 'createConversation');
        const friendlyName = ctx.body.string('friendly_name', { maxLength: 256 });
        const uniqueName = ctx.body.string('unique_name', { maxLength: 256 });
        const attributes = ctx.body.jsonText('attributes', MAX_ATTRIBUTES);
        await askFirst(api, ctx, 'onConversationAdd', { FriendlyName: friendlyName, UniqueName: uniqueName, Attributes: attributes });
        const c = await cs.create(p.accountSid, { friendlyName, uniqueName: uniqueName || undefined, attributes, chatServiceSid: p.serviceSid, createdBy: p.identity }, SDK);
        return ok(conversationBody(ctx, c), 201);
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const c = await visible(ctx);
        const count = async (table: string) =>
          Number((await api.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE conversation_sid = ?`, [c.sid]))?.n ?? 0);
        const joined = await ownParticipant(api, ctx, c.sid);
        return ok(
          conversationBody(ctx, c, {
            status: joined ? 'joined' : 'notParticipating',
            participants_count: await count('conversation_participants'),
            messages_count: await count('conversation_messages'),
          }),
        );
      },
    },
    {
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const c = await conversationOf(api, ctx, ctx.params.Sid);
        const friendlyName = ctx.body.string('friendly_name', { maxLength: 256 });
        const uniqueName = ctx.body.string('unique_name', { maxLength: 256 });
        const attributes = ctx.body.jsonText('attributes', MAX_ATTRIBUTES);
        // Nothing to change is not a change: no permission to check, nothing written, no webhook.
        if (friendlyName === undefined && uniqueName === undefined && attributes === undefined) return ok(conversationBody(ctx, c));
        if (friendlyName !== undefined || uniqueName !== undefined) await permit(api, ctx, c.sid, 'editConversationName');
        if (attributes !== undefined) await permit(api, ctx, c.sid, 'editConversationAttributes');
        await askFirst(api, ctx, 'onConversationUpdate', { ConversationSid: c.sid, FriendlyName: friendlyName, UniqueName: uniqueName, Attributes: attributes });
        const next = await cs.update(ctx.principal.accountSid, c.sid, { friendlyName, uniqueName, attributes }, SDK);
        return ok(conversationBody(ctx, next));
      },
    },
    {
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const c = await conversationOf(api, ctx, ctx.params.Sid);
        await permit(api, ctx, c.sid, 'deleteConversation');
        await askFirst(api, ctx, 'onConversationRemove', { ConversationSid: c.sid });
        await cs.delete(ctx.principal.accountSid, c.sid, SDK);
        return { status: 204 };
      },
    },
  ];
}
