import type { Clock } from '../../core/clock.ts';
import { Pump } from '../../core/pump.ts';
import { claimHead } from '../../store/outbox.ts';
import { twilioSignature } from '../../core/signature.ts';
import type { Database, Executor } from '../../store/database.ts';
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

export interface PostResult {
  ok: boolean;
  status: number | null;
  body: string;
  error?: string;
}

/**
 * POSTs a form to a webhook as Twilio does: form-encoded, signed with the account's auth token in
 * X-Twilio-Signature. Never throws: a refused connection, a reset or no answer in time is a failure.
 */
export async function postSigned(
  url: string,
  body: URLSearchParams,
  authToken: string,
  timeoutMs: number,
  idempotencyToken?: string,
  cancel?: AbortSignal,
): Promise<PostResult> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    'x-twilio-signature': twilioSignature(authToken, url, body),
    'user-agent': 'TwilioProxy/1.1',
    accept: '*/*',
  };
  if (idempotencyToken) headers['i-twilio-idempotency-token'] = idempotencyToken;
  try {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = cancel ? AbortSignal.any([timeout, cancel]) : timeout;
    const res = await fetch(url, { method: 'POST', headers, body: body.toString(), redirect: 'manual', signal });
    const text = await res.text();
    return { ok: res.status >= 200 && res.status < 300, status: res.status, body: text };
  } catch (err) {
    return { ok: false, status: null, body: '', error: (err as Error).message };
  }
}

/** Auth tokens by account, read when needed: a rotated token signs the next callback. */
export async function authTokenOf(db: Executor, accountSid: string): Promise<string | undefined> {
  return (await db.get<{ auth_token: string }>('SELECT auth_token FROM accounts WHERE sid = ?', [accountSid]))?.auth_token;
}

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

/** At most this many workspaces' callbacks are in flight at once on one node. */
const MAX_PARALLEL_WORKSPACES = 32;

/**
 * Sends the event callbacks queued in `deliveries` (see events.ts). Per workspace, strictly in
 * order: an event is sent only once every earlier one succeeded or was given up. A failure (a
 * non-2xx answer, a refused connection, no answer within 15 s) is retried with exponential
 * backoff; after the last attempt the event is dropped so that the ones behind it can go.
 * Workspaces proceed independently and in parallel.
 *
 * Several nodes may share a PostgreSQL database: a delivery is claimed (locked_until, taken
 * with FOR UPDATE SKIP LOCKED) before it is sent, so exactly one node sends it. A node that dies
 * mid-send leaves a claim that expires, and another node sends the event again: at least once.
 */
export class EventDeliverer {
  private readonly opts: Required<CallbackOptions>;
  private readonly draining = new Map<string, Promise<void>>();
  private attempts = 0;
  private readonly stopping = new AbortController();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    options: CallbackOptions = {},
  ) {
    this.opts = { ...CALLBACK_DEFAULTS, ...options };
  }

  private get leaseMs() {
    return 2 * this.opts.eventTimeoutMs + 30_000;
  }

  /**
   * Starts draining every workspace whose next delivery is due and not being sent. Returns how
   * many workspaces it started; the sends go on in the background.
   */
  async pump(): Promise<number> {
    const now = this.clock.now();
    const heads = await this.db.all<{ workspace_sid: string }>(
      `SELECT d.workspace_sid FROM deliveries d
         JOIN (SELECT workspace_sid, MIN(seq) AS head FROM deliveries GROUP BY workspace_sid) h ON h.head = d.seq
        WHERE d.next_attempt_at <= ? AND d.locked_until <= ?
        ORDER BY d.seq LIMIT ${MAX_PARALLEL_WORKSPACES * 2}`,
      [now, now],
    );
    let started = 0;
    for (const { workspace_sid: ws } of heads) {
      if (this.draining.has(ws) || this.draining.size >= MAX_PARALLEL_WORKSPACES || this.stopping.signal.aborted) continue;
      // A database failure ends this drain; the next pump starts it again.
      const run = this.drain(ws)
        .catch(() => undefined)
        .finally(() => this.draining.delete(ws));
      this.draining.set(ws, run);
      started++;
    }
    return started;
  }

  /** Sends everything due now, waiting for every answer (or timeout). Returns how many requests were made. */
  async flush(): Promise<number> {
    const before = this.attempts;
    for (;;) {
      const started = await this.pump();
      if (started === 0 && this.draining.size === 0) break;
      await Promise.all([...this.draining.values()]);
    }
    return this.attempts - before;
  }

  /** Waits for sends already under way. */
  async idle(): Promise<void> {
    while (this.draining.size > 0) await Promise.all([...this.draining.values()]);
  }

  /** Cancels requests under way (on shutdown); their events are sent again later, by whichever node runs. */
  abort(): void {
    this.stopping.abort();
  }

  /** Removes events past the 30-day retention. Returns how many were removed. */
  async sweep(): Promise<number> {
    return this.db.run('DELETE FROM events WHERE event_date < ?', [this.clock.now() - TASK_LIMITS.eventRetentionMs]);
  }

  private async drain(workspaceSid: string): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const row = await this.claimHead(workspaceSid);
      if (!row) return;
      await this.send(row);
    }
  }

  private claimHead(workspaceSid: string): Promise<DeliveryRow | undefined> {
    return claimHead<DeliveryRow>(this.db, this.clock, 'deliveries', 'workspace_sid', workspaceSid, this.leaseMs);
  }


  private async send(row: DeliveryRow): Promise<void> {
    const body = new URLSearchParams(row.body);
    const accountSid = body.get('AccountSid') ?? '';
    const token = await authTokenOf(this.db, accountSid);
    if (token === undefined) {
      // The account is gone: nobody can verify a signature any more.
      await this.db.run('DELETE FROM deliveries WHERE seq = ?', [row.seq]);
      return;
    }
    this.attempts++;
    const result = await postSigned(row.url, body, token, this.opts.eventTimeoutMs, row.event_sid, this.stopping.signal);
    if (this.stopping.signal.aborted && !result.ok) {
      await this.db.run('UPDATE deliveries SET locked_until = 0 WHERE seq = ?', [row.seq]);
      return;
    }
    if (result.ok) {
      await this.db.run('DELETE FROM deliveries WHERE seq = ?', [row.seq]);
      return;
    }
    const attempts = Number(row.attempts) + 1;
    if (attempts >= this.opts.eventMaxAttempts) {
      await this.db.run('DELETE FROM deliveries WHERE seq = ?', [row.seq]);
      return;
    }
    const wait = Math.min(this.opts.eventRetryMaxMs, this.opts.eventRetryBaseMs * 2 ** (attempts - 1));
    await this.db.run('UPDATE deliveries SET attempts = ?, next_attempt_at = ?, locked_until = 0 WHERE seq = ?', [
      attempts,
      this.clock.now() + wait,
      row.seq,
    ]);
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
