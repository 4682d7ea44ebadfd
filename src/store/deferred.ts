import { deferredWriteFailed, type Executor, type SqlValue, type WriteMark } from './database.ts';

/** A statement ready to run: SQL with `?` placeholders and its values. */
export interface Statement {
  sql: string;
  params: readonly SqlValue[];
}

/** New rows waiting together: written as one multi-row INSERT per table and column list. */
class RowGroup {
  readonly rows = new Map<string, { table: string; row: Record<string, SqlValue> }>();
  /** Set when a savepoint comes after: rows are no longer patched in place past it. */
  closed = false;
}

/** The most rows one INSERT carries (SQLite allows 32,766 values a statement). */
const ROWS_PER_INSERT = 200;

/** SAVEPOINT, RELEASE and ROLLBACK TO: new rows never move across them. */
const BOUNDARY = /^\s*(SAVEPOINT|RELEASE|ROLLBACK)\b/i;

/**
 * The writes a transaction has deferred (Executor.defer), shared by both stores: statements in the
 * order they came, and new rows (Executor.deferRow) gathered so that a change's rows reach each
 * table in one multi-row INSERT, with any update of a row still waiting folded into it. New rows
 * are written where the first of their group was deferred: earlier than they came, which is safe
 * because nothing before them can refer to a row that did not exist yet. They never move across a
 * savepoint boundary, so rolling back to a savepoint still undoes exactly what followed it.
 */
export class DeferredWrites {
  private items: (Statement | RowGroup)[] = [];
  private open: RowGroup | null = null;
  /** How many times the writes were sent: a mark from before a flush can no longer be undone here. */
  private flushes = 0;

  get empty(): boolean {
    return this.items.length === 0;
  }

  statement(sql: string, params: readonly SqlValue[]) {
    this.items.push({ sql, params });
    if (BOUNDARY.test(sql)) this.close();
  }

  /** A new row; `key` tells it apart from the table's other rows (its sid unless given). */
  row(table: string, row: Record<string, SqlValue>, key = String(row.sid)) {
    if (!this.open) this.items.push((this.open = new RowGroup()));
    this.open.rows.set(`${table} ${key}`, { table, row: { ...row } });
  }

  /** Folds an update into a row still waiting since the last boundary; false when there is none. */
  patch(table: string, sid: string, patch: Record<string, SqlValue>): boolean {
    const waiting = this.open?.rows.get(`${table} ${sid}`);
    if (!waiting) return false;
    Object.assign(waiting.row, patch);
    return true;
  }

  mark(): WriteMark {
    // Rows deferred after a mark go in a group of their own, so that discard(mark) can drop them.
    this.close();
    return { flushes: this.flushes, waiting: this.items.length };
  }

  /** See Executor.discard. */
  discard(since?: WriteMark): boolean {
    const undone = since !== undefined && since.flushes === this.flushes;
    this.items.length = undone ? since.waiting : 0;
    this.close();
    return undone;
  }

  /** Takes what waits, as statements in the order they must run. */
  take(): Statement[] {
    const out: Statement[] = [];
    for (const item of this.items) {
      if (item instanceof RowGroup) out.push(...inserts(item));
      else out.push(item);
    }
    this.items = [];
    this.close();
    this.flushes++;
    return out;
  }

  private close() {
    if (this.open) this.open.closed = true;
    this.open = null;
  }
}

/** What an executor that defers writes adds to its statements (see Executor.defer). */
export type Deferring = Required<Pick<Executor, 'defer' | 'deferRow' | 'patchDeferred' | 'flush' | 'mark' | 'discard'>>;

/**
 * A transaction's deferred writes as Executor methods, for either store: `run` sends what waits,
 * in order, in the store's own way; a failure there is marked as a deferred write's (whose
 * writes they were is not known).
 */
export function deferring(run: (statements: Statement[]) => Promise<void>): Deferring {
  const waiting = new DeferredWrites();
  return {
    defer: async (sql, params = []) => waiting.statement(sql, params),
    deferRow: (table, row, key) => waiting.row(table, row, key),
    patchDeferred: (table, sid, patch) => waiting.patch(table, sid, patch),
    flush: async () => {
      if (waiting.empty) return;
      try {
        await run(waiting.take());
      } catch (err) {
        throw deferredWriteFailed(err);
      }
    },
    mark: () => waiting.mark(),
    discard: (since) => waiting.discard(since),
  };
}

/** A group's rows as INSERTs: one per table and column list, in the order the tables came. */
function inserts(group: RowGroup): Statement[] {
  const shapes: { table: string; cols: string[]; rows: Record<string, SqlValue>[] }[] = [];
  for (const { table, row } of group.rows.values()) {
    const cols = Object.keys(row);
    let shape = shapes.find((s) => s.table === table && sameColumns(s.cols, cols));
    if (!shape) shapes.push((shape = { table, cols, rows: [] }));
    shape.rows.push(row);
  }
  const out: Statement[] = [];
  for (const { table, cols, rows } of shapes) {
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const chunk = rows.length <= ROWS_PER_INSERT ? rows : rows.slice(i, i + ROWS_PER_INSERT);
      const params: SqlValue[] = [];
      for (const row of chunk) for (const c of cols) params.push(row[c]);
      out.push({ sql: insertSql(table, cols, chunk.length), params });
    }
  }
  return out;
}

function sameColumns(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The text of an INSERT of n rows, built once per shape and size (the same few recur). */
const insertTexts = new Map<string, string>();

function insertSql(table: string, cols: string[], n: number): string {
  const key = `${table}(${cols.join(',')})${n}`;
  let sql = insertTexts.get(key);
  if (!sql) {
    const tuple = `(${cols.map(() => '?').join(', ')})`;
    sql = `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${Array.from({ length: n }, () => tuple).join(', ')}`;
    if (insertTexts.size > 2000) insertTexts.clear();
    insertTexts.set(key, sql);
  }
  return sql;
}
