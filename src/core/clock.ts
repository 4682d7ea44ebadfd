/** One clock for the whole server, so tests (and users' own tests) can move time. */
export interface Clock {
  now(): number; // epoch milliseconds
  /** Present on clocks that tests may move forward. */
  advance?(ms: number): void;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The system clock plus an offset that only grows: lets a running server be moved forward in time. */
export class AdjustableClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
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
}

/** Twilio's date format: ISO 8601, UTC, whole seconds. */
export function isoDate(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
