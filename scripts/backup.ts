/**
 * An online backup of the SQLite store the server uses (SQLITE_FILE, by default data/switchyard.db),
 * safe while the server runs:
 *
 *   npm run backup -- backups/switchyard-2026-01-15.db
 *
 * FILE must not exist. The copy is taken through SQLite's backup API (see src/store/backup.ts),
 * checked, and is one self-contained file: restore it by starting a server with SQLITE_FILE=FILE
 * (or by copying it over the store while no server runs, after removing the store's -wal and -shm).
 * A PostgreSQL store (DATABASE_URL) is backed up with pg_dump instead: README.md, Backup and restore.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configOrExit } from '../src/config.ts';
import { backupSqlite, BackupError } from '../src/store/backup.ts';

const USAGE = 'usage: npm run backup -- FILE   (copies the SQLite store, SQLITE_FILE or data/switchyard.db, to the new file FILE)';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const [file] = parsed.positionals;
  const config = configOrExit();
  if (config.databaseUrl) {
    const schema = config.schema ? ` --schema=${config.schema}` : '';
    console.error('DATABASE_URL is set: the store is PostgreSQL, which this command does not copy. Use pg_dump (README.md, Backup and restore):');
    console.error(`  pg_dump --format=custom${schema} --file=${file} "$DATABASE_URL"`);
    return 2;
  }
  // Where openDatabase puts it when SQLITE_FILE is unset.
  const source = config.sqliteFile ?? join(process.cwd(), 'data', 'switchyard.db');
  try {
    const { pages, bytes } = await backupSqlite(source, file);
    console.log(`Backed up ${source} to ${file}: ${pages} pages, ${(bytes / 1_048_576).toFixed(1)} MB, integrity ok`);
    return 0;
  } catch (err) {
    const e = err as Error & { code?: string };
    if (!(err instanceof BackupError) && e.code === undefined) throw err;
    console.error(`backup failed: ${e.message}${e.code ? ` (${e.code})` : ''}`);
    return 1;
  }
}

process.exitCode = await main();
