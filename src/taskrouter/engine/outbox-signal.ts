/**
 * Set by a transaction that queued something to send (an event callback, an assignment callback),
 * so that a commit wakes the senders only when there is work. Other nodes' work is found by polling.
 */
export const outboxSignal = {
  queued: false,
  take(): boolean {
    const queued = this.queued;
    this.queued = false;
    return queued;
  },
};
