import { name } from '../../http/params.ts';
import type { Route } from '../../http/context.ts';
import { pageReply, pageRequest } from '../../http/page.ts';
import type { TaskRouter } from '../services.ts';
import * as render from './render.ts';

const BASE = '/v1/Workspaces/:WorkspaceSid/TaskChannels';

export function taskChannelRoutes(tr: TaskRouter): Route[] {
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const page = pageRequest(ctx);
        const rows = await tr.taskChannels.list(ctx.accountSid, ctx.params.WorkspaceSid, page.pageSize + 1, page.offset);
        return pageReply(ctx, 'channels', rows.map((c) => render.taskChannel(ctx.base, c)), page);
      },
    },
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const row = await tr.taskChannels.create(ctx.accountSid, ctx.params.WorkspaceSid, {
          friendlyName: ctx.body.required('FriendlyName', { maxLength: 64 }),
          uniqueName: ctx.body.required('UniqueName', { maxLength: 64 }),
          channelOptimizedRouting: ctx.body.bool('ChannelOptimizedRouting'),
        });
        return { status: 201, body: render.taskChannel(ctx.base, row) };
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => ({
        body: render.taskChannel(ctx.base, await tr.taskChannels.get(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid)),
      }),
    },
    {
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        const row = await tr.taskChannels.update(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid, {
          friendlyName: name(ctx.body),
          channelOptimizedRouting: ctx.body.bool('ChannelOptimizedRouting'),
        });
        return { body: render.taskChannel(ctx.base, row) };
      },
    },
    {
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        await tr.taskChannels.delete(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid);
        return { status: 204 };
      },
    },
  ];
}
