import { name } from '../../http/params.ts';
import { invalidParameter } from '../../core/errors.ts';
import type { Route } from '../../http/context.ts';
import { pageReply, pageRequest } from '../../http/page.ts';
import type { TaskRouter } from '../services.ts';
import * as render from './render.ts';
import { availableFilter } from './validate.ts';

const BASE = '/v1/Workspaces/:WorkspaceSid/Activities';

export function activityRoutes(tr: TaskRouter): Route[] {
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const page = pageRequest(ctx);
        const rows = await tr.activities.list(
          ctx.accountSid,
          ctx.params.WorkspaceSid,
          { friendlyName: ctx.query.string('FriendlyName'), available: availableFilter(ctx.query) },
          page.pageSize + 1,
          page.offset,
        );
        return pageReply(ctx, 'activities', rows.map((a) => render.activity(ctx.base, a)), page);
      },
    },
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const row = await tr.activities.create(ctx.accountSid, ctx.params.WorkspaceSid, {
          friendlyName: ctx.body.required('FriendlyName', { maxLength: 64 }),
          available: ctx.body.bool('Available'),
        });
        return { status: 201, body: render.activity(ctx.base, row) };
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => ({
        body: render.activity(ctx.base, await tr.activities.get(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid)),
      }),
    },
    {
      method: 'POST',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        // Twilio silently ignores this; saying so is kinder than pretending it worked.
        if (ctx.body.has('Available')) throw invalidParameter("An Activity's Available cannot be changed after it is created");
        const row = await tr.activities.update(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid, {
          friendlyName: name(ctx.body),
        });
        return { body: render.activity(ctx.base, row) };
      },
    },
    {
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        await tr.activities.delete(ctx.accountSid, ctx.params.WorkspaceSid, ctx.params.Sid);
        return { status: 204 };
      },
    },
  ];
}
