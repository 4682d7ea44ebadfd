import { ok, type SdkCtx, type SdkRoute } from '../context.ts';
import type { SdkApi } from '../api.ts';
import { syncReadOnly } from './access.ts';
import { itemDescriptor, itemQuery, itemsOf } from './content.ts';
import { descriptor, openObject } from './objects.ts';

/** Sync maps (/v3/Maps/{Id} and its Items): a roster, an identity's conversations, a user's info; read-only. */
export function mapRoutes(api: SdkApi): SdkRoute[] {
  const readOnly = (path: string, method: SdkRoute['method']): SdkRoute => ({
    method,
    path,
    handler: async (ctx: SdkCtx) => {
      await openObject(ctx, 'map', api);
      throw syncReadOnly(ctx.params.Id);
    },
  });
  return [
    {
      method: 'GET',
      path: '/v3/Maps/:Id',
      handler: async (ctx) => {
        const withItems = ctx.req.query.get('Include') === 'items';
        const o = await openObject(ctx, 'map', api);
        const now = api.clock.now();
        const body: Record<string, unknown> = { ...descriptor(o, Number(o.conversation?.date_updated ?? now)), links: { items: `${o.url}/Items` } };
        if (withItems) {
          const page = await itemsOf(api.db, o.object, { order: 'asc', pageSize: 50 }, now);
          body.items = page.items.map((i) => itemDescriptor(i, 'map', `${o.url}/Items`, o.lastEventId));
        }
        return ok(body);
      },
    },
    {
      method: 'GET',
      path: '/v3/Maps/:Id/Items',
      handler: async (ctx) => {
        const q = itemQuery(ctx.req.query, 'Key');
        const o = await openObject(ctx, 'map', api);
        const page = await itemsOf(api.db, o.object, q, api.clock.now());
        return ok({
          items: page.items.map((i) => itemDescriptor(i, 'map', `${o.url}/Items`, o.lastEventId)),
          meta: { previous_token: page.before ? 'previous' : null, next_token: page.after ? 'next' : null },
        });
      },
    },
    readOnly('/v3/Maps/:Id', 'POST'),
    readOnly('/v3/Maps/:Id', 'DELETE'),
    readOnly('/v3/Maps/:Id/Items', 'POST'),
    readOnly('/v3/Maps/:Id/Items/:Key', 'PUT'),
    readOnly('/v3/Maps/:Id/Items/:Key', 'POST'),
    readOnly('/v3/Maps/:Id/Items/:Key', 'DELETE'),
  ];
}
