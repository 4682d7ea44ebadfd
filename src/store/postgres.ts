import pg from 'pg';
import type { Database, Executor, SqlValue } from './database.ts';

// BIGINT columns hold epoch milliseconds and counters: numbers, not strings.
pg.types.setTypeParser(20, (v) => Number(v));

const converted = new Map<string, string>();
/** Our SQL uses `?` placeholders; PostgreSQL wants `$1, $2, ...`. */
function toPg(sql: string): string {
  let out = converted.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    converted.set(sql, out);
  }
  return out;
}

// Booleans are stored as 0/1 integers in both engines, so one SQL text fits both.
const toParams = (params: readonly SqlValue[]) => params.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));

function executor(q: pg.Pool | pg.PoolClient): Executor {
  const query = (sql: string, params: readonly SqlValue[] = []) => q.query(toPg(sql), toParams(params));
  return {
    all: async <T>(sql: string, params?: readonly SqlValue[]) => (await query(sql, params)).rows as T[],
    get: async <T>(sql: string, params?: readonly SqlValue[]) => (await query(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params?: readonly SqlValue[]) => (await query(sql, params)).rowCount ?? 0,
  };
}

export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly direct: Executor;
  private readonly begin: string;

  /**
   * `schema`, when given, isolates this database in its own search_path (used by tests).
   * `idleInTransactionMs`: how long PostgreSQL lets a session sit idle inside a transaction before
   * ending it. A node that freezes mid-transaction (stopped, paused VM, blocked event loop) would
   * otherwise hold its workspace's routing lock, and stall that workspace on every node, forever.
   */
  constructor(connectionString: string, options: { schema?: string; max?: number; idleInTransactionMs?: number } = {}) {
    this.pool = new pg.Pool({
      connectionString,
      max: options.max ?? 10,
      options: options.schema ? `-c search_path=${options.schema}` : undefined,
    });
    const idleMs = Math.max(0, Math.floor(options.idleInTransactionMs ?? 60_000));
    // Read committed whatever the server's default: a transaction's reads must see what was
    // committed before it got its workspace lock, not a snapshot taken while it waited for it.
    // One round trip with the timeout, which holds for this transaction only.
    this.begin = `BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL idle_in_transaction_session_timeout = ${idleMs}`;
    // An idle client losing its connection must not crash the server.
    this.pool.on('error', () => undefined);
    this.direct = executor(this.pool);
  }

  all<T>(sql: string, params?: readonly SqlValue[]) {
    return this.direct.all<T>(sql, params);
  }
  get<T>(sql: string, params?: readonly SqlValue[]) {
    return this.direct.get<T>(sql, params);
  }
  run(sql: string, params?: readonly SqlValue[]) {
    return this.direct.run(sql, params);
  }

  async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // The server may end the session while we hold the client between statements (idle timeout,
    // restart, network): the next statement fails and the client is discarded. Without a
    // listener the client's 'error' event would crash the process.
    const lost = (err: Error) => (broken = err);
    client.on('error', lost);
    try {
      await client.query(this.begin);
      const result = await fn(executor(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A connection that cannot even roll back is not handed to anyone else.
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
