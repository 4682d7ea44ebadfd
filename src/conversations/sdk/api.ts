import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../store/database.ts';
import type { ConversationsApi } from '../services.ts';
import type { SyncPusher } from './sync/pusher.ts';

/** What the SDK's handlers use: the store, the clock, the Conversations services, and the pusher of this node. */
export interface SdkApi {
  db: Database;
  clock: Clock;
  conversations: ConversationsApi;
  pusher: SyncPusher;
  /** Wakes the projector (and so the pushers) after a write that recorded no Conversations event. */
  changed(): void;
}
