import { shutdownSwitch } from './http.ts';

/**
 * What every sender of an outbox shares (TaskRouter's event callbacks and assignment callbacks,
 * Conversations' webhooks and outbound messages): `pump` starts the sends that are due, each in the
 * background under a key (an ordered queue, or one row) so that one key never runs twice at once;
 * `flush` pumps until nothing is due and nothing is under way; `abort` cancels requests under way
 * on shutdown (their rows are sent again later, by whichever node runs); `requests` counts the
 * requests made, which `flush` reports.
 */
export abstract class Sender {
  /** Requests made so far. */
  requests = 0;
  protected readonly stopping = shutdownSwitch();
  private readonly running = new Map<unknown, Promise<void>>();

  /** Starts every send that is due and not under way. Returns how many it started. */
  abstract pump(): Promise<number>;

  /** Is a send under this key under way? */
  protected busy(key: unknown): boolean {
    return this.running.has(key);
  }

  /**
   * Runs `send` in the background under `key`. Its failure (the store unreachable) ends only it:
   * its row stays claimed until the claim runs out, or is found again by the next pump.
   */
  protected launch(key: unknown, send: () => Promise<void>): void {
    const run = send()
      .catch(() => undefined)
      .finally(() => this.running.delete(key));
    this.running.set(key, run);
  }

  /** Sends everything due now, waiting for every answer (or timeout). Returns how many requests were made. */
  async flush(): Promise<number> {
    const before = this.requests;
    for (;;) {
      const started = await this.pump();
      if (started === 0 && this.running.size === 0) break;
      await this.idle();
    }
    return this.requests - before;
  }

  /** Waits for sends already under way. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /** Cancels requests under way and waiting (shutdown); their rows stay for the next run. */
  abort(): void {
    this.stopping.abort();
  }
}
