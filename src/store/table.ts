import { insertRowLater, later, type Executor, type SqlValue } from './database.ts';

/** A condition of a WHERE clause: an SQL fragment with `?` placeholders and its values. */
export type Condition = readonly [sql: string, ...params: SqlValue[]];

export interface ListQuery {
  where?: readonly Condition[];
  orderBy?: string;
  limit?: number;
  offset?: number;
}

/**
 * The few statements every resource table needs, written once. Rows are plain objects whose
 * keys are the column names; boolean columns (0/1 in storage) are converted on the way out.
 */
export class Table<R extends { sid: string }> {
  constructor(
    readonly name: string,
    private readonly booleans: readonly (keyof R & string)[] = [],
  ) {}

  decode(raw: Record<string, unknown>): R {
    const row: Record<string, unknown> = { ...raw };
    delete row.seq;
    for (const b of this.booleans) if (row[b] !== null && row[b] !== undefined) row[b] = Boolean(row[b]);
    return row as R;
  }

  async insert(db: Executor, row: R): Promise<void> {
    const cols = Object.keys(row);
    const values = cols.map((c) => (row as Record<string, SqlValue>)[c]);
    await db.run(`INSERT INTO ${this.name} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, values);
  }

  /** insert, deferred where the executor can (Executor.defer): for rows nobody reads back at once. */
  insertLater(db: Executor, row: R): Promise<void> {
    return insertRowLater(db, this.name, row as unknown as Record<string, SqlValue>);
  }

  /** update, deferred where the executor can: for a change whose count nobody needs. */
  async updateLater(db: Executor, sid: string, patch: Partial<R>): Promise<void> {
    const cols = Object.keys(patch).filter((c) => (patch as Record<string, unknown>)[c] !== undefined);
    if (cols.length === 0) return;
    const values = cols.map((c) => (patch as Record<string, SqlValue>)[c]);
    if (db.patchDeferred?.(this.name, sid, Object.fromEntries(cols.map((c, i) => [c, values[i]])))) return;
    await later(db, `UPDATE ${this.name} SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE sid = ?`, [...values, sid]);
  }

  async get(db: Executor, sid: string, ...where: Condition[]): Promise<R | undefined> {
    const rows = await this.list(db, { where: [['sid = ?', sid], ...where], limit: 1 });
    return rows[0];
  }

  async first(db: Executor, ...where: Condition[]): Promise<R | undefined> {
    const rows = await this.list(db, { where, limit: 1 });
    return rows[0];
  }

  async update(db: Executor, sid: string, patch: Partial<R>): Promise<number> {
    const cols = Object.keys(patch).filter((c) => (patch as Record<string, unknown>)[c] !== undefined);
    if (cols.length === 0) return 0;
    const values = cols.map((c) => (patch as Record<string, SqlValue>)[c]);
    return db.run(`UPDATE ${this.name} SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE sid = ?`, [...values, sid]);
  }

  async delete(db: Executor, ...where: Condition[]): Promise<number> {
    const { sql, params } = whereClause(where);
    return db.run(`DELETE FROM ${this.name}${sql}`, params);
  }

  async list(db: Executor, q: ListQuery = {}): Promise<R[]> {
    const { sql, params } = whereClause(q.where ?? []);
    let text = `SELECT * FROM ${this.name}${sql} ORDER BY ${q.orderBy ?? 'seq'}`;
    if (q.limit !== undefined) text += ` LIMIT ${Math.floor(q.limit)} OFFSET ${Math.floor(q.offset ?? 0)}`;
    const rows = await db.all<Record<string, unknown>>(text, params);
    return rows.map((r) => this.decode(r));
  }

  async count(db: Executor, ...where: Condition[]): Promise<number> {
    const { sql, params } = whereClause(where);
    const row = await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${this.name}${sql}`, params);
    return Number(row?.n ?? 0);
  }
}

function whereClause(where: readonly Condition[]): { sql: string; params: SqlValue[] } {
  if (where.length === 0) return { sql: '', params: [] };
  return {
    sql: ' WHERE ' + where.map(([s]) => `(${s})`).join(' AND '),
    params: where.flatMap(([, ...p]) => p),
  };
}
