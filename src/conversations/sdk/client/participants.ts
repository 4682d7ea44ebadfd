import { invalidParameter } from '../../../core/errors.ts';
import { ok, type SdkCtx, type SdkRoute } from '../context.ts';
import type { SdkApi } from '../api.ts';
import { MAX_ATTRIBUTES, SDK, askFirst, conversationOf, participantBody, permit } from './common.ts';

const BASE = '/Client/v2/Services/:ServiceSid/Conversations/:Sid/Participants';

/**
 * Participants through the SDK: join (oneself), add someone (by identity, or a non-chat binding),
 * change attributes, leave or remove. Which permission each needs depends on whom it is about.
 */
export function participantRoutes(api: SdkApi): SdkRoute[] {
  const ps = api.conversations.participants;

  const target = async (ctx: SdkCtx, conversationSid: string) => (await ps.get(ctx.principal.accountSid, conversationSid, ctx.params.Participant)).participant;

  return [
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const c = await conversationOf(api, ctx, ctx.params.Sid);
        const p = ctx.principal;
        const identity = ctx.body.string('identity', { maxLength: 256 });
        const attributes = ctx.body.jsonText('attributes', MAX_ATTRIBUTES);
        const binding = ctx.body.object('messaging_binding');
        const address = binding ? str(binding, 'address') : undefined;
        const proxyAddress = binding ? str(binding, 'proxy_address') : undefined;
        if (identity === undefined && address === undefined) throw invalidParameter('A participant needs an identity or a messaging_binding address');
        if (identity === undefined) await permit(api, ctx, c.sid, 'addNonChatParticipant');
        else if (identity === p.identity) await permit(api, ctx, c.sid, 'joinConversation');
        else await permit(api, ctx, c.sid, 'addParticipant');
        await askFirst(api, ctx, 'onParticipantAdd', {
          ConversationSid: c.sid,
          Identity: identity,
          Attributes: attributes,
          'MessagingBinding.Address': address,
          'MessagingBinding.ProxyAddress': proxyAddress,
        });
        // Whoever created the conversation holds the creator's role in it.
        const roleSid = identity !== undefined && identity === c.created_by ? (await api.conversations.roles.defaults(p.accountSid, p.serviceSid)).conversationCreatorRole : undefined;
        const row = await ps.create(p.accountSid, c.sid, { identity, attributes, address, proxyAddress, roleSid }, SDK);
        return ok(participantBody(ctx, row), 201);
      },
    },
    {
      method: 'POST',
      path: `${BASE}/:Participant`,
      handler: async (ctx) => {
        const c = await conversationOf(api, ctx, ctx.params.Sid);
        const who = await target(ctx, c.sid);
        const attributes = ctx.body.jsonText('attributes', MAX_ATTRIBUTES);
        // Nothing to change is not a change: no permission to check, nothing written, no webhook.
        if (attributes === undefined) return ok(participantBody(ctx, who));
        await permit(api, ctx, c.sid, who.identity === ctx.principal.identity ? 'editOwnParticipantAttributes' : 'editAnyParticipantAttributes');
        await askFirst(api, ctx, 'onParticipantUpdate', { ConversationSid: c.sid, ParticipantSid: who.sid, Attributes: attributes });
        return ok(participantBody(ctx, await ps.update(ctx.principal.accountSid, c.sid, who.sid, { attributes }, SDK)));
      },
    },
    {
      method: 'DELETE',
      path: `${BASE}/:Participant`,
      handler: async (ctx) => {
        const c = await conversationOf(api, ctx, ctx.params.Sid);
        const who = await target(ctx, c.sid);
        await permit(api, ctx, c.sid, who.identity === ctx.principal.identity ? 'leaveConversation' : 'removeParticipant');
        await askFirst(api, ctx, 'onParticipantRemove', { ConversationSid: c.sid, ParticipantSid: who.sid, Identity: who.identity ?? undefined });
        await ps.delete(ctx.principal.accountSid, c.sid, who.sid, SDK);
        return { status: 204 };
      },
    },
  ];
}

function str(o: Record<string, unknown>, name: string): string | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParameter(`Invalid messaging_binding.${name}: must be a string`);
  return v;
}
