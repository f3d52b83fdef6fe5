// One writer per data directory, enforced on the database file itself: the
// serving process holds an exclusive flock(2) on log.db for its whole life.
// The lock belongs to the open file, so deleting or replacing any other file
// (the old "lock" file, the pid file) lets nobody in, and the kernel releases
// it when the process dies. flock locks are independent of SQLite's own
// fcntl locks, so readers (status, verify, backup) are never blocked.
//
// Node has no flock(2) binding; flock(1) from util-linux takes the lock on a
// file descriptor this process passes to it, and the lock then stays with
// this process's open file after flock(1) exits.
//
// The same open file lets the node notice when its database vanishes or is
// replaced under it (rm -rf of the data directory, a volume unmounted):
// check() compares the open file with what the path names now.
import { closeSync, fstatSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { errorCode, errorMessage } from '../util/errors.js';
export const PID_FILE = 'pid';
export class DataDirLockedError extends Error {
}
function flock(fd, mode) {
    const r = spawnSync('flock', ['--nonblock', `--${mode}`, '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    if (r.error)
        throw new Error(`cannot run flock(1) (util-linux) to lock the database: ${r.error.message}`);
    if (r.status === 0)
        return 'locked';
    if (r.status === 1)
        return 'busy';
    throw new Error(`flock(1) failed: ${r.stderr.toString().trim() || `exit status ${String(r.status)}`}`);
}
function holder(dir) {
    try {
        return ` (pid ${readFileSync(join(dir, PID_FILE), 'utf8').trim()})`;
    }
    catch {
        return '';
    }
}
export class DataDirLock {
    fd;
    path;
    opened;
    constructor(fd, path, opened) {
        this.fd = fd;
        this.path = path;
        this.opened = opened;
    }
    /** Takes the lock on `dbPath` (which must exist) and records this process's pid. */
    static acquire(dir, dbPath) {
        const fd = openSync(dbPath, 'r');
        try {
            if (flock(fd, 'exclusive') === 'busy') {
                throw new DataDirLockedError(`data directory ${dir} is in use by another sigsum-log process${holder(dir)}; refusing to open it twice`);
            }
            writeFileSync(join(dir, PID_FILE), `${process.pid}\n`);
            return new DataDirLock(fd, dbPath, fstatSync(fd));
        }
        catch (e) {
            closeSync(fd);
            throw e;
        }
    }
    /** Whether a process holds the lock on `dbPath` now, and its pid if it recorded one (for status). */
    static holder(dir, dbPath) {
        const fd = openSync(dbPath, 'r');
        try {
            if (flock(fd, 'shared') === 'locked')
                return { running: false };
            const pid = Number(holder(dir).replace(/\D/g, ''));
            return { running: true, ...(pid > 0 ? { pid } : {}) };
        }
        finally {
            closeSync(fd);
        }
    }
    /** undefined while the locked file is still the one the path names; otherwise what happened to it. */
    check() {
        if (this.fd === undefined)
            return 'the data directory was closed';
        let now;
        try {
            if (fstatSync(this.fd).nlink === 0)
                return `${this.path} was deleted while the node was using it`;
            now = statSync(this.path);
        }
        catch (e) {
            return `${this.path} is gone (${errorCode(e) ?? errorMessage(e)}): the data directory was removed or its volume unmounted`;
        }
        if (now.ino !== this.opened.ino || now.dev !== this.opened.dev)
            return `${this.path} was replaced by another file while the node was using it`;
        return undefined;
    }
    release() {
        if (this.fd === undefined)
            return;
        closeSync(this.fd);
        this.fd = undefined;
    }
}
