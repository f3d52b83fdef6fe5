// The scrubber: re-verifies the whole stored tree continuously in the
// background, at a bounded rate (--scrub-rate leaves per second), with the
// same checks as `sigsum-log verify` (fsck.ts: every leaf rehashed, the
// unique index checked, every stored subtree recomputed, every stored signed
// head checked). A pass ends at the stored size and the next starts at once.
//
// Resumable: the position and the right edge of what was checked are saved
// (without an fsync, every SAVE_EVERY_MS and at the end of a pass) and a
// restart continues from there, after checking that the saved edge matches
// the stored subtrees (else the pass starts over).
//
// Damage found goes to the same report as a checked read (an ERROR line, the
// damage metrics, /health not ready); the pass then starts over after
// RETRY_AFTER_MS, so damage that persists is reported again (counted, not
// logged twice).
//
// Mutable state (checker, timers, counters) is owned by the timer task.
import { asHash, bytesEqual, toHex } from '../sigsum/types.js';
import { errorMessage } from '../util/errors.js';
import { TreeChecker } from './fsck.js';
import { STORED_NODE_MIN_LEVEL } from './ports.js';
const TICK_MS = 250;
const SAVE_EVERY_MS = 10_000;
const RETRY_AFTER_MS = 60_000;
export class Scrubber {
    store;
    cell;
    logKey;
    opts;
    checker;
    cursor;
    passes = 0;
    timer;
    savedAt = 0; // monotonic ms
    restUntil = 0; // monotonic ms: after damage
    constructor(store, cell, logKey, opts) {
        this.store = store;
        this.cell = cell;
        this.logKey = logKey;
        this.opts = opts;
        this.cursor = this.resume();
    }
    progress() {
        return {
            position: this.cursor.position,
            passStarted: this.cursor.passStarted,
            lastComplete: this.cursor.lastComplete,
            passes: this.passes,
        };
    }
    start() {
        this.timer = setInterval(() => this.tick(), TICK_MS);
        this.timer.unref();
    }
    stop() {
        if (this.timer)
            clearInterval(this.timer);
        this.timer = undefined;
        this.save();
    }
    /** One step of at most rate × TICK_MS leaves (public for tests). */
    tick(budget = Math.max(1, Math.round((this.opts.rate * TICK_MS) / 1000))) {
        if (this.opts.clock.monotonic() < this.restUntil)
            return;
        try {
            this.step(budget);
        }
        catch (e) {
            this.damaged(`while scrubbing at leaf ${this.cursor.position}: ${errorMessage(e)}`);
        }
    }
    step(budget) {
        if (!this.checker) {
            this.checker = this.checkerAt(this.cursor);
            if (this.checker.position === 0) {
                const problem = this.checker.begin();
                if (problem)
                    return this.damaged(problem);
            }
        }
        const c = this.checker;
        const size = this.store.size();
        if (c.position < size) {
            const r = c.step(Math.min(budget, size - c.position));
            this.cursor = { ...this.cursor, position: c.position, peaks: c.peaks().map(toHex) };
            if (r.problem)
                return this.damaged(r.problem);
        }
        if (c.position >= size) {
            const problem = c.finish();
            if (problem)
                return this.damaged(problem);
            const now = this.opts.clock.now();
            this.passes++;
            this.opts.logger.info('scrubber: a full pass over the stored tree found no damage', {
                leaves: c.position,
                seconds: Math.round((now - this.cursor.passStarted) / 1000),
            });
            this.cursor = { position: 0, peaks: [], passStarted: now, lastComplete: now };
            this.checker = undefined;
            this.save();
            return;
        }
        if (this.opts.clock.monotonic() - this.savedAt >= SAVE_EVERY_MS)
            this.save();
    }
    damaged(problem) {
        this.opts.report(problem);
        this.checker = undefined;
        this.cursor = { ...this.cursor, position: 0, peaks: [], passStarted: this.opts.clock.now() };
        this.restUntil = this.opts.clock.monotonic() + RETRY_AFTER_MS;
        this.save();
    }
    save() {
        this.savedAt = this.opts.clock.monotonic();
        try {
            this.cell.set(this.cursor, false); // progress only: no fsync
        }
        catch (e) {
            this.opts.logger.warning('scrubber: could not save its position', { error: errorMessage(e) });
        }
    }
    /** The saved cursor if it fits the stored tree, else a new pass. */
    resume() {
        const fresh = { position: 0, peaks: [], passStarted: this.opts.clock.now() };
        let saved;
        try {
            saved = this.cell.get();
        }
        catch {
            saved = undefined;
        }
        if (!saved)
            return fresh;
        if (saved.position > this.store.size())
            return { ...fresh, lastComplete: saved.lastComplete };
        try {
            this.checkerAt(saved);
            return saved;
        }
        catch {
            return { ...fresh, lastComplete: saved.lastComplete };
        }
    }
    /** A checker at the cursor; throws if its peaks do not match the stored subtrees. */
    checkerAt(cursor) {
        if (cursor.position === 0)
            return new TreeChecker(this.store, this.logKey);
        const peaks = cursor.peaks.map(p => asHash(new Uint8Array(Buffer.from(p, 'hex'))));
        let start = 0;
        for (const [i, level] of peakLevels(cursor.position).entries()) {
            if (level >= STORED_NODE_MIN_LEVEL) {
                const stored = this.store.storedNode(level, start / 2 ** level);
                if (!stored || !bytesEqual(stored, peaks[i]))
                    throw new Error('saved scrub position does not match the tree');
            }
            start += 2 ** level;
        }
        return new TreeChecker(this.store, this.logKey, { position: cursor.position, peaks });
    }
}
/** Levels of the complete subtrees that make up a tree of `size` leaves, largest first. */
function peakLevels(size) {
    const levels = [];
    for (let level = 52; level >= 0; level--)
        if (Math.floor(size / 2 ** level) % 2 === 1)
            levels.push(level);
    return levels;
}
