import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { TwilioError } from '../core/errors.ts';

/**
 * Whether work that failed with `err` would fail the same way if run again on the same data, so
 * that a job (a Flex channel's setup) ends as failed instead of being retried forever.
 *
 * Permanent: a TwilioError under 500 (the request was refused); a PostgreSQL error outside the
 * transient classes below (22 data exception, 23 integrity violation, 42 syntax or access...);
 * an SQLite error other than busy, locked, I/O or full; and the JavaScript errors that come from
 * the data or the code, not the moment (SyntaxError, RangeError such as a stack overflow,
 * TypeError). Everything else is transient, the unknown included: a lost connection, a
 * serialization failure or deadlock, a shutdown, a timeout.
 */
export function isPermanent(err: unknown): boolean {
  if (err instanceof TwilioError) return err.status < 500;
  if (err instanceof pg.DatabaseError) return !TRANSIENT_SQLSTATE.test(err.code ?? '');
  if (err instanceof BetterSqlite3.SqliteError) return !TRANSIENT_SQLITE.test(err.code);
  return err instanceof SyntaxError || err instanceof RangeError || err instanceof TypeError;
}

/** 08 connection, 40 rollback (serialization, deadlock), 53 resources, 55P03 lock not available, 57 operator intervention, 58 system. */
const TRANSIENT_SQLSTATE = /^(08|40|53|57|58)|^55P03$/;
const TRANSIENT_SQLITE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|PROTOCOL|INTERRUPT)/;
