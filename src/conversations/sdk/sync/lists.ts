import type { ConversationRow } from '../../model.ts';
import { ok, type SdkCtx, type SdkRoute } from '../context.ts';
import type { SdkApi } from '../api.ts';
import { syncReadOnly } from './access.ts';
import { itemDescriptor, itemQuery, itemsOf } from './content.ts';
import { descriptor, openObject } from './objects.ts';

/** Sync lists (/v3/Lists/{Id} and its Items): a conversation's messages, item index = message index; read-only. */
export function listRoutes(api: SdkApi): SdkRoute[] {
  const readOnly = (path: string, method: SdkRoute['method']): SdkRoute => ({
    method,
    path,
    handler: async (ctx: SdkCtx) => {
      await openObject(ctx, 'list', api);
      throw syncReadOnly(ctx.params.Id);
    },
  });
  return [
    {
      method: 'GET',
      path: '/v3/Lists/:Id',
      handler: async (ctx) => {
        const o = await openObject(ctx, 'list', api);
        const c = o.conversation as ConversationRow;
        return ok({ ...descriptor(o, Number(c.date_updated)), links: { items: `${o.url}/Items`, context: `${o.url}/Context` } });
      },
    },
    {
      method: 'GET',
      path: '/v3/Lists/:Id/Items',
      handler: async (ctx) => {
        const q = itemQuery(ctx.req.query, 'Index');
        const o = await openObject(ctx, 'list', api);
        const page = await itemsOf(api.db, o.object, q, api.clock.now());
        return ok({
          items: page.items.map((i) => itemDescriptor(i, 'list', `${o.url}/Items`, o.lastEventId)),
          meta: { previous_token: page.before ? 'previous' : null, next_token: page.after ? 'next' : null },
        });
      },
    },
    {
      method: 'GET',
      path: '/v3/Lists/:Id/Context',
      handler: async (ctx) => {
        const o = await openObject(ctx, 'list', api);
        return ok({ data: {}, last_event_id: o.lastEventId });
      },
    },
    readOnly('/v3/Lists/:Id', 'POST'),
    readOnly('/v3/Lists/:Id', 'DELETE'),
    readOnly('/v3/Lists/:Id/Items', 'POST'),
    readOnly('/v3/Lists/:Id/Items/:Index', 'POST'),
    readOnly('/v3/Lists/:Id/Items/:Index', 'DELETE'),
  ];
}
