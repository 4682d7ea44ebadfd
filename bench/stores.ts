import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { StoreConfig } from '../src/store/open.ts';
import type { Backend } from './options.ts';

/**
 * The stores the bench runs on: a fresh, empty one per scenario (a SQLite file in a temporary
 * folder, or a PostgreSQL schema `sy_bench_…`), and read access to it from the bench itself, to
 * count what the servers wrote (reservations made by a drain; double reservations after a run).
 */

export const pgUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export function redact(url: string) {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** Null when PostgreSQL answers, else why not. */
export async function pgUnreachable(): Promise<string | null> {
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function pgVersion(): Promise<string | null> {
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    const r = await c.query<{ server_version: string }>('SHOW server_version');
    return r.rows[0].server_version;
  } catch {
    return null;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function pgAdmin(sql: string) {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A fresh, empty store for one scenario, and how to throw it away. */
export async function freshStore(backend: Backend): Promise<{ store: StoreConfig; dispose(): Promise<void> }> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
    return { store: { sqliteFile: join(dir, 'bench.db') }, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `sy_bench_${randomBytes(6).toString('hex')}`;
  await pgAdmin(`CREATE SCHEMA ${schema}`);
  return { store: { databaseUrl: pgUrl, schema }, dispose: () => pgAdmin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
}

/** Read-only queries on a scenario's store, with `?` placeholders on both engines. */
export interface StoreReader {
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export function readStore(store: StoreConfig): StoreReader {
  if (store.sqliteFile) {
    // WAL: this reader never blocks the server's writes.
    const db = new BetterSqlite3(store.sqliteFile, { readonly: true, fileMustExist: true });
    return {
      all: async <T>(sql: string, params: unknown[] = []) => db.prepare(sql).all(...(params as never[])) as T[],
      close: async () => void db.close(),
    };
  }
  const pool = new pg.Pool({ connectionString: store.databaseUrl, max: 1, options: `-c search_path=${store.schema}` });
  pool.on('error', () => undefined);
  return {
    async all<T>(sql: string, params: unknown[] = []) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      return (await pool.query(text, params)).rows as T[];
    },
    close: () => pool.end(),
  };
}
