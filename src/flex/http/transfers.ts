import type { Route } from '../../http/context.ts';
import type { Flex } from '../services.ts';
import * as render from './render.ts';

const BASE = '/v1/Interactions/:InteractionSid/Channels/:ChannelSid/Transfers';

/** Transfers take a JSON body (Twilio publishes no form parameters for them). */
export function transferRoutes(flex: Flex): Route[] {
  return [
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const t = await flex.transfers.create(ctx.accountSid, ctx.params.InteractionSid, ctx.params.ChannelSid, ctx.json);
        return { status: 201, body: render.transfer(ctx.base, t) };
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => ({ body: render.transfer(ctx.base, await flex.transfers.get(ctx.accountSid, ctx.params.InteractionSid, ctx.params.ChannelSid, ctx.params.Sid)) }),
    },
    {
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const t = await flex.transfers.update(ctx.accountSid, ctx.params.InteractionSid, ctx.params.ChannelSid, ctx.params.Sid, ctx.json);
        return { body: render.transfer(ctx.base, t) };
      },
    },
  ];
}
