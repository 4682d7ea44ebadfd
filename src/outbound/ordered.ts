import type { Clock } from '../core/clock.ts';
import type { Database } from '../store/database.ts';
import { Outbox, authTokenOf, type Claim, type OutboxTable, type QueueColumn } from '../store/outbox.ts';
import type { Outbound, Send } from './http.ts';
import { Sender } from './sender.ts';

export interface RetryPolicy {
  /** How long a receiver has to answer. */
  timeoutMs: number;
  /** Attempts per row before it is given up (the first one included). */
  maxAttempts: number;
  /** Wait after the first failure; it doubles after each further one, up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface OrderedRow {
  seq: number;
  attempts: number;
  next_attempt_at: number;
  locked_until: number;
}

export interface OrderedOutboxSpec<R extends OrderedRow> {
  table: OutboxTable;
  queueColumn: QueueColumn;
  policy: RetryPolicy;
  /** The account whose auth token signs the row's request. */
  accountOf(row: R): string;
  /** Sends the row with `send`; true when it is done with (delivered, or a final outcome recorded). */
  deliver(row: R, send: Send): Promise<boolean>;
  /** After the last failed attempt, as the row is dropped. */
  givenUp?(row: R): Promise<void>;
}

/** Due heads are read this many at a time, every one of them each pump. */
const PAGE = 500;

/**
 * The one sender for every ordered outbox (TaskRouter's event callbacks, Conversations' webhooks
 * and outbound messages). Per queue, strictly in order: a row is sent only once every earlier one
 * succeeded or was given up. A failure (a non-2xx answer, a refused connection, no answer in time)
 * is retried with exponential backoff; after the last attempt the row is dropped so that the ones
 * behind it can go. Queues proceed independently, each as fast as its destination allows (see
 * Outbound): every due queue is started, however many others are due or in flight.
 *
 * Several nodes may share a PostgreSQL database: a row is claimed before it is sent, so exactly one
 * node sends it. A node that dies mid-send leaves a claim that runs out, and another node sends the
 * row again: at least once.
 */
export class OrderedOutbox<R extends OrderedRow> extends Sender {
  private readonly outbox: Outbox<R>;

  constructor(
    protected readonly db: Database,
    protected readonly clock: Clock,
    private readonly outbound: Outbound,
    private readonly spec: OrderedOutboxSpec<R>,
  ) {
    super();
    // Long enough for a request and its answer, with room to spare; a send that waited renews it.
    this.outbox = new Outbox<R>(db, clock, spec.table, 2 * spec.policy.timeoutMs + 30_000);
  }

  /** Starts draining every queue whose head is due and not being sent. Returns how many it started. */
  async pump(): Promise<number> {
    let started = 0;
    for (let after = 0; !this.stopping.signal.aborted; ) {
      const heads = await this.outbox.dueHeads(this.spec.queueColumn, after, PAGE);
      for (const { queue } of heads) {
        if (this.busy(queue)) continue;
        // One drain per queue: it sends the queue's rows one after the other, in order.
        this.launch(queue, () => this.drain(queue));
        started++;
      }
      if (heads.length < PAGE) break;
      after = Number(heads[heads.length - 1].seq);
    }
    return started;
  }

  private async drain(queue: string): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const claimed = await this.outbox.claimHead(this.spec.queueColumn, queue);
      if (!claimed) return;
      await this.sendOne(claimed.row, claimed.claim);
    }
  }

  private async sendOne(row: R, claim: Claim): Promise<void> {
    const token = await authTokenOf(this.db, this.spec.accountOf(row));
    // The account is gone: nobody can verify a signature any more.
    if (token === undefined) return this.outbox.done(row.seq);
    const { timeoutMs, maxAttempts, retryBaseMs, retryMaxMs } = this.spec.policy;
    const send: Send = async (call) => {
      const result = await this.outbound.send({ ...call, authToken: token, timeoutMs, signal: this.stopping.signal }, () => this.outbox.renew(claim));
      if (result.attempted) this.requests++;
      return result;
    };
    if (await this.spec.deliver(row, send)) return this.outbox.done(row.seq);
    if (claim.lost) return;
    if (this.stopping.signal.aborted) return this.outbox.release(claim);
    const attempts = Number(row.attempts) + 1;
    if (attempts >= maxAttempts) {
      if ((await this.outbox.drop(claim)) && this.spec.givenUp) await this.spec.givenUp(row);
      return;
    }
    await this.outbox.retryAt(claim, attempts, this.clock.now() + Math.min(retryMaxMs, retryBaseMs * 2 ** (attempts - 1)));
  }
}
