import type { ConversationRow } from '../../model.ts';
import { ok, type SdkRoute } from '../context.ts';
import type { SdkApi } from '../api.ts';
import { syncReadOnly } from './access.ts';
import { documentOf } from './content.ts';
import { descriptor, openObject } from './objects.ts';

/** Sync documents (/v3/Documents/{Id}): a conversation, read-only. */
export function documentRoutes(api: SdkApi): SdkRoute[] {
  return [
    {
      method: 'GET',
      path: '/v3/Documents/:Id',
      handler: async (ctx) => {
        const o = await openObject(ctx, 'document', api);
        const c = o.conversation as ConversationRow;
        return ok({ ...descriptor(o, Number(c.date_updated)), data: await documentOf(api.db, c) });
      },
    },
    ...(['POST', 'DELETE'] as const).map((method) => ({
      method,
      path: '/v3/Documents/:Id',
      handler: async (ctx: Parameters<SdkRoute['handler']>[0]) => {
        await openObject(ctx, 'document', api);
        throw syncReadOnly(ctx.params.Id);
      },
    })),
  ];
}
