import { deferredWriteFailed, type Executor, type Parents, type SqlValue, type Statement, type WriteMark } from './database.ts';

/** A statement deferred by a change (`gen`: see DeferredWrites.mark). */
interface Waiting extends Statement {
  gen: number;
}

/** New rows waiting together: written as one multi-row INSERT per table and column list. */
class RowGroup {
  readonly rows = new Map<string, { table: string; row: Record<string, SqlValue>; gen: number }>();
  /** Its tables, in the order their INSERTs go. */
  readonly tables: string[] = [];
  /** Tables that statements deferred after this group write: their new rows start a group of their own. */
  readonly passed = new Set<string>();
}

/** The most rows one INSERT carries (SQLite allows 32,766 values a statement). */
const ROWS_PER_INSERT = 200;

/** SAVEPOINT, RELEASE and ROLLBACK TO: new rows never move across them. */
const BOUNDARY = /^\s*(SAVEPOINT|RELEASE|ROLLBACK)\b/i;
/** A statement that only reads (FOR UPDATE takes locks, which a rollback of the whole transaction releases). */
const READS = /^\s*SELECT\b/i;
/** A write: its verb and the table it names. */
const WRITES = /^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([A-Za-z_][A-Za-z0-9_]*)/i;

/**
 * The writes a transaction has deferred (Executor.defer), shared by both stores: statements in the
 * order they came, and new rows (Executor.deferRow) gathered so that they reach each table in one
 * multi-row INSERT, with any update of a row still waiting folded into it. New rows are written
 * where the first of their group was deferred: earlier than they came, which is safe because
 * nothing before them can refer to a row that did not exist yet. A row never moves ahead of an
 * INSERT statement (it may refer to that row), of a statement that writes its table (a DELETE of
 * timers by task must not run after that task's new timer), nor across a savepoint boundary; and
 * the tables a change writes rows in are reached in the order it first wrote them (a reservation
 * after its task), whatever order earlier changes sharing the group gave.
 *
 * Rows of the several changes of one transaction (a group commit) share groups: a batch of eight
 * tasks writes its events in one INSERT. Each change's writes carry its generation (mark), so that
 * a change that fails before any of them was sent is dropped alone (discard).
 */
export class DeferredWrites {
  /** `parents`: the schema's foreign keys (Database.learnForeignKeys), which let more go ahead (canWritePast, statement). */
  constructor(private readonly parents?: Parents) {}

  private items: (Waiting | RowGroup)[] = [];
  private open: RowGroup | null = null;
  /** The current change's generation (mark() starts the next). */
  private gen = 0;
  /** The newest generation any sent write belonged to. */
  private sentGen = -1;
  /** The tables the current change put rows in since the open group opened, and the last of them in the group's order. */
  private readonly tablesOfChange = new Set<string>();
  private lastTable = -1;

  /** Tables that writes waiting insert into or update. */
  private readonly tables = new Set<string>();
  /** A statement waits that is neither an INSERT nor an UPDATE (a DELETE may cascade; BEGIN, a lock, a savepoint must go first). */
  private barrier = false;

  get empty(): boolean {
    return this.items.length === 0;
  }

  /**
   * Whether a read can run before what waits: it is a plain SELECT, everything waiting inserts or
   * updates (the schema has no triggers, views nor ON UPDATE actions: such a write changes its own
   * table only), and the read's text names none of those tables. Reads that can go ahead leave the
   * writes waiting, to merge with the next changes' rows.
   */
  canReadPast(sql: string): boolean {
    if (this.items.length === 0) return true;
    return !this.barrier && READS.test(sql) && !this.namesWaiting(sql);
  }

  /**
   * Whether a write run at once can go before what waits: an INSERT or UPDATE (a DELETE may cascade)
   * of a table nothing waits for, whose parents (`parents`: the tables its rows may refer to) nothing
   * waits for either, and whose text names no waiting table. Unknown tables never go ahead.
   */
  canWritePast(sql: string): boolean {
    if (this.items.length === 0) return true;
    const table = changedTable(sql);
    const up = table === null ? undefined : this.parents?.get(table);
    if (this.barrier || !up || this.tables.has(table!)) return false;
    for (const p of up) if (this.tables.has(p)) return false;
    return !this.namesWaiting(sql);
  }

  /** Whether a statement's text names a table that waiting writes insert into or update. */
  private namesWaiting(sql: string): boolean {
    const words = wordsOf(sql);
    for (const t of this.tables) if (words.has(t)) return true;
    return false;
  }

  statement(sql: string, params: readonly SqlValue[]) {
    const write = WRITES.exec(sql);
    const table = write ? write[2].toLowerCase() : null;
    this.wait(sql);
    this.items.push({ sql, params, gen: this.gen });
    const insert = write?.[1].toUpperCase().startsWith('INSERT');
    if (BOUNDARY.test(sql) || (insert && !this.parents)) this.close();
    else if (table && this.open) {
      // New rows deferred after this statement must not move ahead of it when they are of a table it
      // names (writes, or reads in a subquery), or of a table whose rows may refer to its table's
      // (after an INSERT they may refer to its row; a DELETE may cascade to them).
      for (const word of wordsOf(sql)) this.open.passed.add(word);
      if (this.parents && !/^UPDATE/i.test(write![1])) for (const child of childrenOf(this.parents, table)) this.open.passed.add(child);
    }
  }

  /** A new row; `key` tells it apart from the table's other rows (its sid unless given). */
  row(table: string, row: Record<string, SqlValue>, key = String(row.sid)) {
    const first = !this.tablesOfChange.has(table);
    let at = this.open ? this.open.tables.indexOf(table) : -1;
    // A table the change had not written yet, placed before one it has: its rows would go first.
    if (this.open && (this.open.passed.has(table) || (first && at !== -1 && at < this.lastTable))) {
      this.close();
      at = -1;
    }
    if (!this.open) this.items.push((this.open = new RowGroup()));
    if (at === -1) at = this.open.tables.push(table) - 1;
    if (!this.tablesOfChange.has(table)) {
      this.tablesOfChange.add(table);
      this.lastTable = at;
    }
    this.open.rows.set(`${table} ${key}`, { table, row: { ...row }, gen: this.gen });
    this.tables.add(table.toLowerCase());
  }

  /** Folds an update into a row the current change deferred and that still waits; false when there is none. */
  patch(table: string, sid: string, patch: Record<string, SqlValue>): boolean {
    const waiting = this.open?.rows.get(`${table} ${sid}`);
    if (!waiting || waiting.gen !== this.gen) return false;
    Object.assign(waiting.row, patch);
    return true;
  }

  /** A statement run at once, not deferred: unless it only reads, the current change wrote. */
  ran(sql: string) {
    if (!READS.test(sql)) this.sentGen = this.gen;
  }

  /** Starts the next change: what is deferred from now on can be dropped by discard(mark). */
  mark(): WriteMark {
    this.tablesOfChange.clear();
    this.lastTable = -1;
    return { gen: ++this.gen };
  }

  /** See Executor.discard. */
  discard(since?: WriteMark): boolean {
    const undone = since !== undefined && this.sentGen < since.gen;
    if (!undone) this.items = [];
    else {
      this.items = this.items.filter((item) => {
        if (!(item instanceof RowGroup)) return item.gen < since.gen;
        for (const [key, r] of item.rows) if (r.gen >= since.gen) item.rows.delete(key);
        return item.rows.size > 0;
      });
    }
    this.close();
    this.recount();
    return undone;
  }

  /** Takes what waits, as statements in the order they must run. */
  take(): Statement[] {
    const out: Statement[] = [];
    for (const item of this.items) {
      if (item instanceof RowGroup) {
        out.push(...inserts(item));
        for (const r of item.rows.values()) this.sentGen = Math.max(this.sentGen, r.gen);
      } else {
        out.push({ sql: item.sql, params: item.params });
        this.sentGen = Math.max(this.sentGen, item.gen);
      }
    }
    this.items = [];
    this.close();
    this.recount();
    return out;
  }

  /** A statement now waits: its table, or a barrier (see `barrier`). */
  private wait(sql: string) {
    const table = changedTable(sql);
    if (table === null) this.barrier = true;
    else this.tables.add(table);
  }

  /** The waiting tables and barrier, from the items left. */
  private recount() {
    this.tables.clear();
    this.barrier = false;
    for (const item of this.items) {
      if (item instanceof RowGroup) for (const t of item.tables) this.tables.add(t.toLowerCase());
      else this.wait(item.sql);
    }
  }

  private close() {
    this.open = null;
    this.tablesOfChange.clear();
    this.lastTable = -1;
  }
}

/** What an executor that defers writes adds to its statements (see Executor.defer). */
export type Deferring = Required<Pick<Executor, 'defer' | 'deferRow' | 'patchDeferred' | 'flush' | 'mark' | 'discard'>>;

/**
 * A transaction's deferred writes as Executor methods, for either store: `run` sends what waits,
 * in order, in the store's own way; a failure there is marked as a deferred write's (whose
 * writes they were is not known). `before(sql)` goes before each statement the executor runs at
 * once: it sends what waits, and counts the statement as one of the current change's writes
 * unless it is a plain SELECT.
 */
export function deferring(
  run: (statements: Statement[]) => Promise<void>,
  /** The schema's foreign keys (Database.learnForeignKeys): without them a write run at once sends what waits first. */
  parents?: Parents,
): {
  methods: Deferring;
  before(sql: string): Promise<void>;
  /** What waits, taken to be sent together with `sql` by the caller (which marks a failure there as a deferred write's). */
  ahead(sql: string): Statement[];
} {
  const waiting = new DeferredWrites(parents);
  const goesAhead = (sql: string) => waiting.canReadPast(sql) || waiting.canWritePast(sql);
  const flush = async () => {
    if (waiting.empty) return;
    try {
      await run(waiting.take());
    } catch (err) {
      throw deferredWriteFailed(err);
    }
  };
  return {
    methods: {
      defer: async (sql, params = []) => waiting.statement(sql, params),
      deferRow: (table, row, key) => waiting.row(table, row, key),
      patchDeferred: (table, sid, patch) => waiting.patch(table, sid, patch),
      flush,
      mark: () => waiting.mark(),
      discard: (since) => waiting.discard(since),
    },
    before: async (sql) => {
      if (!goesAhead(sql)) await flush();
      waiting.ran(sql);
    },
    ahead: (sql) => {
      const statements = goesAhead(sql) ? [] : waiting.take();
      waiting.ran(sql);
      return statements;
    },
  };
}

/** Parents from (child, parent) rows, a row per table at least (parent null: it refers to nothing). */
export function parentsOf(rows: readonly { child: string; parent: string | null }[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const { child, parent } of rows) {
    let set = out.get(child.toLowerCase());
    if (!set) out.set(child.toLowerCase(), (set = new Set()));
    if (parent) set.add(parent.toLowerCase());
  }
  return out;
}

/** The tables that refer to `table` (whose rows may name one of its rows), kept per schema. */
const childrenBySchema = new WeakMap<Parents, Map<string, string[]>>();

function childrenOf(parents: Parents, table: string): string[] {
  let children = childrenBySchema.get(parents);
  if (!children) {
    children = new Map();
    for (const [child, ups] of parents) for (const up of ups) children.set(up, [...(children.get(up) ?? []), child]);
    childrenBySchema.set(parents, children);
  }
  return children.get(table) ?? [];
}

/** The table an INSERT or UPDATE changes (and only it: no triggers, no ON UPDATE actions); null for anything else. */
function changedTable(sql: string): string | null {
  const write = WRITES.exec(sql);
  return write && !/^DELETE/i.test(write[1]) ? write[2].toLowerCase() : null;
}

/** The lower-case words of a statement's text, kept per text (the same few recur). */
const wordSets = new Map<string, Set<string>>();

function wordsOf(sql: string): Set<string> {
  let words = wordSets.get(sql);
  if (!words) {
    words = new Set((sql.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []).map((w) => w.toLowerCase()));
    if (wordSets.size > 2000) wordSets.clear();
    wordSets.set(sql, words);
  }
  return words;
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
  if (group.tables.length > 1) shapes.sort((a, b) => group.tables.indexOf(a.table) - group.tables.indexOf(b.table));
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
