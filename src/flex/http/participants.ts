import { invalidParameter } from '../../core/errors.ts';
import type { Route } from '../../http/context.ts';
import { pageReply, pageRequest } from '../../http/page.ts';
import type { Flex } from '../services.ts';
import * as render from './render.ts';

const BASE = '/v1/Interactions/:InteractionSid/Channels/:ChannelSid/Participants';
const TYPES = ['supervisor', 'customer', 'external', 'agent', 'unknown'] as const;

export function participantRoutes(flex: Flex): Route[] {
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const req = pageRequest(ctx);
        const { channel, participants } = await flex.participants.list(ctx.accountSid, ctx.params.InteractionSid, ctx.params.ChannelSid, req.pageSize + 1, req.offset);
        const reply = pageReply(ctx, 'participants', participants.map((p) => render.participant(ctx.base, p)), req);
        // Not in Twilio's spec: Flex UI gives it to plugins as each participant's channelType.
        return { ...reply, body: { ...(reply.body as object), channel_type: channel.type } };
      },
    },
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const type = ctx.body.enum('Type', TYPES);
        if (!type) throw invalidParameter('Missing required parameter Type in the post body');
        const media = ctx.body.json('MediaProperties', { required: true, object: true });
        const routing = ctx.body.json('RoutingProperties', { object: true });
        const p = await flex.participants.create(ctx.accountSid, ctx.params.InteractionSid, ctx.params.ChannelSid, type, media?.value, routing?.value);
        return { body: render.participant(ctx.base, p) };
      },
    },
    {
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const status = ctx.body.enum('Status', ['closed', 'wrapup'] as const);
        if (!status) throw invalidParameter('Missing required parameter Status in the post body');
        const p = await flex.participants.update(ctx.accountSid, ctx.params.InteractionSid, ctx.params.ChannelSid, ctx.params.Sid, status);
        return { body: render.participant(ctx.base, p) };
      },
    },
  ];
}
