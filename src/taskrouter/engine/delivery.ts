import type { Clock } from '../../core/clock.ts';
import { PollingPump } from '../../core/pump.ts';
import { Outbound } from '../../outbound/http.ts';
import { OrderedOutbox } from '../../outbound/ordered.ts';
import type { Database } from '../../store/database.ts';
import { TASK_LIMITS } from '../routing-model.ts';
import type { AssignmentCallbacks } from './assignment-callback.ts';
import { CALLBACK_DEFAULTS, type CallbackOptions } from './callback-options.ts';

/** Where the server's configuration finds it. */
export type { CallbackOptions } from './callback-options.ts';

/** Where inbound.ts finds it; it lives with the outbox tables. */
export { authTokenOf } from '../../store/outbox.ts';

interface DeliveryRow {
  seq: number;
  workspace_sid: string;
  event_sid: string;
  url: string;
  body: string;
  attempts: number;
  next_attempt_at: number;
  locked_until: number;
}

/**
 * Sends the event callbacks queued in `deliveries` (see events.ts), per workspace strictly in
 * order, through the one ordered-outbox sender (outbound/ordered.ts): retried with exponential
 * backoff, given up after the last attempt so that the ones behind can go, claimed so that one
 * node sends each. Workspaces proceed independently; each as fast as its receiver allows.
 */
export class EventDeliverer extends OrderedOutbox<DeliveryRow> {
  constructor(db: Database, clock: Clock, options: CallbackOptions = {}, outbound = new Outbound()) {
    const opts = { ...CALLBACK_DEFAULTS, ...options };
    super(db, clock, outbound, {
      table: 'deliveries',
      queueColumn: 'workspace_sid',
      policy: { timeoutMs: opts.eventTimeoutMs, maxAttempts: opts.eventMaxAttempts, retryBaseMs: opts.eventRetryBaseMs, retryMaxMs: opts.eventRetryMaxMs },
      accountOf: (row) => new URLSearchParams(row.body).get('AccountSid') ?? '',
      deliver: async (row, send) => (await send({ url: row.url, params: new URLSearchParams(row.body), idempotencyToken: row.event_sid })).ok,
    });
  }

  /** Removes events past the 30-day retention. Returns how many were removed. */
  async sweep(): Promise<number> {
    return this.db.run('DELETE FROM events WHERE event_date < ?', [this.clock.now() - TASK_LIMITS.eventRetentionMs]);
  }
}

/** Polls at least this often, for retries falling due and for work queued by other nodes. */
const POLL_MS = 1_000;
const SWEEP_MS = 3600_000;

/**
 * Everything the server sends out on its own: assignment callbacks and event callbacks. With the
 * system clock it runs by itself (woken after every commit, and polling); under a manual clock
 * (tests) nothing is sent until `flush()`.
 */
export class Deliveries {
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly runner = new PollingPump(async () => {
    await this.assignments.pump();
    await this.events.pump();
  }, POLL_MS);

  constructor(
    readonly events: EventDeliverer,
    readonly assignments: AssignmentCallbacks,
  ) {}

  /**
   * Sends every due assignment callback and event callback and waits for their answers, acting on
   * assignment instructions (which may create events, or new reservations and so new callbacks),
   * until nothing due is left. Returns how many requests were made.
   */
  async flush(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = (await this.assignments.flush()) + (await this.events.flush());
      if (n === 0) return total;
      total += n;
    }
  }

  sweep(): Promise<number> {
    return this.events.sweep();
  }

  /** Something committed: start whatever became due (only once started). */
  wake(): void {
    this.runner.wake();
  }

  start(): void {
    if (!this.runner.start()) return;
    this.sweepTimer = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_MS);
    this.sweepTimer.unref();
    void this.sweep().catch(() => undefined);
  }

  /** Stops sending: requests under way are canceled and left for the next run (before the database closes). */
  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.assignments.abort();
    this.events.abort();
    await this.runner.stop();
    await Promise.all([this.assignments.idle(), this.events.idle()]);
  }
}
