import { quorumSatisfied, quorumTrivial } from '../sigsum/policy.js';
import { bytesEqual, toHex } from '../sigsum/types.js';
import { Condition } from '../util/condition.js';
import { WITNESS_MAX_FUTURE_MS, WitnessClient, WitnessError } from './witness-client.js';
/** A witness clock further than this from ours is reported (a state, one line per change). */
const SKEW_REPORTED_S = 300;
export class Cosigner {
    opts;
    workers;
    heads = new Map();
    published;
    latest;
    stopped = false;
    gate;
    /**
     * Set once a witness says it has cosigned a larger tree than this log's
     * head: another primary published beyond this one (it was superseded) or
     * this node's storage went back in time. Written only by failed().
     */
    alarm;
    /** Makes a head public; called with a new head or with more cosignatures for the same one (set by attach()). */
    publish = () => { };
    constructor(logKey, opts) {
        this.opts = opts;
        this.gate = opts.gate && !quorumTrivial(opts.policy.quorum);
        const saved = this.loadMemory();
        this.workers = opts.policy.witnesses
            .filter(w => w.url)
            .map(w => {
            const memory = saved[w.keyHash] ?? { size: 0, timestamp: 0n };
            return {
                client: new WitnessClient({ name: w.name, publicKey: w.publicKey, keyHash: w.keyHash, url: w.url }, logKey, opts.tree, {
                    timeoutMs: opts.timeoutMs,
                    maxFutureSkewMs: opts.maxFutureSkewMs ?? WITNESS_MAX_FUTURE_MS,
                    signal: opts.signal,
                    clock: opts.clock,
                }),
                memory,
                status: { name: w.name, url: w.url, keyHash: w.keyHash, cosignedSize: memory.size, ok: undefined },
                failing: new Condition(opts.logger, 'witness failing', 'warning', { witness: w.name, url: w.url }),
                skew: new Condition(opts.logger, "witness clock differs from this node's", 'warning', {
                    witness: w.name,
                    url: w.url,
                }),
            };
        });
        if (this.gate) {
            const all = new Set(this.workers.map(w => w.status.keyHash));
            if (!quorumSatisfied(opts.policy.quorum, all)) {
                throw new Error(`the policy's quorum "${opts.policy.quorumName}" cannot be met by the witnesses that have a URL; no tree head could ever be published (add URLs, or publish without a quorum)`);
            }
        }
    }
    /** Connects the Cosigner to the log that publishes, with the head published now. */
    attach(publish, current) {
        this.publish = publish;
        this.published = current;
        this.heads.set(current.size, {
            sth: current,
            cosigs: new Map(current.cosignatures.map(c => [toHex(c.keyHash), c])),
        });
    }
    /** Key hashes (hex) of the policy's witnesses. */
    witnessKeyHashes() {
        return new Set(this.opts.policy.witnesses.map(w => w.keyHash));
    }
    statuses() {
        return this.workers.map(w => w.status);
    }
    /** A newly signed (or re-signed) head: ask every witness for it. */
    offer(sth) {
        if (this.stopped)
            return;
        this.latest = sth;
        let entry = this.heads.get(sth.size);
        if (!entry || !bytesEqual(entry.sth.rootHash, sth.rootHash)) {
            entry = { sth, cosigs: new Map() };
            this.heads.set(sth.size, entry);
        }
        entry.offeredAt ??= performance.now();
        if (!this.gate && (!this.published || sth.size >= this.published.size))
            this.doPublish(entry);
        for (const w of this.workers) {
            w.pending = sth;
            if (!w.running)
                w.running = this.run(w);
        }
        this.prune();
    }
    async run(w) {
        while (w.pending && !this.stopped) {
            const sth = w.pending;
            w.pending = undefined;
            w.inflight = sth;
            const started = performance.now();
            const label = w.status.url.replace(/^https?:\/\//, '');
            try {
                const cosig = await w.client.cosign(sth, w.memory);
                this.opts.events.witnessRequest(label, '200', w.client.lastRetried, (performance.now() - started) / 1000);
                w.status.cosignedSize = w.memory.size;
                this.saveMemory();
                this.succeeded(w);
                this.add(sth, w.status.keyHash, cosig);
            }
            catch (e) {
                const status = e instanceof WitnessError && e.status !== undefined ? String(e.status) : 'other';
                this.opts.events.witnessRequest(label, status, w.client.lastRetried);
                if (w.memory.size !== w.status.cosignedSize) {
                    w.status.cosignedSize = w.memory.size; // a 409 told us the witness's size
                    this.saveMemory();
                }
                this.failed(w, e instanceof Error ? e : new Error(String(e)));
            }
            finally {
                w.inflight = undefined;
            }
        }
        w.running = undefined;
    }
    succeeded(w) {
        if (w.status.ok === undefined)
            this.opts.logger.info('witness cosigned', { witness: w.status.name, size: w.memory.size });
        w.failing.clear('witness cosigning again', { size: w.memory.size });
        w.status.ok = true;
        w.status.error = undefined;
        w.status.lastSuccess = this.opts.clock.now();
        const skew = w.client.lastSkewSeconds;
        w.status.skewSeconds = skew;
        if (skew !== undefined && Math.abs(skew) > SKEW_REPORTED_S)
            w.skew.set(skew > 0 ? 'ahead' : 'behind', `its cosignature timestamps are ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} this node's clock`, {
                skew_seconds: skew,
            });
        else
            w.skew.clear("witness clock agrees with this node's again", { skew_seconds: skew });
    }
    failed(w, e) {
        if (e instanceof WitnessError && e.alarming)
            this.alarm ??= `witness ${w.status.name}: ${e.message}`;
        if (e instanceof WitnessError && e.alarming && w.failing.message !== e.message) {
            this.opts.logger.error('witness has seen a larger tree than this log signed', {
                witness: w.status.name,
                url: w.status.url,
                error: e.message,
            });
        }
        w.failing.set(e instanceof WitnessError ? e.kind : 'internal', e.message);
        w.status.ok = false;
        w.status.error = e.message;
    }
    add(sth, keyHash, cosig) {
        const entry = this.heads.get(sth.size);
        if (!entry || !bytesEqual(entry.sth.rootHash, sth.rootHash))
            return; // superseded meanwhile
        entry.cosigs.set(keyHash, cosig);
        if (!entry.quorumReached &&
            !quorumTrivial(this.opts.policy.quorum) &&
            quorumSatisfied(this.opts.policy.quorum, new Set(entry.cosigs.keys()))) {
            entry.quorumReached = true;
            this.opts.events.witnessQuorum(true, entry.offeredAt === undefined ? undefined : (performance.now() - entry.offeredAt) / 1000);
        }
        if (this.published && sth.size < this.published.size)
            return;
        if (!this.gate) {
            if (this.published && sth.size === this.published.size)
                this.doPublish(entry);
            return;
        }
        if (quorumSatisfied(this.opts.policy.quorum, new Set(entry.cosigs.keys())))
            this.doPublish(entry);
    }
    doPublish(entry) {
        const cosignatures = [...entry.cosigs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, c]) => c);
        this.published = { ...entry.sth, cosignatures };
        this.publish(this.published);
        this.prune();
    }
    /** Keeps only heads that can still matter: the published one, the newest, and those a witness works on. */
    prune() {
        const keep = new Set();
        if (this.published)
            keep.add(this.published.size);
        if (this.latest)
            keep.add(this.latest.size);
        for (const w of this.workers) {
            if (w.pending)
                keep.add(w.pending.size);
            if (w.inflight)
                keep.add(w.inflight.size);
        }
        for (const [size, e] of this.heads) {
            if (!keep.has(size) || (this.published && size < this.published.size)) {
                if (e.offeredAt !== undefined && !e.quorumReached && !quorumTrivial(this.opts.policy.quorum))
                    this.opts.events.witnessQuorum(false);
                this.heads.delete(size);
            }
        }
    }
    loadMemory() {
        try {
            return this.opts.memory.get() ?? {};
        }
        catch {
            this.opts.logger.warning('ignoring unreadable stored witness state');
            return {};
        }
    }
    saveMemory() {
        const out = {};
        for (const w of this.workers)
            out[w.status.keyHash] = { ...w.memory };
        this.opts.memory.set(out);
    }
    /** Stops asking; waits for requests in flight (each bounded by the witness timeout). */
    async stop() {
        this.stopped = true;
        await Promise.all(this.workers.map(w => w.running).filter(r => r !== undefined));
    }
}
