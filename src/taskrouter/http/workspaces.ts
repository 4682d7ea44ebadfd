import type { Route } from '../../http/context.ts';
import { pageReply, pageRequest } from '../../http/page.ts';
import { name, type Params } from '../../http/params.ts';
import type { TaskRouter } from '../services.ts';
import type { WorkspaceInput } from '../service/workspaces.ts';
import * as render from './render.ts';
import { eventsFilter } from './validate.ts';

function input(p: Params): WorkspaceInput {
  return {
    friendlyName: name(p),
    eventCallbackUrl: p.url('EventCallbackUrl'),
    eventsFilter: eventsFilter(p),
    multiTaskEnabled: p.bool('MultiTaskEnabled'),
    prioritizeQueueOrder: p.enum('PrioritizeQueueOrder', ['FIFO', 'LIFO'] as const),
  };
}

export function workspaceRoutes(tr: TaskRouter): Route[] {
  const show = async (base: string, ws: Awaited<ReturnType<typeof tr.workspaces.get>>) =>
    render.workspace(base, ws, await tr.workspaces.activityNames(ws));
  return [
    {
      method: 'GET',
      path: '/v1/Workspaces',
      handler: async (ctx) => {
        const page = pageRequest(ctx);
        const rows = await tr.workspaces.list(ctx.accountSid, { friendlyName: ctx.query.string('FriendlyName') }, page.pageSize + 1, page.offset);
        return pageReply(ctx, 'workspaces', await Promise.all(rows.map((w) => show(ctx.base, w))), page);
      },
    },
    {
      method: 'POST',
      path: '/v1/Workspaces',
      handler: async (ctx) => {
        const ws = await tr.workspaces.create(ctx.accountSid, {
          ...input(ctx.body),
          friendlyName: ctx.body.required('FriendlyName', { maxLength: 64 }),
          template: ctx.body.enum('Template', ['NONE', 'FIFO'] as const),
        });
        return { status: 201, body: await show(ctx.base, ws) };
      },
    },
    {
      method: 'GET',
      path: '/v1/Workspaces/:Sid',
      handler: async (ctx) => ({ body: await show(ctx.base, await tr.workspaces.get(ctx.accountSid, ctx.params.Sid)) }),
    },
    {
      method: 'POST',
      path: '/v1/Workspaces/:Sid',
      handler: async (ctx) => {
        const ws = await tr.workspaces.update(ctx.accountSid, ctx.params.Sid, {
          ...input(ctx.body),
          defaultActivitySid: ctx.body.sid('DefaultActivitySid', 'WA'),
          timeoutActivitySid: ctx.body.sid('TimeoutActivitySid', 'WA'),
        });
        return { body: await show(ctx.base, ws) };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/Workspaces/:Sid',
      handler: async (ctx) => {
        await tr.workspaces.delete(ctx.accountSid, ctx.params.Sid);
        return { status: 204 };
      },
    },
  ];
}
