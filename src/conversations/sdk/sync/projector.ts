import type { Clock } from '../../../core/clock.ts';
import { Pump } from '../../../core/pump.ts';
import type { Database } from '../../../store/database.ts';
import { settledEventsSince } from '../../events.ts';
import { syncEventsOf } from './derive.ts';
import { insertEvents, lockWriter, type NewSdkEvent } from './store.ts';

const BATCH = 200;

/**
 * Turns the Conversations outbox (conversation_events) into the SDK's Sync events (sdk_events),
 * behind a cursor kept in the same transaction as the events it wrote: whatever made the change
 * (REST, the gateways, timers, another SDK, another node), it reaches the SDK's objects once and
 * in order, and a restart resumes where the cursor stands. One node at a time projects (the
 * cursor row is the writers' lock); the others find the rows on their poll.
 */
export class SyncProjector {
  private readonly pump: Pump;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    /** Called after events were written (wakes this node's pusher). */
    private readonly projected: () => void,
    onError: (err: unknown) => void,
    active: () => boolean,
  ) {
    this.pump = new Pump(() => this.drain(), { onError, active });
  }

  wake(): void {
    this.pump.wake();
  }

  idle(): Promise<void> {
    return this.pump.idle();
  }

  /** Projects everything committed so far, now (a run under way elsewhere on this node yields to it: see project). */
  async catchUp(): Promise<void> {
    await this.pump.idle();
    await this.drain();
  }

  private async drain(): Promise<void> {
    while ((await this.project()) > 0) this.projected();
  }

  /** Projects one batch; returns how many conversation events it passed (0: nothing new, or another node is on it). */
  async project(): Promise<number> {
    const cursor = Number((await this.db.get<{ seq: number }>("SELECT seq FROM conversation_cursors WHERE name = 'sdk'"))?.seq ?? 0);
    const events = await settledEventsSince(this.db, cursor, BATCH);
    if (events.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      // Another node moved the cursor meanwhile: it wrote these; read again on the next run.
      if ((await lockWriter(this.db, tx)) !== cursor) return 0;
      const now = this.clock.now();
      const out: NewSdkEvent[] = [];
      for (const ev of events) out.push(...(await syncEventsOf(tx, ev, now)));
      await insertEvents(tx, now, out);
      await tx.run("UPDATE conversation_cursors SET seq = ? WHERE name = 'sdk'", [Number(events[events.length - 1].seq)]);
      return events.length;
    });
  }
}
