import { join } from 'node:path';
import type { Database } from './database.ts';
import { migrate } from './migrations.ts';
import { PostgresDatabase, type StoreLog } from './postgres.ts';
import { SqliteDatabase } from './sqlite.ts';

export interface StoreConfig {
  /** PostgreSQL connection string; when absent, the embedded SQLite file is used. */
  databaseUrl?: string;
  /** PostgreSQL schema to use (tests isolate themselves this way). */
  schema?: string;
  /** SQLite file path; defaults to ./data/switchyard.db */
  sqliteFile?: string;
  /** Where the store reports failures it recovers from (default: the console). */
  log?: StoreLog;
}

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(config: StoreConfig = {}): Promise<Database> {
  const db: Database = config.databaseUrl
    ? new PostgresDatabase(config.databaseUrl, { schema: config.schema, log: config.log })
    : new SqliteDatabase(config.sqliteFile ?? join(process.cwd(), 'data', 'switchyard.db'));
  await migrate(db);
  await db.learnForeignKeys();
  return db;
}
