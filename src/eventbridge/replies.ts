/**
 * Envelope calls whose reply is not out yet. A push waits for the replies under way when its
 * events were read, so a change made through the envelope is answered before it is pushed: the
 * SDK (and code written for Twilio, whose events come after the REST reply) acts on the reply and
 * only then listens for what follows. Calls that start later are not waited for.
 */
export class PendingReplies {
  private readonly pending = new Set<Promise<void>>();

  /** A call under way; `done` resolves when its reply has been handed to the socket (or the socket is gone). */
  track(done: Promise<void>): void {
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  /** Resolves once every reply under way now is out. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
