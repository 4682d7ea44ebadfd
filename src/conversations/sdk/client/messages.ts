import { isoDate } from '../../../core/clock.ts';
import { invalidParameter, TwilioError } from '../../../core/errors.ts';
import { userUnauthorized } from '../../errors.ts';
import type { MediaEntry, MessageRow } from '../../model.ts';
import { MAX_BODY } from '../../service/messages.ts';
import { ok, type SdkCtx, type SdkRoute } from '../context.ts';
import type { SdkApi } from '../api.ts';
import { attachMedia, mediaEntries } from '../media/store.ts';
import { MAX_ATTRIBUTES, SDK, askFirst, conversationOf, links, ownParticipant, parseOr, permit } from './common.ts';

const BASE = '/Client/v2/Services/:ServiceSid/Conversations/:Sid/Messages';
const RECEIPTS_PAGE = 50;

/** Messages through the SDK: send (text, attributes, media uploaded to the media service), edit, remove, and their delivery receipts. */
export function messageRoutes(api: SdkApi): SdkRoute[] {
  const ms = api.conversations.messages;
  const body = (ctx: SdkCtx, m: MessageRow) => ({
    sid: m.sid,
    index: Number(m.message_index),
    conversation_sid: m.conversation_sid,
    author: m.author,
    body: m.body,
    attributes: parseOr(m.attributes),
    participant_sid: m.participant_sid,
    media: m.media ? JSON.parse(m.media) : null,
    date_created: isoDate(m.date_created),
    date_updated: isoDate(m.date_updated),
    url: `${links(ctx).conversations}/${m.conversation_sid}/Messages/${m.sid}`,
  });
  const message = async (ctx: SdkCtx, conversationSid: string) => (await ms.get(ctx.principal.accountSid, conversationSid, ctx.params.Message)).message;
  const own = (ctx: SdkCtx, m: MessageRow) => m.author === ctx.principal.identity;

  return [
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const c = await conversationOf(api, ctx, ctx.params.Sid);
        const p = ctx.principal;
        const text = ctx.body.string('body', { maxLength: MAX_BODY });
        const attributes = ctx.body.jsonText('attributes', MAX_ATTRIBUTES);
        const subject = ctx.body.string('subject', { maxLength: 256 });
        const mediaSids = ctx.body.strings('media_sids') ?? [];
        const contentSid = ctx.body.string('content_sid');
        const contentVariables = ctx.body.jsonText('content_variables');
        await permit(api, ctx, c.sid, mediaSids.length > 0 ? 'sendMediaMessage' : 'sendMessage');
        let media: MediaEntry[] = [];
        if (mediaSids.length > 0) media = await mediaEntries(api.db, p.accountSid, p.serviceSid, p.identity, mediaSids);
        await askFirst(api, ctx, 'onMessageAdd', {
          ConversationSid: c.sid,
          Author: p.identity,
          Body: text,
          Attributes: attributes,
          MediaSid: mediaSids[0],
          ContentSid: contentSid,
          Subject: subject,
        });
        const view = await ms.create(
          p.accountSid,
          c.sid,
          { author: p.identity, body: text === '' && media.length > 0 ? undefined : text, attributes, media, subject, contentSid, contentVariables },
          SDK,
        );
        await attachMedia(api.db, mediaSids, c.sid, view.message.sid);
        return ok(body(ctx, view.message), 201);
      },
    },
    {
      method: 'POST',
      path: `${BASE}/:Message`,
      handler: async (ctx) => {
        const c = await conversationOf(api, ctx, ctx.params.Sid);
        const m = await message(ctx, c.sid);
        const text = ctx.body.string('body', { maxLength: MAX_BODY });
        const attributes = ctx.body.jsonText('attributes', MAX_ATTRIBUTES);
        // Nothing to change is not a change: no permission to check, nothing written, no webhook.
        if (text === undefined && attributes === undefined) return ok(body(ctx, m));
        if (text !== undefined) await permit(api, ctx, c.sid, own(ctx, m) ? 'editOwnMessage' : 'editAnyMessage');
        if (attributes !== undefined) await permit(api, ctx, c.sid, own(ctx, m) ? 'editOwnMessageAttributes' : 'editAnyMessageAttributes');
        await askFirst(api, ctx, 'onMessageUpdate', { ConversationSid: c.sid, MessageSid: m.sid, Body: text, Attributes: attributes });
        const view = await ms.update(ctx.principal.accountSid, c.sid, m.sid, { body: text, attributes }, SDK);
        return ok(body(ctx, view.message));
      },
    },
    {
      method: 'DELETE',
      path: `${BASE}/:Message`,
      handler: async (ctx) => {
        const c = await conversationOf(api, ctx, ctx.params.Sid);
        const m = await message(ctx, c.sid);
        await permit(api, ctx, c.sid, own(ctx, m) ? 'deleteOwnMessage' : 'deleteAnyMessage');
        await askFirst(api, ctx, 'onMessageRemove', { ConversationSid: c.sid, MessageSid: m.sid });
        await ms.delete(ctx.principal.accountSid, c.sid, m.sid, SDK);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Message/Receipts`,
      handler: async (ctx) => {
        const c = await conversationOf(api, ctx, ctx.params.Sid);
        if (!(await ownParticipant(api, ctx, c.sid))) throw userUnauthorized(`User not authorized for command: '${ctx.principal.identity}' is not a participant of ${c.sid}`);
        const token = ctx.req.query.get('PageToken');
        if (token !== null && !/^\d{1,9}$/.test(token)) throw invalidParameter('Invalid PageToken');
        const offset = Number(token ?? 0);
        const { receipts } = await ms.receipts(ctx.principal.accountSid, c.sid, ctx.params.Message, RECEIPTS_PAGE + 1, offset);
        return ok({
          delivery_receipts: receipts.slice(0, RECEIPTS_PAGE).map((r) => ({
            sid: r.sid,
            message_sid: r.message_sid,
            conversation_sid: r.conversation_sid,
            channel_message_sid: r.channel_message_sid,
            participant_sid: r.participant_sid,
            status: r.status,
            error_code: Number(r.error_code),
            date_created: isoDate(r.date_created),
            date_updated: isoDate(r.date_updated),
          })),
          meta: { next_token: receipts.length > RECEIPTS_PAGE ? String(offset + RECEIPTS_PAGE) : null, previous_token: offset > 0 ? String(Math.max(0, offset - RECEIPTS_PAGE)) : null },
        });
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Message/ChannelMetadata`,
      // Messages carry no channel metadata here; 50530 is what the SDK takes for "none".
      handler: async () => {
        throw new TwilioError(50530, 404, 'The message has no channel metadata');
      },
    },
  ];
}
