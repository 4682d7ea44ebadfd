/** One clock for the whole server, so tests (and users' own tests) can move time. */
export interface Clock {
  now(): number; // epoch milliseconds
  /** Present on clocks that tests may move forward. */
  advance?(ms: number): void;
}

/**
 * A clock a running server may be told to move (POST /switchyard/v1/Clock): forward, to a given time,
 * and, where it runs on its own, frozen and let run again.
 */
export interface ControllableClock extends Clock {
  advance(ms: number): void;
  /** Puts the clock at `ms`. Callers decide whether it may go back (switchyard/clock.ts: only over an empty past). */
  set(ms: number): void;
  /** Whether the clock stands still until moved. */
  readonly frozen: boolean;
  freeze(): void;
  /** Absent on a clock that never runs on its own (ManualClock). */
  unfreeze?(): void;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * The system clock plus an offset: a running server's time, which can be moved (forward by an amount, or to a
 * time) and frozen. Frozen, it stands at one instant until moved; let run again, it goes on from where it stood
 * (it does not jump by the time it was frozen). `source` is the time it runs from (tests give their own).
 */
export class AdjustableClock implements ControllableClock {
  private offset = 0;
  private stoppedAt: number | null = null;
  constructor(private readonly source: () => number = Date.now) {}
  now(): number {
    return this.stoppedAt ?? this.source() + this.offset;
  }
  advance(ms: number): void {
    if (this.stoppedAt !== null) this.stoppedAt += ms;
    else this.offset += ms;
  }
  set(ms: number): void {
    this.advance(ms - this.now());
  }
  get frozen(): boolean {
    return this.stoppedAt !== null;
  }
  freeze(): void {
    if (this.stoppedAt === null) this.stoppedAt = this.now();
  }
  unfreeze(): void {
    if (this.stoppedAt === null) return;
    this.offset = this.stoppedAt - this.source();
    this.stoppedAt = null;
  }
}

/** A clock that only moves when told to: always frozen, and it cannot be let run. */
export class ManualClock implements ControllableClock {
  constructor(private ms: number = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
  get frozen(): boolean {
    return true;
  }
  freeze(): void {}
}

/** Whether a clock can be moved and frozen by the clock API (the system clock cannot). */
export function isControllable(clock: Clock): clock is ControllableClock {
  const c = clock as Partial<ControllableClock>;
  return typeof c.advance === 'function' && typeof c.set === 'function' && typeof c.freeze === 'function';
}

/** Twilio's date format: ISO 8601, UTC, whole seconds. */
export function isoDate(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
