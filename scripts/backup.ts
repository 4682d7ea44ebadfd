/**
 * An online backup of the SQLite store the server uses (SQLITE_FILE, by default data/switchyard.db),
 * safe while the server runs:
 *
 *   npm run backup -- backups/switchyard-2026-01-15.db
 *
 * FILE must not exist. The copy is taken through SQLite's backup API (src/store/backup.ts), checked,
 * and is one self-contained file (restore: README.md, Backup and restore). A PostgreSQL store
 * (DATABASE_URL) is backed up with pg_dump instead. The command itself: src/store/backup-command.ts.
 */
import { backupCommand } from '../src/store/backup-command.ts';

process.exitCode = await backupCommand(process.argv.slice(2));
