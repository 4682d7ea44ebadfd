import type { Route } from '../../http/context.ts';
import { pageReply, pageRequest } from '../../http/page.ts';
import type { Flex } from '../services.ts';
import * as render from './render.ts';

const BASE = '/v1/Interactions/:InteractionSid/Channels/:ChannelSid/Invites';

export function inviteRoutes(flex: Flex): Route[] {
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const req = pageRequest(ctx);
        const views = await flex.invites.list(ctx.accountSid, ctx.params.InteractionSid, ctx.params.ChannelSid, req.pageSize + 1, req.offset);
        const items = await Promise.all(views.map(async (v) => render.invite(ctx.base, v.invite, v.task ? await flex.renderTask(v.task) : null)));
        return pageReply(ctx, 'invites', items, req);
      },
    },
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const routing = ctx.body.json('Routing', { required: true, object: true });
        const v = await flex.invites.create(ctx.accountSid, ctx.params.InteractionSid, ctx.params.ChannelSid, routing?.value);
        return { body: render.invite(ctx.base, v.invite, v.task ? await flex.renderTask(v.task) : null) };
      },
    },
  ];
}
