/**
 * Runs `work` when woken, one run at a time: a wake during a run makes it run once more after it,
 * so nothing that committed meanwhile is missed, and wakes never pile up. A failing run is
 * reported and left to the next wake (the senders and pushers that use this also poll).
 */
export class Pump {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly options: { onError?: (err: unknown) => void; active?: () => boolean } = {},
  ) {}

  wake(): void {
    const active = this.options.active ?? (() => true);
    if (!active()) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.work();
        } catch (err) {
          this.options.onError?.(err);
        }
      } while (this.again && active());
    })().finally(() => {
      this.running = null;
    });
  }

  /** Resolves once no run is under way. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}

/**
 * A Pump that also runs on its own once started: every `pollMs` (for work other nodes queued and
 * retries falling due) and whenever woken (a commit on this node). Until started, and once stopped,
 * wakes do nothing: a server whose timers are manual (tests) sends only when told to (flush).
 */
export class PollingPump {
  private readonly pump: Pump;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    work: () => Promise<unknown>,
    private readonly pollMs: number,
    onError?: (err: unknown) => void,
  ) {
    this.pump = new Pump(async () => void (await work()), { onError, active: () => this.timer !== null });
  }

  get running(): boolean {
    return this.timer !== null;
  }

  wake(): void {
    this.pump.wake();
  }

  /** Starts running on its own, at once and then every pollMs; false if it already was. */
  start(): boolean {
    if (this.timer) return false;
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref();
    this.wake();
    return true;
  }

  /** Stops running on its own; resolves once a run under way has finished. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.pump.idle();
  }
}
