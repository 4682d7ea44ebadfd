import type { Clock } from '../../../core/clock.ts';
import type { Database } from '../../../store/database.ts';
import { isoDate } from '../../../core/clock.ts';
import { userObjects } from './names.ts';
import { insertEvents, lockWriter, type NewSdkEvent } from './store.ts';
import { userInfoData } from './views.ts';

/** Writes events that no Conversations event carries (typing, user info, presence), as one more writer under the writers' lock. */
export async function appendEvents(db: Database, clock: Clock, events: NewSdkEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.transaction(async (tx) => {
    await lockWriter(db, tx);
    await insertEvents(tx, clock.now(), events);
  });
}

/** The user info map's items that changed, as map_item_updated events of that user's map. */
export function userInfoEvents(
  accountSid: string,
  serviceSid: string,
  identity: string,
  user: { friendly_name: string | null; attributes: string } | null,
  online: boolean,
  keys: (keyof ReturnType<typeof userInfoData>)[],
  now: number,
): NewSdkEvent[] {
  const data = userInfoData(user, online);
  const map = userObjects(serviceSid, identity).info;
  return keys.map((key) => ({
    account_sid: accountSid,
    object_sid: map,
    conversation_sid: null,
    event_type: 'map_item_updated',
    payload: { item_key: key, item_data: data[key], date_created: isoDate(now) },
  }));
}
