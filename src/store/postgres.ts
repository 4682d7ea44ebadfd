import pg from 'pg';
import { deferring, parentsOf } from './deferred.ts';
import { deferredWriteFailed, later, type Database, type Executor, type Parents, type Row, type SqlValue, type Statement } from './database.ts';

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

/**
 * Statements run again and again are prepared once per connection (named statements), which spares
 * PostgreSQL parsing and planning them on every call: with several nodes on one database, its CPU
 * is what they all share. Only plain DML, from a text's second use, and at most MAX_PREPARED texts,
 * so that SQL built with varying numbers (LIMIT, IN lists) cannot grow every connection's cache
 * without end.
 */
const MAX_PREPARED = 500;
const DML = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i;
const seen = new Set<string>();
const names = new Map<string, string>();

function statementName(sql: string): string | undefined {
  let name = names.get(sql);
  if (name !== undefined || names.size >= MAX_PREPARED || !DML.test(sql)) return name;
  if (!seen.has(sql)) {
    if (seen.size >= 10_000) seen.clear();
    seen.add(sql);
    return undefined;
  }
  seen.delete(sql);
  name = `sy_${names.size}`;
  names.set(sql, name);
  return name;
}

/**
 * A prepared statement the server does not have, or has twice (a pooler such as PgBouncer in
 * transaction mode moved us to another server session), or whose result changed shape (a newer
 * node altered a table): run it unprepared, and stop preparing in the first two cases.
 */
function preparedTrouble(err: unknown): 'lost' | 'stale' | null {
  const e = err as { code?: string; message?: string };
  if (e?.code === '26000' || e?.code === '42P05') return 'lost';
  if (e?.code === '0A000' && /cached plan/i.test(e.message ?? '')) return 'stale';
  return null;
}

interface Preparing {
  prepare: boolean;
  /** See Database.learnForeignKeys. */
  parents?: Parents;
}

/**
 * A statement with its values written in as literals, for the writes sent together in one simple
 * query (see Executor.defer). Placeholders are `?` outside quoted text.
 */
function inline(sql: string, params: readonly SqlValue[]): string {
  // Native scans (indexOf, slice), not a loop over characters: a batch's multi-row INSERTs are
  // long, and a character loop was a third of the server's CPU on PostgreSQL.
  const out: string[] = [];
  let n = 0;
  let from = 0;
  let quote = sql.indexOf("'");
  for (let at = sql.indexOf('?'); at !== -1; at = sql.indexOf('?', at)) {
    if (quote !== -1 && quote < at) {
      // Skip the quoted text; a doubled quote inside it just starts the next quoted run.
      const end = sql.indexOf("'", quote + 1);
      if (end === -1) break;
      at = end + 1;
      quote = sql.indexOf("'", at);
      continue;
    }
    out.push(sql.slice(from, at), literal(params[n++]));
    from = ++at;
  }
  out.push(sql.slice(from));
  if (n !== params.length) throw new Error(`${params.length} values for ${n} placeholders`);
  return out.join('');
}

function literal(v: SqlValue | undefined): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`not a finite number for a deferred statement: ${v}`);
    return String(v);
  }
  // Most values hold neither quote nor backslash, and mean the same in any string literal.
  if (!v.includes("'") && !v.includes('\\')) return `'${v}'`;
  // An escape string means the same whatever standard_conforming_strings says; one native replace
  // doubles its quotes and backslashes (the driver's escapeLiteral loops over characters).
  return ` E'${v.replace(/['\\]/g, '$&$&')}'`;
}

/** `retry`: outside a transaction a statement that failed for want of its preparation can run again. */
function executor(q: pg.Pool | pg.PoolClient, owner: Preparing, retry: boolean): Executor {
  // Writes deferred in a transaction (q is its client), sent together, in one simple query, before anything else.
  const script = (statements: readonly Statement[]) => statements.map((s) => inline(s.sql, s.params)).join(';\n');
  const deferred = deferring(async (statements) => {
    await q.query(script(statements));
  }, owner.parents);
  // A script's results: the last `n` (its own statements come after what waited ahead of them).
  const last = async (text: string, n: number): Promise<pg.QueryResult[]> => {
    const got = (await q.query(text)) as unknown as pg.QueryResult | pg.QueryResult[];
    return Array.isArray(got) ? got.slice(got.length - n) : [got];
  };
  const query = async (sql: string, params: readonly SqlValue[] = []): Promise<pg.QueryResult> => {
    const ahead = deferred.ahead(sql);
    // What waits and this statement go in one simple query: one round trip, not two.
    if (ahead.length > 0) {
      let text: string | undefined;
      try {
        text = script([...ahead, { sql, params }]);
      } catch {
        // A value that cannot be written as a literal: the statement goes on its own after what waits.
      }
      try {
        if (text !== undefined) return (await last(text, 1))[0];
        await q.query(script(ahead));
      } catch (err) {
        throw deferredWriteFailed(err);
      }
    }
    const text = toPg(sql);
    const values = toParams(params);
    const name = owner.prepare ? statementName(sql) : undefined;
    if (name === undefined) return q.query(text, values);
    try {
      return await q.query({ name, text, values });
    } catch (err) {
      const trouble = preparedTrouble(err);
      if (trouble === 'lost') owner.prepare = false;
      if (!trouble || !retry) throw err;
      // The pool discarded the connection that failed; another runs it unprepared.
      return q.query(text, values);
    }
  };
  const exec: Executor = {
    all: async <T>(sql: string, params?: readonly SqlValue[]) => (await query(sql, params)).rows as T[],
    get: async <T>(sql: string, params?: readonly SqlValue[]) => (await query(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params?: readonly SqlValue[]) => (await query(sql, params)).rowCount ?? 0,
  };
  if (q instanceof pg.Pool) return exec;
  // Reads sent together, with what waits ahead of them, in one simple query: one round trip.
  const allMany = async (statements: readonly Statement[]): Promise<Row[][]> => {
    let text: string;
    try {
      text = script(statements);
    } catch {
      // A value that cannot be written as a literal: one after another.
      const out: Row[][] = [];
      for (const s of statements) out.push((await query(s.sql, s.params)).rows);
      return out;
    }
    const ahead = deferred.ahead(statements.map((s) => s.sql).join(';\n'));
    try {
      const results = await last(ahead.length > 0 ? `${script(ahead)};\n${text}` : text, statements.length);
      return results.map((r) => r.rows as Row[]);
    } catch (err) {
      throw ahead.length > 0 ? deferredWriteFailed(err) : err;
    }
  };
  return { ...exec, ...deferred.methods, allMany };
}

/** Where the store reports failures it recovers from: pino's shape, so the server's logger fits. */
export interface StoreLog {
  error(obj: object, msg: string): void;
}

export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  readonly forUpdate = ' FOR UPDATE';
  readonly seqsCommitInOrder = false;
  private readonly pool: pg.Pool;
  private readonly direct: Executor;
  private readonly begin: string;
  /** Whether statements are prepared (see statementName); off by itself when a pooler loses them. */
  prepare: boolean;
  /** See learnForeignKeys. */
  parents: Parents | undefined;

  /**
   * `schema`, when given, isolates this database in its own search_path (used by tests).
   * `idleInTransactionMs`: how long PostgreSQL lets a session sit idle inside a transaction before
   * ending it. A node that freezes mid-transaction (stopped, paused VM, blocked event loop) would
   * otherwise hold its workspace's routing lock, and stall that workspace on every node, forever.
   * `prepare: false` never prepares statements (see statementName).
   * `log` hears of idle connections lost (default: the console).
   */
  constructor(
    connectionString: string,
    options: { schema?: string; max?: number; idleInTransactionMs?: number; prepare?: boolean; log?: StoreLog } = {},
  ) {
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
    // An idle client losing its connection (a restart, a network cut, an administrator) must not
    // crash the server: the pool drops it and connects anew when needed. It is worth knowing, though.
    const log = options.log ?? console;
    this.pool.on('error', (err: Error & { code?: string }) =>
      log.error({ code: err.code, reason: err.message }, 'PostgreSQL: an idle pooled connection failed; the pool dropped it'),
    );
    this.prepare = options.prepare ?? true;
    this.direct = executor(this.pool, this, true);
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

  async learnForeignKeys(): Promise<void> {
    const rows = await this.direct.all<{ child: string; parent: string | null }>(
      `SELECT c.relname AS child, p.relname AS parent FROM pg_class c
         LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f' LEFT JOIN pg_class p ON p.oid = k.confrelid
        WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace`,
    );
    this.parents = parentsOf(rows);
  }

  /** Taken with the transaction's next statement (deferred): whatever comes next runs under it. */
  async lock(tx: Executor, key: string, mode: 'shared' | 'exclusive' = 'exclusive'): Promise<void> {
    await later(tx, `SELECT pg_advisory_xact_lock${mode === 'shared' ? '_shared' : ''}(hashtext(?))`, [key]);
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
      const tx = executor(client, this, false);
      // BEGIN goes with the transaction's first statement (see executor): one round trip fewer.
      await tx.defer!(this.begin);
      const result = await fn(tx);
      // The last writes and the COMMIT go in one round trip.
      await tx.defer!('COMMIT');
      await tx.flush!();
      return result;
    } catch (err) {
      // A connection that cannot even roll back is not handed to anyone else, nor one whose
      // prepared statements went wrong.
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      if (preparedTrouble(err)) broken ??= err as Error;
      throw err;
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  /** The pool's clients: open, idle, and callers waiting for one (/metrics). */
  poolStats(): { total: number; idle: number; waiting: number; max: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount, max: this.pool.options.max ?? 10 };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
