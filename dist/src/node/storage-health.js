import { Scrubber } from '../storage/scrubber.js';
import { STORAGE_CHECK_MS } from './defaults.js';
const MAX_REMEMBERED = 32;
export class StorageHealth {
    lock;
    logger;
    /** Distinct damages found since start (at most MAX_REMEMBERED kept). */
    damages = [];
    damageCount = 0;
    vanished;
    timer;
    constructor(lock, logger) {
        this.lock = lock;
        this.logger = logger;
    }
    /** A checked read or the scrubber found damage. */
    report = (what) => {
        this.damageCount++;
        if (this.damages.includes(what))
            return;
        if (this.damages.length < MAX_REMEMBERED)
            this.damages.push(what);
        this.logger.error('STORAGE DAMAGE: stored data does not match the tree; answers that depend on it are refused (500). Run "sigsum-log verify" and restore this node from a good replica', { damage: what });
    };
    /** Why storage must not be written, if it must not (checks the file now: a few syscalls). */
    failure = () => {
        if (this.vanished)
            return this.vanished;
        const why = this.lock.check();
        if (why) {
            this.vanished = why;
            this.logger.error('STORAGE GONE: the database this node writes to has vanished or been replaced; no further leaves are committed or signed. Reads continue from the open file (it holds what was published). Restart the node on the right data directory', { reason: why });
        }
        return this.vanished;
    };
    /** Throws when storage must not be written (the Sequencer's guard). */
    guard = () => {
        const f = this.failure();
        if (f)
            throw Object.assign(new Error(`storage unusable: ${f}`), { code: 'STORAGE_GONE' });
    };
    start() {
        this.timer = setInterval(() => this.failure(), STORAGE_CHECK_MS);
        this.timer.unref();
    }
    stop() {
        if (this.timer)
            clearInterval(this.timer);
    }
}
/** The background scrubber over the node's tree, reporting into `storage`; undefined when the rate is 0. */
export function startScrubber(dd, logKey, rate, storage, clock, logger) {
    if (!rate)
        return undefined;
    const s = new Scrubber(dd.store, dd.state.scrub, logKey, { rate, clock, logger, report: storage.report });
    s.start();
    return s;
}
