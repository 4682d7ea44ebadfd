import { invalidParameter } from '../../core/errors.ts';
import type { Route } from '../../http/context.ts';
import { pageReply } from '../../http/page.ts';
import type { Params } from '../../http/params.ts';
import type { ParticipantInput } from '../service/participants.ts';
import type { ConversationsApi } from '../services.ts';
import * as render from './render.ts';
import { twins } from './routes.ts';
import { attributes, cause, dateTime, conversationIn, page, scope } from './validate.ts';

const BASE = '/v1/Conversations/:ConversationSid/Participants';

function common(p: Params): ParticipantInput {
  return {
    identity: p.string('Identity'),
    proxyAddress: p.string('MessagingBinding.ProxyAddress'),
    projectedAddress: p.string('MessagingBinding.ProjectedAddress'),
    attributes: attributes(p),
    roleSid: p.sid('RoleSid', 'RL'),
    dateCreated: dateTime(p, 'DateCreated'),
    dateUpdated: dateTime(p, 'DateUpdated'),
  };
}

/** A new participant's parameters (also each Participant of ConversationWithParticipants). */
export function participantInput(p: Params): ParticipantInput {
  return { ...common(p), address: p.string('MessagingBinding.Address') };
}

export function participantRoutes(api: ConversationsApi): Route[] {
  return [
    ...twins({
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const req = page(ctx, 100);
        const s = await scope(api, ctx);
        const ch = await conversationIn(api, ctx, s);
        const { participants } = await api.participants.list(ctx.accountSid, ch, req.pageSize + 1, req.offset);
        return pageReply(ctx, 'participants', participants.map((p) => render.participant(s, p)), req);
      },
    }),
    ...twins({
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const body = participantInput(ctx.body);
        const why = cause(ctx);
        const s = await scope(api, ctx);
        const ch = await conversationIn(api, ctx, s);
        const p = await api.participants.create(ctx.accountSid, ch, body, why);
        return { status: 201, body: render.participant(s, p) };
      },
    }),
    ...twins({
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const s = await scope(api, ctx);
        const ch = await conversationIn(api, ctx, s);
        const { participant } = await api.participants.get(ctx.accountSid, ch, ctx.params.Sid);
        return { body: render.participant(s, participant) };
      },
    }),
    ...twins({
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const b = ctx.body;
        if (b.has('MessagingBinding.Address')) throw invalidParameter("A participant's MessagingBinding.Address cannot be changed");
        const body: ParticipantInput = {
          ...common(b),
          lastReadMessageIndex: b.int('LastReadMessageIndex', { min: 0 }),
          lastReadTimestamp: b.string('LastReadTimestamp', { maxLength: 64 }),
        };
        const why = cause(ctx);
        const s = await scope(api, ctx);
        const ch = await conversationIn(api, ctx, s);
        const p = await api.participants.update(ctx.accountSid, ch, ctx.params.Sid, body, why);
        return { body: render.participant(s, p) };
      },
    }),
    ...twins({
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const why = cause(ctx);
        const ch = await conversationIn(api, ctx, await scope(api, ctx));
        await api.participants.delete(ctx.accountSid, ch, ctx.params.Sid, why);
        return { status: 204 };
      },
    }),
    ...twins({
      method: 'GET',
      path: '/v1/ParticipantConversations',
      handler: async (ctx) => {
        const req = page(ctx, 50);
        const identity = ctx.query.string('Identity');
        const address = ctx.query.string('Address');
        if ((identity === undefined) === (address === undefined)) throw invalidParameter('Give either Identity or Address (one of them)');
        const s = await scope(api, ctx);
        const rows = await api.participants.conversationsOf(ctx.accountSid, { identity, address, serviceSid: s.serviceSid }, req.pageSize + 1, req.offset);
        return pageReply(ctx, 'conversations', rows.map((r) => render.participantConversation(s, r.participant, r.conversation)), req);
      },
    }),
  ];
}
