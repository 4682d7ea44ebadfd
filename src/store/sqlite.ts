import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Database, Executor, Parents, SqlValue } from './database.ts';
import { deferring, parentsOf, type Deferring } from './deferred.ts';

const toParam = (v: SqlValue) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

/**
 * SQLite through better-sqlite3: synchronous calls on one connection. Because an async
 * transaction may yield mid-way, all work is serialised through a promise chain so that no
 * statement from elsewhere ever lands inside someone else's transaction.
 */
export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  readonly forUpdate = '';
  readonly seqsCommitInOrder = true;
  private readonly db: BetterSqlite3.Database;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private queue: Promise<unknown> = Promise.resolve();
  private inTransaction = false;
  private readonly checkpointer: Checkpointer | null;
  private parents: Parents | undefined;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new BetterSqlite3(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Checkpoints (copying the WAL into the database, with its fsync) run on a thread of their own:
    // in the committing thread they stalled every request behind them.
    this.checkpointer = file === ':memory:' ? null : new Checkpointer(file);
    if (this.checkpointer) this.db.pragma('wal_autocheckpoint = 0');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('cache_size = -65536');
    // A WAL that started over is cut back to this size (it keeps its longest length otherwise).
    this.db.pragma('journal_size_limit = 134217728');
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

  /**
   * A transaction's executor: statements run at once, as on `direct`, but deferred writes wait
   * until the next statement or the commit, so that a change's new rows go in one multi-row INSERT
   * per table and its updates of them fold into the insert (store/deferred.ts).
   */
  private transactional(): Executor & Deferring {
    const { methods, before } = deferring(async (statements) => {
      for (const s of statements) this.stmt(s.sql).run(...s.params.map(toParam));
    }, this.parents);
    return {
      ...methods,
      all: async (sql, params) => (await before(sql), this.direct.all(sql, params)),
      get: async (sql, params) => (await before(sql), this.direct.get(sql, params)),
      run: async (sql, params) => (await before(sql), this.direct.run(sql, params)),
    };
  }

  async learnForeignKeys(): Promise<void> {
    const rows = this.db
      .prepare("SELECT m.name AS child, f.\"table\" AS parent FROM sqlite_master m LEFT JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'")
      .all() as { child: string; parent: string | null }[];
    this.parents = parentsOf(rows);
  }

  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    return this.serialise(async () => {
      this.inTransaction = true;
      try {
        await this.begin();
        try {
          const tx = this.transactional();
          const result = await fn(tx);
          await tx.flush();
          this.stmt('COMMIT').run();
          return result;
        } catch (err) {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
          throw err;
        }
      } finally {
        this.inTransaction = false;
      }
    });
  }

  /**
   * Takes the write lock without blocking the event loop: another connection to the same file
   * (another process, or another store in this one) may hold it, and a blocking wait here would
   * stop that holder from ever finishing when it lives in this process.
   */
  private async begin(): Promise<void> {
    const deadline = Date.now() + 10_000;
    // Prepared once (stmt): db.pragma and db.exec parse their SQL on every call, twice per transaction.
    this.stmt('PRAGMA busy_timeout = 0').get();
    try {
      // Short waits: what holds the lock is mostly the checkpoint thread's RESTART, done in milliseconds.
      for (let wait = 1; ; wait = Math.min(wait * 2, 2)) {
        try {
          this.stmt('BEGIN IMMEDIATE').run();
          return;
        } catch (err) {
          if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, wait));
        }
      }
    } finally {
      this.stmt('PRAGMA busy_timeout = 5000').get();
    }
  }

  /** One write transaction at a time already: nothing to take. */
  async lock(): Promise<void> {}

  async close(): Promise<void> {
    await this.queue;
    await this.checkpointer?.close();
    this.db.close();
  }
}

/** How often the checkpoint thread copies the WAL into the database. */
const CHECKPOINT_MS = 500;
/**
 * A WAL longer than this (frames of 4 KiB: 128 MiB) is checkpointed in RESTART mode. A PASSIVE
 * checkpoint never catches up with a writer that commits every millisecond, and the WAL starts
 * over only once all of it was copied: under steady load it grew without end (600 MB beside a
 * 38 MB database in a minute of the bench), and every commit appended to a longer file. RESTART
 * holds new writers back for the few milliseconds it takes (the main connection's BEGIN waits
 * without blocking its thread, see begin), so the next transaction starts the WAL over.
 */
const RESTART_FRAMES = 32768;

/**
 * A worker thread with its own connection that checkpoints the WAL in PASSIVE mode (never blocking
 * writers or readers). The main connection's automatic checkpoints are off while it runs.
 */
class Checkpointer {
  private readonly worker: Worker;

  constructor(file: string) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(CHECKPOINT_SOURCE, { eval: true, workerData: { file, driver, intervalMs: CHECKPOINT_MS, restartFrames: RESTART_FRAMES } });
    this.worker.unref();
    // A checkpoint thread that fails leaves the WAL growing, not the data at risk: the main
    // connection takes checkpoints back.
    this.worker.on('error', () => undefined);
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref(); // the process waits for its last checkpoint
    this.worker.postMessage('close');
    await exited;
  }
}

const CHECKPOINT_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    if (r && r.log > workerData.restartFrames) db.pragma('wal_checkpoint(RESTART)');
  } catch {}
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;
