import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { configOrExit } from '../config.ts';
import { backupSqlite, BackupError } from './backup.ts';

const USAGE = 'usage: npm run backup -- FILE   (copies the SQLite store, SQLITE_FILE or data/switchyard.db, to the new file FILE)';

/**
 * `npm run backup -- FILE`: an online backup of the SQLite store the server uses, configured by the
 * same environment as the server. In src/ (not only scripts/) so that it is compiled with the server
 * and runs where only dist/ is installed. Answers the exit status: 0 done, 1 failed, 2 usage or
 * configuration (and a PostgreSQL store, which pg_dump backs up).
 */
export async function backupCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
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
  const config = configOrExit(env);
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
    // Our own bugs keep their stack; what the operator can act on is one line.
    if (!(err instanceof BackupError) && e.code === undefined) throw err;
    console.error(`backup failed: ${e.message}${e.code ? ` (${e.code})` : ''}`);
    return 1;
  }
}

// Run as a program where only the compiled dist/ is installed (no tsx): node dist/store/backup-command.js FILE.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await backupCommand(process.argv.slice(2));
