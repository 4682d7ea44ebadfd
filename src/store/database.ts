/**
 * The storage contract. Every query in the project is written once, in portable SQL with `?`
 * placeholders; the two implementations (SQLite, PostgreSQL) differ only in how they run it.
 */
export type SqlValue = string | number | boolean | null;
export type Row = Record<string, unknown>;

/** A statement ready to run: SQL with `?` placeholders and its values. */
export interface Statement {
  sql: string;
  params: readonly SqlValue[];
}

export interface Executor {
  all<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * A write whose answer nobody needs, run before this executor's next statement or the end of its
   * transaction, whichever comes first; a failure surfaces there. PostgreSQL sends the writes that
   * wait this way together, in one round trip; SQLite, and any executor outside a transaction, runs
   * it at once.
   */
  defer?(sql: string, params?: readonly SqlValue[]): Promise<void>;
  /**
   * A new row whose insert nobody needs answered, deferred like `defer` where the executor can:
   * the rows a change defers reach each table in one multi-row INSERT (see store/deferred.ts).
   */
  deferRow?(table: string, row: Record<string, SqlValue>, key?: string): void;
  /** Folds an update into a row deferred by deferRow that still waits; false when there is none. */
  patchDeferred?(table: string, sid: string, patch: Record<string, SqlValue>): boolean;
  /** Reads sent together, each statement's rows in order: on PostgreSQL one round trip (see readTogether). */
  allMany?(statements: readonly Statement[]): Promise<Row[][]>;
  /** Runs the writes still waiting (see defer). */
  flush?(): Promise<void>;
  /** Starts a change: the writes deferred from now on are its own, for `discard(since)`. */
  mark?(): WriteMark;
  /**
   * Drops deferred writes that belong to a change being rolled back. With `since`: when none of the
   * writes deferred since that mark was sent yet, drops just those and returns true (nothing of them
   * reached the database); otherwise drops all that wait and returns false.
   */
  discard?(since?: WriteMark): boolean;
}

/** A position among an executor's deferred writes (see Executor.mark). */
export interface WriteMark {
  readonly gen: number;
}

const deferredFailures = new WeakSet<object>();

/** Marks an error as the failure of deferred writes: whose writes they were is not known. */
export function deferredWriteFailed(err: unknown): unknown {
  if (typeof err === 'object' && err !== null) deferredFailures.add(err);
  return err;
}

export function isDeferredWriteFailure(err: unknown): boolean {
  return typeof err === 'object' && err !== null && deferredFailures.has(err);
}

/** A write whose answer is not needed: deferred where the executor can (see Executor.defer). */
export async function later(tx: Executor, sql: string, params: readonly SqlValue[] = []): Promise<void> {
  if (tx.defer) await tx.defer(sql, params);
  else await tx.run(sql, params);
}

let unnamed = 0;

/**
 * A new row whose insert nobody needs answered: deferred where the executor can (Executor.deferRow:
 * a batch's rows of a table go in one INSERT), else run. `key` tells it apart from the table's
 * other waiting rows: its sid by default; a row without one gets a serial.
 */
export async function insertRowLater(tx: Executor, table: string, row: Record<string, SqlValue>, key?: string): Promise<void> {
  if (tx.deferRow) return tx.deferRow(table, row, key ?? (row.sid != null ? String(row.sid) : `#${++unnamed}`));
  const cols = Object.keys(row);
  await later(tx, `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols.map((c) => row[c]));
}

/**
 * Several reads whose texts do not depend on each other's answers: one round trip where the
 * executor can send them together (a PostgreSQL transaction), one after another elsewhere.
 */
export async function readTogether(tx: Executor, statements: readonly Statement[]): Promise<Row[][]> {
  if (tx.allMany && statements.length > 1) return tx.allMany(statements);
  const out: Row[][] = [];
  for (const s of statements) out.push(await tx.all(s.sql, s.params));
  return out;
}

/** Each table's foreign-key parents: the tables its rows refer to (see Database.learnForeignKeys). */
export type Parents = ReadonlyMap<string, ReadonlySet<string>>;

export interface Database extends Executor {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Reads which table refers to which from the schema (after migrations): a write run at once may
   * then go ahead of deferred writes it cannot depend on (store/deferred.ts). Until it is called,
   * every such write sends what waits first.
   */
  learnForeignKeys(): Promise<void>;
  /**
   * Takes a lock on `key` until the end of the transaction: exclusive, or shared with other shared
   * holders, at the latest with the transaction's next statement (everything the transaction reads
   * or writes after the call runs under it). PostgreSQL takes an advisory lock, deferred like a
   * write; SQLite runs one write transaction at a time, so there is nothing to take.
   */
  lock(tx: Executor, key: string, mode?: 'shared' | 'exclusive'): Promise<void>;
  /** What a SELECT ends with to lock the rows it reads until the end of the transaction ('' where nothing runs beside it). */
  readonly forUpdate: string;
  /**
   * Whether rows of an auto-increment table become visible in seq order. Not on PostgreSQL: a seq is
   * taken before its transaction commits, so a reader past a cursor must not pass a gap unchecked.
   */
  readonly seqsCommitInOrder: boolean;
  /** Runs fn atomically: all of its writes land, or none do. */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Unique-constraint violations look different per engine; the services only need to know it happened. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function isForeignKeyViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23503' || e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
