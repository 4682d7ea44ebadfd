import type { Clock } from '../../core/clock.ts';
import { Pump } from '../../core/pump.ts';
import { Outbound } from '../../outbound/http.ts';
import { OrderedOutbox } from '../../outbound/ordered.ts';
import type { Database } from '../../store/database.ts';
import { TASK_LIMITS } from '../routing-model.ts';
import type { AssignmentCallbacks } from './assignment-callback.ts';

/** How callbacks are sent; every value has Twilio's default and may be changed (tests shorten timeouts). */
export interface CallbackOptions {
  /** How long an event callback receiver has to answer (Twilio: 15 s). */
  eventTimeoutMs?: number;
  /** Attempts per event callback before it is given up (the first one included). */
  eventMaxAttempts?: number;
  /** Wait after the first failure; it doubles after each further one, up to eventRetryMaxMs. */
  eventRetryBaseMs?: number;
  eventRetryMaxMs?: number;
  /** How long an assignment callback has to answer (Twilio: 5 s). */
  assignmentTimeoutMs?: number;
}

export const CALLBACK_DEFAULTS: Required<CallbackOptions> = {
  eventTimeoutMs: 15_000,
  eventMaxAttempts: 10,
  eventRetryBaseMs: 1_000,
  eventRetryMaxMs: 5 * 60_000,
  assignmentTimeoutMs: 5_000,
};

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
export class EventDeliverer {
  private readonly sender: OrderedOutbox<DeliveryRow>;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    options: CallbackOptions = {},
    outbound = new Outbound(),
  ) {
    const opts = { ...CALLBACK_DEFAULTS, ...options };
    this.sender = new OrderedOutbox<DeliveryRow>(db, clock, outbound, {
      table: 'deliveries',
      queueColumn: 'workspace_sid',
      policy: { timeoutMs: opts.eventTimeoutMs, maxAttempts: opts.eventMaxAttempts, retryBaseMs: opts.eventRetryBaseMs, retryMaxMs: opts.eventRetryMaxMs },
      accountOf: (row) => new URLSearchParams(row.body).get('AccountSid') ?? '',
      deliver: async (row, send) => (await send({ url: row.url, params: new URLSearchParams(row.body), idempotencyToken: row.event_sid })).ok,
    });
  }

  /** Starts draining every workspace whose next callback is due; the sends go on in the background. */
  pump(): Promise<number> {
    return this.sender.pump();
  }

  /** Sends everything due now, waiting for every answer (or timeout). Returns how many requests were made. */
  flush(): Promise<number> {
    return this.sender.flush();
  }

  /** Waits for sends already under way. */
  idle(): Promise<void> {
    return this.sender.idle();
  }

  /** Cancels requests under way (on shutdown); their events are sent again later, by whichever node runs. */
  abort(): void {
    this.sender.abort();
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
  private running = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly waker = new Pump(async () => {
    await this.assignments.pump();
    await this.events.pump();
  }, { active: () => this.running });

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
    this.waker.wake();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.pollTimer = setInterval(() => this.wake(), POLL_MS);
    this.sweepTimer = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_MS);
    this.pollTimer.unref();
    this.sweepTimer.unref();
    this.wake();
    void this.sweep().catch(() => undefined);
  }

  /** Stops sending: requests under way are canceled and left for the next run (before the database closes). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.pollTimer = this.sweepTimer = null;
    this.assignments.abort();
    this.events.abort();
    await this.waker.idle();
    await Promise.all([this.assignments.idle(), this.events.idle()]);
  }
}
