// A node's data directory: the database, its lock, and the checks that must
// pass before a node may serve from it. Creating a log and opening one are
// separate, explicit operations: opening never creates, creating never
// overwrites.
import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EMPTY_ROOT } from '../sigsum/merkle.js';
import { signTreeHead, verifyTreeHead } from '../sigsum/treehead.js';
import { bytesEqual, toHex } from '../sigsum/types.js';
import { DataDirLock } from './lock.js';
import { StorageError } from './ports.js';
import { createSqliteStore, DB_FILE, openSqliteStore } from './sqlite.js';
import { nodeState } from './state.js';
function wrap(dir, lock, store) {
    return {
        dir,
        store,
        state: nodeState(store),
        lock,
        close() {
            store.close();
            lock.release();
        },
    };
}
export function dbPath(dir) {
    return join(dir, DB_FILE);
}
/** Whether `dir` holds a log database (a non-empty log.db). */
export function holdsLog(dir) {
    try {
        return statSync(dbPath(dir)).size > 0;
    }
    catch {
        return false;
    }
}
/**
 * Creates an empty log in `dir` (created if missing). A primary signs and
 * stores the size-0 tree head; a secondary stores none (it has no log key).
 */
export async function initDataDir(dir, opts) {
    if (existsSync(dir) && !statSync(dir).isDirectory())
        throw new StorageError(`${dir} exists and is not a directory`);
    if (opts.role === 'primary' && (!opts.signer || !bytesEqual(opts.signer.publicKey, opts.logPublicKey)))
        throw new StorageError('a primary needs the log signing key');
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    const path = dbPath(dir);
    if (holdsLog(dir))
        throw new StorageError(`${dir} already holds a log (${DB_FILE}); refusing to initialize it again`);
    // An empty file left by an interrupted init is reused (under the lock; the schema check refuses anything else).
    if (!existsSync(path))
        closeSync(openSync(path, 'wx', 0o640));
    let lock;
    let store;
    try {
        lock = DataDirLock.acquire(dir, path);
        store = createSqliteStore(path, { logPublicKeyHex: toHex(opts.logPublicKey), role: opts.role, now: opts.now });
        if (opts.role === 'primary')
            store.storeTreeHead(await signTreeHead(opts.signer, { size: 0, rootHash: EMPTY_ROOT }), opts.now);
        return wrap(dir, lock, store);
    }
    catch (e) {
        store?.close();
        lock?.release();
        throw e;
    }
}
/**
 * Opens an existing log for serving and checks, in O(log n), that it is the
 * log we think it is: same log key, the latest signed tree head verifies with
 * that key, the stored leaves reach its size, and the root recomputed from the
 * stored subtree hashes equals its root. Any failure refuses the start.
 */
export function openDataDir(dir, opts) {
    if (!existsSync(dir))
        throw new StorageError(`data directory ${dir} does not exist (create it with "sigsum-log init")`);
    if (!holdsLog(dir))
        throw new StorageError(`${dir} holds no log (no ${DB_FILE}); create one with "sigsum-log init"`);
    const lock = DataDirLock.acquire(dir, dbPath(dir));
    let store;
    try {
        store = openSqliteStore(dbPath(dir));
        checkStoredState(store, opts.logPublicKey, opts.role);
        return wrap(dir, lock, store);
    }
    catch (e) {
        store?.close();
        lock.release();
        throw e;
    }
}
export function checkStoredState(store, logPublicKey, role) {
    if (store.logPublicKeyHex !== toHex(logPublicKey)) {
        throw new StorageError(`the data directory belongs to log key ${store.logPublicKeyHex}, not the configured key ${toHex(logPublicKey)}`);
    }
    if (role && store.role !== role)
        throw new StorageError(`the data directory holds a ${store.role}, not a ${role}`);
    const sth = store.latestTreeHead();
    if (!sth) {
        if (store.role === 'primary')
            throw new StorageError('no signed tree head is stored: the log was never initialized completely');
        return;
    }
    if (!verifyTreeHead(logPublicKey, sth))
        throw new StorageError(`the stored tree head of size ${sth.size} does not verify with the log key`);
    if (store.size() < sth.size) {
        throw new StorageError(`the stored tree has ${store.size()} leaves but the signed tree head has size ${sth.size}: leaves were lost (restored from an old backup?)`);
    }
    const root = store.rootAt(sth.size);
    if (!bytesEqual(root, sth.rootHash)) {
        throw new StorageError(`the root recomputed from storage at size ${sth.size} is ${toHex(root)}, but the signed tree head says ${toHex(sth.rootHash)}`);
    }
}
