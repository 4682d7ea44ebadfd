import { isoDate } from '../../../core/clock.ts';
import type { ConversationRow } from '../../model.ts';
import type { SdkApi } from '../api.ts';
import type { SdkCtx } from '../context.ts';
import { readable, syncNotFound } from './access.ts';
import { parseObject, type SyncObject, type SyncType } from './names.ts';
import { lastEventId } from './store.ts';

const PATHS: Record<SyncType, string> = { document: 'Documents', list: 'Lists', map: 'Maps' };

export interface Opened {
  object: SyncObject;
  name: string;
  url: string;
  conversation: ConversationRow | null;
  /**
   * The object's latest event, read before its content: whatever the content then shows is at
   * least that new, and every later change has a later event, which the subscription replays.
   */
  lastEventId: number;
}

/** The object a request names (:Id), if the principal may read it, with its last event id. */
export async function openObject(ctx: SdkCtx, type: SyncType, api: SdkApi): Promise<Opened> {
  const name = ctx.params.Id;
  const object = parseObject(name);
  if (!object || object.type !== type) throw syncNotFound(type, name);
  const conversation = await readable(api.db, ctx.principal, object, name);
  return { object, name, url: `${ctx.base}/v3/${PATHS[type]}/${encodeURIComponent(name)}`, conversation, lastEventId: await lastEventId(api.db, name) };
}

/** What every Sync object's descriptor says. */
export function descriptor(o: Opened, dateUpdated: number) {
  return {
    sid: o.name,
    unique_name: o.name,
    url: o.url,
    revision: String(o.lastEventId),
    last_event_id: o.lastEventId,
    date_updated: isoDate(dateUpdated),
    date_expires: null,
  };
}
