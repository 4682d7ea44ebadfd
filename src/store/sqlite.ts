import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database, Executor, SqlValue } from './database.ts';

const toParam = (v: SqlValue) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

/**
 * SQLite through better-sqlite3: synchronous calls on one connection. Because an async
 * transaction may yield mid-way, all work is serialised through a promise chain so that no
 * statement from elsewhere ever lands inside someone else's transaction.
 */
export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  private readonly db: BetterSqlite3.Database;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private queue: Promise<unknown> = Promise.resolve();
  private inTransaction = false;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new BetterSqlite3(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
  }

  private stmt(sql: string): BetterSqlite3.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private direct: Executor = {
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => this.stmt(sql).all(...params.map(toParam)) as T[],
    get: async <T>(sql: string, params: readonly SqlValue[] = []) => this.stmt(sql).get(...params.map(toParam)) as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []) => this.stmt(sql).run(...params.map(toParam)).changes,
  };

  /** Statements outside a transaction run at once unless a transaction holds the connection. */
  private whenFree<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.inTransaction) return fn();
    return this.serialise(fn);
  }

  private serialise<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.queue.then(fn, fn);
    this.queue = result.catch(() => undefined);
    return result;
  }

  all<T>(sql: string, params?: readonly SqlValue[]) {
    return this.whenFree(() => this.direct.all<T>(sql, params));
  }
  get<T>(sql: string, params?: readonly SqlValue[]) {
    return this.whenFree(() => this.direct.get<T>(sql, params));
  }
  run(sql: string, params?: readonly SqlValue[]) {
    return this.whenFree(() => this.direct.run(sql, params));
  }

  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    return this.serialise(async () => {
      this.inTransaction = true;
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.direct);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        this.db.exec('ROLLBACK');
        throw err;
      } finally {
        this.inTransaction = false;
      }
    });
  }

  async close(): Promise<void> {
    await this.queue;
    this.db.close();
  }
}
