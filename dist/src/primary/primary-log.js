import { verifyConsistency } from '../sigsum/merkle.js';
import { formatCosignedTreeHead, signTreeHead, treeHeadsEqual, verifyTreeHead, } from '../sigsum/treehead.js';
import { bytesEqual, toHex } from '../sigsum/types.js';
import { Condition } from '../util/condition.js';
import { Submissions } from './submissions.js';
import { errorMessage } from '../util/errors.js';
export class PrimaryLog {
    opts;
    committed;
    published;
    publishedBody;
    signedAt;
    lastSignedMono = -Infinity;
    accepting = true;
    submissions;
    growthWaiters = new Set(); // secondaries' long polls
    timer;
    rotating;
    stopped = false;
    abandoned = false; // set by finish() at its deadline: rounds still running must not sign
    /** Signing refused (a check failed, the signer failed): one log line per change of state. */
    signing;
    /** The wall clock is behind the latest signature. */
    clockBehind;
    /** Another primary took over (a fenced secondary or a witness says so): nothing is signed or accepted any more. */
    superseded;
    /** Unix ms when the published head last changed or was confirmed by a new signature. */
    publishedAt;
    /** Monotonic ms since when stored leaves have been waiting for a signature (replication or witnesses short), if they are. */
    unsignedSince;
    constructor(opts) {
        this.opts = opts;
        const latest = opts.heads.latestTreeHead();
        if (!latest)
            throw new Error('no signed tree head in storage');
        if (toHex(opts.signer.publicKey) !== opts.identity.logPublicKeyHex)
            throw new Error('signing key does not match the stored log key');
        this.committed = latest;
        this.signedAt = Math.max(latest.signedAt, opts.state.lastSigning.get()?.at ?? 0);
        this.published = this.loadPublished() ?? { ...latest, cosignatures: [] };
        this.publishedBody = formatCosignedTreeHead(this.published);
        this.publishedAt = opts.state.publishedAt.get() ?? opts.clock.now();
        this.signing = new Condition(opts.logger, 'refusing to sign a new tree head', 'error');
        this.clockBehind = new Condition(opts.logger, 'the clock is behind the latest tree head signature; signing with that time + 1 ms until it catches up', 'warning');
        this.superseded = new Condition(opts.logger, 'this primary is superseded: it signs nothing and accepts no leaf', 'error');
        this.submissions = new Submissions({
            ...opts.submissions,
            tree: opts.tree,
            sequencer: opts.sequencer,
            includedSize: () => (opts.cosigner ? this.published.size : this.committed.size),
            refusal: () => !this.accepting
                ? 'the log is shutting down'
                : (opts.storageFailure?.() ?? (this.supersededBy() ? 'this log server is no longer the primary' : undefined)),
        });
        opts.cosigner?.attach(cth => this.publish(cth), this.published);
    }
    get publicKey() {
        return this.opts.signer.publicKey;
    }
    get replication() {
        return this.opts.replication;
    }
    get cosigner() {
        return this.opts.cosigner;
    }
    committedTreeHead() {
        return this.committed;
    }
    /** Unix ms of the latest signature (a re-signed unchanged head counts). */
    lastSignedAt() {
        return this.signedAt;
    }
    publishedTreeHead() {
        return this.published;
    }
    /** The get-tree-head body, serialized once per change. */
    treeHeadBody() {
        return this.publishedBody;
    }
    /** The local tree: size and in-memory root (the anchor of the primary's internal reads). */
    localHead() {
        return { size: this.opts.tree.size(), rootHash: this.opts.tree.root() };
    }
    epoch() {
        return this.opts.identity.epoch;
    }
    pendingLeaves() {
        return this.opts.sequencer.pending;
    }
    heldRequests() {
        return this.submissions.heldRequests;
    }
    addLeaf(req, token, signal) {
        return this.submissions.add(req, token, signal);
    }
    /** The Sequencer committed a batch (wired by the composition root). */
    batchCommitted() {
        this.submissions.committed();
        this.wakeGrowthWaiters();
    }
    /**
     * Resolves once more than `beyond` leaves are stored, or after `ms`, or when
     * `signal` aborts (a secondary's long poll). Returns false when too many are
     * waiting already.
     */
    waitForGrowth(beyond, ms, signal) {
        if (this.opts.tree.size() > beyond || this.stopped)
            return Promise.resolve();
        if (this.growthWaiters.size >= 64)
            return false;
        return new Promise(resolve => {
            const done = () => {
                clearTimeout(w.timer);
                this.growthWaiters.delete(w);
                signal?.removeEventListener('abort', done);
                resolve();
            };
            const w = { beyond, resolve: done, timer: setTimeout(done, ms) };
            this.growthWaiters.add(w);
            signal?.addEventListener('abort', done, { once: true });
        });
    }
    wakeGrowthWaiters() {
        const size = this.opts.tree.size();
        for (const w of [...this.growthWaiters])
            if (size > w.beyond || this.stopped)
                w.resolve();
    }
    start() {
        this.opts.sequencer.start();
        // Fixed-rate rounds (start to start), like log-go's ticker; a round that
        // overruns delays the next one rather than overlapping it.
        let next = this.opts.clock.monotonic();
        const tick = () => {
            if (this.stopped)
                return;
            next += this.opts.interval;
            void this.rotate().finally(() => {
                if (this.stopped)
                    return;
                const now = this.opts.clock.monotonic();
                if (next < now)
                    next = now;
                this.timer = setTimeout(tick, next - now);
            });
        };
        this.timer = setTimeout(tick, 0);
    }
    /** Commits pooled leaves now (tests, shutdown). */
    flush() {
        this.opts.sequencer.flushAll();
    }
    /** One signing round; concurrent calls share the round in progress. */
    rotate() {
        this.rotating ??= this.rotateOnce().finally(() => {
            this.rotating = undefined;
        });
        return this.rotating;
    }
    /** Why this primary must consider itself superseded, if it must. */
    supersededBy() {
        const r = this.opts.replication?.superseded;
        if (r?.aheadBy !== undefined)
            return `secondary ${r.secondary} holds ${r.aheadBy} more leaves than this primary (restored from a backup, or another primary runs)`;
        if (r)
            return `secondary ${r.secondary} follows a primary of epoch ${r.epoch} (this one: ${this.epoch()})`;
        return this.opts.cosigner?.alarm;
    }
    async rotateOnce() {
        const superseded = this.supersededBy();
        if (superseded) {
            this.superseded.set('superseded', superseded);
            this.unsignedSince ??= this.opts.clock.monotonic();
            return;
        }
        const prev = this.committed;
        const local = this.opts.tree.size();
        const resignDue = this.opts.clock.monotonic() - this.lastSignedMono >= this.opts.resignPeriod || this.published.size !== prev.size;
        if (local === prev.size && !resignDue) {
            this.unsignedSince = undefined;
            return;
        }
        let stage = 'storage'; // what failed, for one log line per change of state
        try {
            const failure = this.opts.storageFailure?.();
            if (failure)
                throw new Error(`storage unusable: ${failure}`);
            let size = local;
            stage = 'replication';
            if (this.opts.replication && local > prev.size) {
                // Never beyond what the required secondaries hold, never below the current head.
                size = Math.max(prev.size, Math.min(local, await this.opts.replication.replicatedSize(local)));
                const superseded = this.supersededBy(); // learned in this very round
                if (superseded) {
                    this.superseded.set('superseded', superseded);
                    this.unsignedSince ??= this.opts.clock.monotonic();
                    return;
                }
                if (size === prev.size && !resignDue) {
                    this.signing.clear('signing tree heads again', { size });
                    this.unsignedSince ??= this.opts.clock.monotonic();
                    return;
                }
            }
            if (this.abandoned)
                return; // the shutdown gave up on this round
            stage = 'check';
            const next = this.checkedNextHead(prev, size);
            stage = 'signer';
            const sth = await signTreeHead(this.opts.signer, next);
            if (this.abandoned)
                return;
            stage = 'store';
            const at = this.stamp();
            this.opts.heads.storeTreeHead(sth, at);
            this.opts.state.lastSigning.set({ size: sth.size, at }, size !== prev.size); // a re-sign only says how fresh
            this.committed = { ...sth, signedAt: size === prev.size ? prev.signedAt : at };
            this.signedAt = at;
            this.lastSignedMono = this.opts.clock.monotonic();
            if (this.opts.cosigner)
                this.opts.cosigner.offer(sth);
            else
                this.publish({ ...sth, cosignatures: [] });
            this.signing.clear('signing tree heads again', { size });
            if (size !== prev.size)
                this.opts.logger.debug('signed tree head', { size, root_hash: toHex(sth.rootHash) });
            this.unsignedSince = size < local ? (this.unsignedSince ?? this.opts.clock.monotonic()) : undefined;
        }
        catch (e) {
            this.signing.set(stage, errorMessage(e), { committed_size: prev.size });
        }
    }
    /** The time to record for a signature now: never before the previous one. */
    stamp() {
        const now = this.opts.clock.now();
        if (now >= this.signedAt) {
            this.clockBehind.clear('the clock is ahead of the latest signature again', { now });
            return now;
        }
        this.clockBehind.set('behind', `clock ${new Date(now).toISOString()} is behind the latest signature ${new Date(this.signedAt).toISOString()}`, {
            behind_ms: this.signedAt - now,
        });
        return this.signedAt + 1;
    }
    /** The next tree head, recomputed from storage and proven consistent with the previous one. */
    checkedNextHead(prev, size) {
        if (size < prev.size)
            throw new Error(`stored tree (${size}) is smaller than the signed tree head (${prev.size})`);
        const root = this.opts.tree.rootAt(size);
        if (size === this.opts.tree.size() && !bytesEqual(root, this.opts.tree.root())) {
            throw new Error(`root recomputed from storage ${toHex(root)} differs from the in-memory tree ${toHex(this.opts.tree.root())} at size ${size}`);
        }
        const next = { size, rootHash: root };
        if (size === prev.size) {
            if (!treeHeadsEqual(prev, next))
                throw new Error(`root at size ${size} changed since it was signed`);
        }
        else if (prev.size > 0) {
            const proof = this.opts.tree.consistencyProof(prev.size, size);
            if (!verifyConsistency(prev.size, size, prev.rootHash, root, proof)) {
                throw new Error(`tree at size ${size} is not consistent with the signed tree head of size ${prev.size}`);
            }
        }
        return next;
    }
    publish(cth) {
        const body = formatCosignedTreeHead(cth);
        const now = this.opts.clock.now();
        if (body === this.publishedBody) {
            // The same head signed again (Ed25519 is deterministic): the published head is confirmed fresh.
            this.opts.state.publishedAt.set(now, false);
            this.publishedAt = now;
            return;
        }
        // The published head is persisted only when it says more than the stored signed head (cosignatures): saves an fsync per round otherwise.
        if (cth.cosignatures.length > 0 || this.opts.state.publishedTreeHead.get() !== undefined)
            this.opts.state.publishedTreeHead.set(cth);
        this.opts.state.publishedAt.set(now);
        const grew = cth.size !== this.published.size;
        this.published = cth;
        this.publishedBody = body;
        this.publishedAt = now;
        if (grew || this.opts.cosigner)
            this.submissions.published(this.opts.cosigner ? cth.size : this.committed.size);
    }
    /** The published head saved before a restart (or by this node as a secondary), if it still fits the stored tree. */
    loadPublished() {
        let cth;
        try {
            cth = this.opts.state.publishedTreeHead.get();
        }
        catch {
            cth = undefined;
        }
        if (cth === undefined)
            return undefined;
        if (verifyTreeHead(this.opts.signer.publicKey, cth) &&
            cth.size <= this.committed.size &&
            bytesEqual(this.opts.tree.rootAt(cth.size), cth.rootHash)) {
            const known = this.opts.cosigner?.witnessKeyHashes();
            return {
                ...cth,
                cosignatures: known ? cth.cosignatures.filter(c => known.has(toHex(c.keyHash))) : cth.cosignatures,
            };
        }
        this.opts.logger.warning('ignoring the stored published tree head: it does not match the signed tree');
        return undefined;
    }
    /** Shutdown, first step: add-leaf answers 'unavailable' from now on; held requests get their answer. */
    stopAccepting() {
        this.accepting = false;
        this.submissions.releaseAll();
    }
    /**
     * Shutdown, second step (the internal listener still serves the
     * secondaries): commits the pool, then signs rounds until the signed head
     * covers every stored leaf or `deadline` (monotonic ms) passes. Returns the
     * number of stored leaves left unsigned.
     */
    async finish(deadline) {
        this.stopAccepting();
        this.stopped = true;
        if (this.timer)
            clearTimeout(this.timer);
        this.opts.sequencer.stop();
        this.wakeGrowthWaiters();
        try {
            this.opts.sequencer.flushAll();
        }
        catch (e) {
            this.opts.logger.error('could not commit pending leaves at shutdown (they were answered 202 only)', {
                error: errorMessage(e),
            });
        }
        // Every wait is bounded by the deadline: a peer that never answers must not hold the shutdown.
        const left = () => Math.max(0, deadline - this.opts.clock.monotonic());
        const bounded = async (p) => {
            let timer;
            await Promise.race([p, new Promise(r => (timer = setTimeout(r, left())))]);
            clearTimeout(timer);
        };
        await bounded(this.rotating);
        while (this.committed.size < this.opts.tree.size() && left() > 0) {
            await bounded(this.rotateOnce());
            if (this.committed.size < this.opts.tree.size())
                await new Promise(r => setTimeout(r, Math.min(50, left())));
        }
        this.abandoned = true; // a round still waiting for a peer signs nothing from now on
        return this.opts.tree.size() - this.committed.size;
    }
}
