import { invalidParameter } from '../../core/errors.ts';

/**
 * The interval cumulative statistics cover: the last `Minutes` (15 by default), or from
 * `StartDate` to `EndDate`. Pure: "now" is given by the caller.
 */
export interface WindowInput {
  minutes?: number;
  /** Epoch milliseconds. */
  startDate?: number;
  endDate?: number;
}

export interface Window {
  start: number;
  end: number;
}

export const DEFAULT_MINUTES = 15;
/** Statistics reach back 30 days, as far as events are kept. */
export const MAX_HISTORY_MINUTES = 30 * 24 * 60;
const MINUTE = 60_000;

export function resolveWindow(input: WindowInput, now: number): Window {
  const { minutes, startDate, endDate } = input;
  if (minutes !== undefined && (startDate !== undefined || endDate !== undefined))
    throw invalidParameter('Minutes cannot be combined with StartDate or EndDate');
  if (minutes !== undefined) {
    if (minutes < 1 || minutes > MAX_HISTORY_MINUTES)
      throw invalidParameter(`Invalid Minutes parameter: ${minutes} is outside 1..${MAX_HISTORY_MINUTES} (statistics cover the past 30 days)`);
    return { start: now - minutes * MINUTE, end: now };
  }
  // A window ending in the future ends now: nothing has happened there yet.
  const end = Math.min(endDate ?? now, now);
  const start = startDate ?? end - DEFAULT_MINUTES * MINUTE;
  if (start < now - MAX_HISTORY_MINUTES * MINUTE)
    throw invalidParameter('Invalid StartDate parameter: statistics cover the past 30 days only');
  if (start > end) throw invalidParameter('Invalid StartDate parameter: it must not be later than EndDate (or now)');
  return { start, end };
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO 8601 date-time (or date) into epoch milliseconds, undefined when absent. A time without
 * a zone is GMT, as Twilio documents. Impossible dates (2026-02-31) are refused, not rolled over.
 */
export function parseDateParam(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = ISO.exec(value.trim());
  const bad = () => invalidParameter(`Invalid ${name} parameter: '${value}' is not an ISO 8601 date-time such as 2026-01-15T09:00:00Z`);
  if (!m) throw bad();
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const fields = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)];
  const local = Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5]);
  const back = new Date(local);
  if (
    back.getUTCFullYear() !== fields[0] ||
    back.getUTCMonth() !== fields[1] - 1 ||
    back.getUTCDate() !== fields[2] ||
    back.getUTCHours() !== fields[3] ||
    back.getUTCMinutes() !== fields[4] ||
    back.getUTCSeconds() !== fields[5]
  )
    throw bad();
  let offset = 0;
  if (zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    if (Number(z[2]) > 23 || Number(z[3]) > 59) throw bad();
    offset = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) * MINUTE;
  }
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  return local + ms - offset;
}
