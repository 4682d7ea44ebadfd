import type { Route } from '../../http/context.ts';
import { pageReply } from '../../http/page.ts';
import type { ConversationsApi } from '../services.ts';
import * as render from './render-services.ts';
import { page } from './validate.ts';

const BASE = '/v1/Services';

/** Conversation Services: list, create, fetch, delete (with everything in it). */
export function serviceRoutes(api: ConversationsApi): Route[] {
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const req = page(ctx, 100);
        const rows = await api.services.list(ctx.accountSid, req.pageSize + 1, req.offset);
        return pageReply(ctx, 'services', rows.map((s) => render.service(ctx.base, s)), req);
      },
    },
    {
      method: 'POST',
      path: BASE,
      handler: async (ctx) => {
        const friendlyName = ctx.body.required('FriendlyName', { maxLength: 256 });
        return { status: 201, body: render.service(ctx.base, await api.services.create(ctx.accountSid, friendlyName)) };
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => ({ body: render.service(ctx.base, await api.services.get(ctx.accountSid, ctx.params.Sid)) }),
    },
    {
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        await api.services.delete(ctx.accountSid, ctx.params.Sid);
        return { status: 204 };
      },
    },
  ];
}
