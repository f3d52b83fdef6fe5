// Single-writer guard for a data directory. A small SQLite file ("lock") is
// held in an exclusive transaction for as long as the process owns the
// directory: SQLite's POSIX advisory lock is released by the kernel when the
// process dies, so a crash never leaves a stale lock, and a second process
// (or a second open in the same process) fails at once with a clear message.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';

export const LOCK_FILE = 'lock';
export const PID_FILE = 'pid';

export class DataDirLockedError extends Error {}

export class DataDirLock {
  private constructor(private readonly db: Database.Database) {}

  static acquire(dir: string): DataDirLock {
    const db = new Database(join(dir, LOCK_FILE));
    try {
      db.pragma('journal_mode = DELETE');
      db.pragma('busy_timeout = 0');
      db.exec('BEGIN EXCLUSIVE');
    } catch (e) {
      db.close();
      const code = (e as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
        let holder = '';
        try {
          holder = ` (pid ${readFileSync(join(dir, PID_FILE), 'utf8').trim()})`;
        } catch {
          /* no pid file */
        }
        throw new DataDirLockedError(`data directory ${dir} is in use by another sigsum-log process${holder}; refusing to open it twice`);
      }
      throw e;
    }
    writeFileSync(join(dir, PID_FILE), `${process.pid}\n`);
    return new DataDirLock(db);
  }

  release(): void {
    if (!this.db.open) return;
    try {
      this.db.exec('ROLLBACK');
    } catch {
      /* already closed */
    }
    this.db.close();
  }
}
