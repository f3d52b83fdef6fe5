export class HeldRequests {
    opts;
    held = new Set();
    constructor(opts) {
        this.opts = opts;
    }
    get count() {
        return this.held.size;
    }
    /** Whether one more request may be held. */
    canHold() {
        return this.opts.waitMs > 0 && this.held.size < this.opts.maxHeld;
    }
    /** Waits for publication; `signal` (the client went away) ends the wait at once. */
    hold(leafHash, signal) {
        return new Promise(resolve => {
            const release = () => {
                clearTimeout(h.timer);
                this.held.delete(h);
                signal?.removeEventListener('abort', release);
                resolve({ kind: 'accepted' });
            };
            const h = { leafHash, resolve, timer: setTimeout(release, this.opts.waitMs), signal, release };
            if (signal?.aborted)
                return release();
            signal?.addEventListener('abort', release, { once: true });
            this.held.add(h);
        });
    }
    /** Answers 200 to every held request whose leaf `published` says is in the published head. */
    settle(published) {
        for (const h of this.held) {
            if (!published(h.leafHash))
                continue;
            clearTimeout(h.timer);
            this.held.delete(h);
            h.signal?.removeEventListener('abort', h.release);
            h.resolve({ kind: 'included' });
        }
    }
    /** Answers every held request with 202 (shutdown). */
    releaseAll() {
        for (const h of [...this.held])
            h.release();
    }
}
