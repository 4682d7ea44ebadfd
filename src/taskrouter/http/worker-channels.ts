import type { Route } from '../../http/context.ts';
import { pageReply, pageRequest } from '../../http/page.ts';
import type { TaskRouter } from '../services.ts';
import * as render from './render.ts';

const BASE = '/v1/Workspaces/:WorkspaceSid/Workers/:WorkerSid/Channels';

export function workerChannelRoutes(tr: TaskRouter): Route[] {
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const page = pageRequest(ctx);
        const rows = await tr.workerChannels.list(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.WorkerSid, page.pageSize + 1, page.offset);
        return pageReply(ctx, 'channels', rows.map((c) => render.workerChannel(ctx.base, c)), page);
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => ({
        body: render.workerChannel(
          ctx.base,
          await tr.workerChannels.get(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.WorkerSid, ctx.params.Sid),
        ),
      }),
    },
    {
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const view = await tr.workerChannels.update(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.WorkerSid, ctx.params.Sid, {
          capacity: ctx.body.int('Capacity', { min: 0, max: 50 }),
          available: ctx.body.bool('Available'),
        });
        return { body: render.workerChannel(ctx.base, view) };
      },
    },
  ];
}
