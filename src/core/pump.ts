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
