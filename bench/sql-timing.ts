import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';

/**
 * Diagnostic only: times every SQL statement the server runs, by statement text. For SQLite the
 * time is the synchronous call (the engine's own work, on the server's thread); for PostgreSQL it
 * is send to result (round trip plus the server's work, while the event loop is free). Installed
 * by wrapping the drivers' prototypes in the server process: nothing under src/ changes. Off
 * (a flag test per statement) until `setSqlTiming(true)`.
 */
export interface SqlStat {
  sql: string;
  calls: number;
  totalMs: number;
}

const stats = new Map<string, SqlStat>();
let installed = false;
let recording = false;

export function setSqlTiming(on: boolean) {
  recording = on;
}

function add(sql: string, ms: number) {
  let s = stats.get(sql);
  if (!s) stats.set(sql, (s = { sql, calls: 0, totalMs: 0 }));
  s.calls++;
  s.totalMs += ms;
}

type Fn = (...args: unknown[]) => unknown;

export function installSqlTiming() {
  if (installed) return;
  installed = true;
  const probe = new BetterSqlite3(':memory:');
  const stmtProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, Fn>;
  for (const method of ['run', 'get', 'all']) {
    const original = stmtProto[method];
    stmtProto[method] = function (this: { source: string }, ...args: unknown[]) {
      if (!recording) return original.apply(this, args);
      const t0 = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        add(this.source, performance.now() - t0);
      }
    };
  }
  const dbProto = Object.getPrototypeOf(probe) as Record<string, Fn>;
  for (const method of ['exec', 'pragma', 'prepare']) {
    const original = dbProto[method];
    dbProto[method] = function (this: unknown, ...args: unknown[]) {
      if (!recording) return original.apply(this, args);
      const t0 = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        add(`${method}: ${String(args[0])}`, performance.now() - t0);
      }
    };
  }
  probe.close();
  const clientProto = pg.Client.prototype as unknown as Record<string, Fn>;
  const query = clientProto.query;
  clientProto.query = function (this: unknown, ...args: unknown[]) {
    if (!recording) return query.apply(this, args);
    const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string })?.text ?? '?');
    const t0 = performance.now();
    const result = query.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function')
      (result as Promise<unknown>).then(
        () => add(text, performance.now() - t0),
        () => add(text, performance.now() - t0),
      );
    return result;
  };
}

export function resetSqlStats() {
  stats.clear();
}

export function sqlStats(): SqlStat[] {
  return [...stats.values()].sort((a, b) => b.totalMs - a.totalMs);
}
