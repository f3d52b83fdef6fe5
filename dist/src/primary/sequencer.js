import { Condition } from '../util/condition.js';
import { errorCode, errorMessage } from '../util/errors.js';
export function hashKey(h) {
    return Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('latin1');
}
export class Sequencer {
    writer;
    opts;
    onCommit;
    storageGuard;
    pool = new Map();
    timer;
    running = false;
    /** Commits failing (disk full, I/O error, storage gone): logged once per state. */
    failing;
    constructor(writer, opts, logger, 
    /** Called after every successful commit: new durable size, leaves committed, seconds the commit took. */
    onCommit = () => { }, 
    /** Throws when storage must not be written (the data directory vanished): checked before every commit. */
    storageGuard = () => { }) {
        this.writer = writer;
        this.opts = opts;
        this.onCommit = onCommit;
        this.storageGuard = storageGuard;
        this.failing = new Condition(logger, 'batch commits failing; leaves stay pooled and are retried', 'error');
    }
    get pending() {
        return this.pool.size;
    }
    has(leafHash) {
        return this.pool.has(hashKey(leafHash));
    }
    /** Queues a leaf; false if the pool is full. Idempotent for a leaf already pooled. */
    add(l) {
        const k = hashKey(l.leafHash);
        if (this.pool.has(k))
            return true;
        if (this.pool.size >= this.opts.maxPool)
            return false;
        this.pool.set(k, l);
        if (this.running && this.pool.size >= this.opts.maxBatch)
            this.schedule(0);
        return true;
    }
    start() {
        this.running = true;
        this.schedule(this.opts.batchInterval);
    }
    schedule(delay) {
        if (!this.running)
            return;
        if (this.timer && delay > 0)
            return;
        if (this.timer)
            clearTimeout(this.timer);
        this.timer = setTimeout(() => {
            this.timer = undefined;
            const more = this.flushOnce();
            this.schedule(more ? 0 : this.opts.batchInterval);
        }, delay);
    }
    stop() {
        this.running = false;
        if (this.timer)
            clearTimeout(this.timer);
        this.timer = undefined;
    }
    /** Commits up to maxBatch pooled leaves; true if more are waiting (and the commit worked). */
    flushOnce() {
        if (this.pool.size === 0)
            return false;
        const batch = [];
        for (const l of this.pool.values()) {
            batch.push(l);
            if (batch.length >= this.opts.maxBatch)
                break;
        }
        let size;
        const started = performance.now();
        try {
            this.storageGuard();
            size = this.writer.append(batch);
        }
        catch (e) {
            this.failing.set(errorCode(e) ?? 'commit', errorMessage(e), { leaves: batch.length });
            return false;
        }
        this.failing.clear('batch commits work again', { size });
        for (const l of batch)
            this.pool.delete(hashKey(l.leafHash));
        this.onCommit(size, batch.length, (performance.now() - started) / 1000);
        return this.pool.size > 0;
    }
    /** Commits everything pooled (shutdown). Throws if a commit fails. */
    flushAll() {
        while (this.pool.size > 0) {
            const before = this.pool.size;
            this.flushOnce();
            if (this.pool.size === before)
                throw new Error(`could not commit ${before} pooled leaves: ${this.failing.message ?? 'unknown error'}`);
        }
    }
}
