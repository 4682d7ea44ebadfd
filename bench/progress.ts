/**
 * One updating line on stderr while the bench runs. On a terminal it redraws in place; when stderr
 * is a file or a pipe it prints a plain line now and then instead, so logs stay readable.
 */
export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private label = '';
  private done = 0;
  private total = 0;
  private startedAt = 0;
  private lastPlain = 0;
  private timer: NodeJS.Timeout | null = null;
  private width = 0;
  private enabled = true;

  constructor(options: { quiet?: boolean } = {}) {
    this.enabled = !options.quiet;
  }

  /** Starts a phase counted up to `total` (items). */
  start(label: string, total: number) {
    this.label = label;
    this.total = total;
    this.done = 0;
    this.startedAt = performance.now();
    this.lastPlain = this.startedAt;
    if (!this.enabled) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => this.draw(false), this.tty ? 200 : 2000);
    this.timer.unref();
    this.draw(false);
  }

  tick(n = 1) {
    this.done += n;
  }

  set(done: number) {
    this.done = done;
  }

  /** Ends the phase, leaving its last state on its own line. */
  end(note = '') {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.enabled) this.draw(true, note);
  }

  /** A message on its own line, without breaking the bar. */
  log(message: string) {
    if (!this.enabled) return;
    if (this.tty) process.stderr.write('\r' + ' '.repeat(this.width) + '\r');
    process.stderr.write(message + '\n');
    this.width = 0;
  }

  private draw(final: boolean, note = '') {
    const elapsed = (performance.now() - this.startedAt) / 1000;
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const cells = 24;
    const full = Math.round(frac * cells);
    const bar = '█'.repeat(full) + '░'.repeat(cells - full);
    const rate = elapsed > 0 ? Math.round(this.done / elapsed) : 0;
    const line = `${this.label} ${bar} ${this.done.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')} ${rate.toLocaleString('en-US')}/s ${elapsed.toFixed(1)}s${note ? ' ' + note : ''}`;
    if (this.tty) {
      const pad = Math.max(0, this.width - line.length);
      process.stderr.write('\r' + line + ' '.repeat(pad) + (final ? '\n' : ''));
      this.width = final ? 0 : line.length;
    } else if (final || performance.now() - this.lastPlain >= 2000 || this.done === 0) {
      this.lastPlain = performance.now();
      process.stderr.write(line + '\n');
    }
  }
}
