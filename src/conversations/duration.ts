/**
 * ISO 8601 durations as Conversations timers take them (`PT5M`, `P1D`, `PT0S`, `P1DT12H`).
 * Pure: no I/O, tested in test/unit/conversations-duration.test.ts.
 *
 * Accepted: `P` then optional `nY nM nW nD`, then optionally `T` with `nH nM nS`; every number is
 * a whole number except the seconds, which may carry a fraction (`.` or `,`). At least one part
 * must be present, and `T` must be followed by one. A year counts 365 days and a month 30 days
 * (timers have no calendar to anchor them to). Negative durations do not exist in ISO 8601.
 */

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Far beyond any sensible timer (about 100 years); keeps due dates exact in epoch milliseconds. */
const MAX_MS = 100 * 365 * DAY;

/** Milliseconds of an ISO 8601 duration, or null when the text is not one. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim().toUpperCase());
  if (!m) return null;
  const [, y, mo, w, d, h, mi, s] = m;
  if ([y, mo, w, d, h, mi, s].every((p) => p === undefined)) return null;
  // "P1DT" (a T with nothing after it) is not a duration.
  if (/T$/.test(text.trim().toUpperCase())) return null;
  const n = (v: string | undefined) => (v === undefined ? 0 : Number(v.replace(',', '.')));
  const ms =
    n(y) * 365 * DAY + n(mo) * 30 * DAY + n(w) * 7 * DAY + n(d) * DAY + n(h) * HOUR + n(mi) * MINUTE + Math.round(n(s) * SECOND);
  if (!Number.isFinite(ms) || ms > MAX_MS) return null;
  return ms;
}

/** Shortest ISO 8601 form of a whole number of milliseconds, e.g. 300000 -> PT5M, 90061000 -> P1DT1H1M1S. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return 'PT0S';
  let rest = Math.round(ms);
  const days = Math.floor(rest / DAY);
  rest -= days * DAY;
  const hours = Math.floor(rest / HOUR);
  rest -= hours * HOUR;
  const minutes = Math.floor(rest / MINUTE);
  rest -= minutes * MINUTE;
  const seconds = rest / SECOND;
  let out = 'P';
  if (days) out += `${days}D`;
  if (hours || minutes || seconds) {
    out += 'T';
    if (hours) out += `${hours}H`;
    if (minutes) out += `${minutes}M`;
    if (seconds) out += `${seconds}S`;
  }
  return out;
}

export const MIN_INACTIVE_MS = MINUTE;
export const MIN_CLOSED_MS = 10 * MINUTE;
