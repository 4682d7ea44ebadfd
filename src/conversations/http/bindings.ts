import { invalidParameter } from '../../core/errors.ts';
import type { Route } from '../../http/context.ts';
import { pageReply } from '../../http/page.ts';
import type { ConversationsApi } from '../services.ts';
import * as render from './render-services.ts';
import { page } from './validate.ts';

const BASE = '/v1/Services/:ChatServiceSid/Bindings';
const TYPES = ['apn', 'gcm', 'fcm', 'twilsock'] as const;

/** Push bindings: listed (by type and identity), fetched, deleted; the SDK's registrations create them. */
export function bindingRoutes(api: ConversationsApi): Route[] {
  return [
    {
      method: 'GET',
      path: BASE,
      handler: async (ctx) => {
        const req = page(ctx, 100);
        const q = ctx.query;
        const bindingTypes = q.all('BindingType').map((v) => {
          const t = TYPES.find((x) => x === v.toLowerCase());
          if (!t) throw invalidParameter(`Invalid BindingType parameter: '${v}' is not one of ${TYPES.join(', ')}`);
          return t;
        });
        const filter = { bindingTypes, identities: q.all('Identity') };
        const rows = await api.bindings.list(ctx.accountSid, ctx.params.ChatServiceSid, filter, req.pageSize + 1, req.offset);
        return pageReply(ctx, 'bindings', rows.map((b) => render.binding(ctx.base, b)), req);
      },
    },
    {
      method: 'GET',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => ({ body: render.binding(ctx.base, await api.bindings.get(ctx.accountSid, ctx.params.ChatServiceSid, ctx.params.Sid)) }),
    },
    {
      method: 'DELETE',
      path: `${BASE}/:Sid`,
      handler: async (ctx) => {
        await api.bindings.delete(ctx.accountSid, ctx.params.ChatServiceSid, ctx.params.Sid);
        return { status: 204 };
      },
    },
  ];
}
