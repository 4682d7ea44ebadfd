import BetterSqlite3 from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A backup refused or failed for a reason the operator can act on: its message is the whole story. */
export class BackupError extends Error {
  override name = 'BackupError';
}

export interface BackupResult {
  pages: number;
  bytes: number;
}

/** All remaining pages in one step (better-sqlite3's largest): see why in backupSqlite. */
const ALL_PAGES = 0x7fffffff;

/**
 * Copies the SQLite store at `source` to the new file `destination` through SQLite's online backup
 * API, on a connection of its own, so it is safe while a server uses the store:
 * - What is committed in the WAL is copied too (a `cp` of the main file misses it).
 * - The pages are copied in one step, which reads one snapshot: a writer never blocks it (WAL
 *   readers do not wait for writers), and a write between steps cannot make it start over and
 *   over, as a copy in small steps would under steady writes.
 * - It is written to `destination.partial`, checked (integrity_check) and switched to rollback
 *   journal mode, so it is one self-contained file; only then is it renamed to `destination`.
 * An existing `destination` is never overwritten.
 */
export async function backupSqlite(source: string, destination: string): Promise<BackupResult> {
  if (source === ':memory:') throw new BackupError('SQLITE_FILE is :memory:: that store lives in the server process only, there is nothing on disk to back up');
  if (existsSync(destination)) throw new BackupError(`${destination} exists already: a backup never overwrites a file, name a new one`);
  if (resolve(source) === resolve(destination)) throw new BackupError('the destination is the store itself');
  const stat = statSync(source, { throwIfNoEntry: false });
  if (!stat?.isFile()) throw new BackupError(`no SQLite store at ${source} (SQLITE_FILE; by default data/switchyard.db, from the directory the server runs in)`);
  const partial = `${destination}.partial`;
  rmSync(partial, { force: true });
  rmSync(`${partial}-journal`, { force: true });
  mkdirSync(dirname(resolve(destination)), { recursive: true });

  const db = new BetterSqlite3(source, { fileMustExist: true });
  let pages: number;
  try {
    db.pragma('busy_timeout = 5000');
    const ours = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (!ours) throw new BackupError(`${source} is not a Switchyard store (it has no schema_migrations table)`);
    pages = (await db.backup(partial, { progress: () => ALL_PAGES })).totalPages;
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    db.close();
  }

  const copy = new BetterSqlite3(partial, { fileMustExist: true });
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`the copy failed its integrity check (${String(check)}); ${source} itself may be damaged`);
    copy.pragma('journal_mode = DELETE');
  } catch (err) {
    copy.close();
    rmSync(partial, { force: true });
    throw err;
  }
  copy.close();
  renameSync(partial, destination);
  return { pages, bytes: statSync(destination).size };
}
