import { invalidParameter } from '../../core/errors.ts';
import type { Route } from '../../http/context.ts';
import { pageReply, pageRequest } from '../../http/page.ts';
import type { Flex } from '../services.ts';
import * as render from './render.ts';

const BASE = '/v1/Interactions/:InteractionSid/Channels';

export function channelRoutes(flex: Flex): Route[] {
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const req = pageRequest(ctx);
        const rows = await flex.channels.list(ctx.accountSid, ctx.params.InteractionSid, req.pageSize + 1, req.offset);
        return pageReply(ctx, 'channels', rows.map((c) => render.channel(ctx.base, c)), req);
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => ({ body: render.channel(ctx.base, await flex.channels.get(ctx.accountSid, ctx.params.InteractionSid, ctx.params.Sid)) }),
    },
    {
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const status = ctx.body.enum('Status', ['closed', 'inactive'] as const);
        if (!status) throw invalidParameter('Missing required parameter Status in the post body');
        const routing = ctx.body.json('Routing', { object: true })?.value as { status?: unknown } | undefined;
        let taskMode: 'closed' | 'wrapup' | undefined;
        if (routing !== undefined) {
          if (routing.status !== 'closed' && routing.status !== 'wrapup') throw invalidParameter("Invalid Routing parameter: Routing.status must be 'closed' or 'wrapup'");
          taskMode = routing.status;
        }
        const row = await flex.channels.update(ctx.accountSid, ctx.params.InteractionSid, ctx.params.Sid, status, taskMode);
        return { body: render.channel(ctx.base, row) };
      },
    },
  ];
}
