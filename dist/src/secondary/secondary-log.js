// The secondary log: the one place that owns a secondary node's life. It
// copies the primary's leaves, in the primary's order, into its own replica,
// and checks everything before it stores it:
//   - each round it reads the primary's unsigned head (size S, root R) and
//     proves with a consistency proof that R extends its own replica, so a
//     primary that rewrote an index this node holds is caught at once;
//   - each batch of leaves is appended in one transaction whose new root is
//     checked before the commit (equal to R at S, or proven consistent with R
//     by a proof from the batch's end to S); a bad batch stores nothing;
//   - every tree head signed by the log key is checked against the replica
//     (log-heads.ts).
// On any mismatch it halts: it stops replicating, keeps what it has, keeps
// serving, and says why (log line, metric, health). It never rewrites an
// index it holds. A primary of a lower epoch than one this node knows is
// refused (fence.ts).
//
// Following a log-go primary (no unsigned head, only internal get-leaves):
// leaves up to the log's published head are checked against that head with
// proofs from the log's public URL; leaves beyond it are copied unchecked
// and checked once a published head covers them.
//
// Mutable state, all owned by the poll loop (one round at a time on the event
// loop): halted, failing, upstreamSize, mode, rangeHint, caughtUp,
// longPolled, replicaHead (a cache). HTTP handlers only read.
import { leafHash, verifyConsistency } from '../sigsum/merkle.js';
import { signTreeHead } from '../sigsum/treehead.js';
import { bytesEqual, toHex } from '../sigsum/types.js';
import { Condition } from '../util/condition.js';
import { PeerError } from '../net/http-client.js';
import { Fence } from './fence.js';
import { Divergence, LogHeads } from './log-heads.js';
import { Progress } from '../util/progress.js';
import { errorCode } from '../util/errors.js';
export { Divergence } from './log-heads.js';
/** Behind by this many leaves, a catch-up is reported with progress lines. */
const CATCH_UP_REPORTED = 50_000;
export class SecondaryLog {
    opts;
    heads;
    fence;
    replicaHead; // cache of the signed replica head
    rangeHint = 4096; // learned from the primary's clamping
    caughtUp = false; // the last round reached the primary's size: long-poll next
    longPolled = true; // the primary honoured the last long poll (ours does unless busy; log-go has none)
    timer;
    polling;
    stopped = true;
    /** Why replication stopped for good (until restart), if it did. */
    halted;
    /** The current transient failure (primary unreachable, stale epoch...): one log line per change. */
    failing;
    /** The primary's tree size at the last successful round. */
    upstreamSize = 0;
    /** A long catch-up in progress (progress lines); written by reportCatchUp(). */
    catchUp;
    mode;
    constructor(opts) {
        this.opts = opts;
        if (toHex(opts.logKey) !== opts.epochs.logPublicKeyHex)
            throw new Error(`the replica belongs to log key ${opts.epochs.logPublicKeyHex}, not ${toHex(opts.logKey)}`);
        if (bytesEqual(opts.signer.publicKey, opts.logKey))
            throw new Error('a secondary must have its own key, not the log key (--key-file is the log key)');
        this.heads = new LogHeads(opts.tree, opts.heads, opts.cells, opts.logKey, opts.clock, opts.logger);
        this.fence = new Fence(opts.epochs, opts.logKey, opts.logger, opts.client.primaryUrl);
        this.failing = new Condition(opts.logger, 'replication round failed', 'warning', {
            primary: opts.client.primaryUrl,
        });
    }
    // ---- read side (HTTP handlers) ----
    publishedTreeHead() {
        return this.heads.publishedTreeHead();
    }
    treeHeadBody() {
        return this.heads.publishedTreeHeadBody();
    }
    /** get-secondary-tree-head for a primary that says it is of `requesterEpoch`: the replica's head signed with this node's key. */
    async signedReplicaHead(requesterEpoch) {
        if (!this.fence.allows(requesterEpoch))
            return { kind: 'fenced', epoch: this.fence.epoch };
        const size = this.opts.tree.size();
        if (this.replicaHead?.size !== size)
            this.replicaHead = await signTreeHead(this.opts.signer, { size, rootHash: this.opts.tree.root() });
        return { kind: 'signed', head: this.replicaHead };
    }
    announceEpoch(a) {
        return this.fence.announce(a);
    }
    /** Why replication is not working, in words safe for public pages (no URLs, no raw errors). */
    publicStatus() {
        if (this.halted)
            return "replication halted: the primary disagrees with this replica (see the operator's logs)";
        if (this.failing.active)
            return "replication is failing (see the operator's logs)";
        return undefined;
    }
    /** Why replication is not working, with details (internal health endpoint, logs). */
    status() {
        if (this.halted)
            return `replication halted: ${this.halted}`;
        if (this.failing.message)
            return `replication failing: ${this.failing.message}`;
        return undefined;
    }
    // ---- the poll loop ----
    start() {
        this.stopped = false;
        const tick = () => {
            if (this.stopped)
                return;
            let delay = this.opts.interval;
            this.polling = this.pollOnce()
                .then(more => {
                // More to copy, or caught up with a primary that long-polls: go again at once.
                if (more || (this.caughtUp && this.longPolled && this.mode === 'checked'))
                    delay = 0;
                this.failing.clear('replicating again', { size: this.opts.tree.size() });
            })
                .catch((e) => this.failed(e instanceof Error ? e : new Error(String(e))))
                .finally(() => {
                this.polling = undefined;
                if (!this.stopped && !this.halted)
                    this.timer = setTimeout(tick, delay);
            });
        };
        tick();
    }
    async stop() {
        this.stopped = true;
        if (this.timer)
            clearTimeout(this.timer);
        await this.polling;
    }
    failed(e) {
        if (e instanceof Divergence) {
            this.halted = e.message;
            this.opts.logger.error('REPLICATION HALTED: the primary disagrees with this replica; nothing more is copied until an operator investigates and restarts this node', {
                reason: e.message,
                replica_size: this.opts.tree.size(),
                primary: this.opts.client.primaryUrl,
            });
            return;
        }
        this.failing.set(e.constructor.name + (e instanceof PeerError ? `-${e.status ?? 'network'}` : ''), e.message);
    }
    /** One round; true if there is more to copy right away. Throws Divergence on a mismatch. */
    async pollOnce() {
        if (this.halted)
            return false;
        const failure = this.opts.storageFailure?.();
        if (failure)
            throw new Error(`storage unusable: ${failure}`);
        const asked = this.caughtUp;
        const up = await this.opts.client.unsignedHead(asked ? this.opts.tree.size() : undefined);
        // A primary that did not wait (too many long polls, or one without them): poll on the interval next time.
        this.longPolled = up !== 'legacy' && (!asked || up.longPolled);
        if (up === 'legacy') {
            this.mode = 'legacy';
            this.fence.followed(0);
            return this.pollLegacy();
        }
        this.mode = 'checked';
        this.fence.followed(up.epoch);
        this.upstreamSize = up.size;
        const more = await this.copyChecked(up, 'internal');
        this.caughtUp = !more;
        const [signed, pub] = await Promise.all([
            this.opts.client.signedHead(),
            this.opts.client.publishedHead('internal'),
        ]);
        this.heads.observeSigned(signed);
        this.heads.observePublished(pub.head, pub.body);
        return more;
    }
    async pollLegacy() {
        let more;
        if (this.opts.client.logUrl) {
            const pub = await this.opts.client.publishedHead('public');
            this.heads.observeSigned(pub.head, false);
            more = pub.head.size > this.opts.tree.size() ? await this.copyChecked(pub.head, 'public') : false;
            if (!more)
                more = await this.copyUnchecked();
            this.heads.observePublished(pub.head, pub.body);
        }
        else {
            more = await this.copyUnchecked();
        }
        this.upstreamSize = Math.max(this.upstreamSize, this.opts.tree.size());
        return more;
    }
    /** Copies the next chunk towards `target`, checking it before the commit. */
    async copyChecked(target, source) {
        const { tree, client } = this.opts;
        const local = tree.size();
        const S = target.size;
        if (S < local)
            throw new Divergence(`the primary's tree has ${S} leaves, fewer than the ${local} this replica holds (wrong primary, or it lost leaves)`);
        if (S === local) {
            if (!bytesEqual(tree.root(), target.rootHash))
                throw new Divergence(`the primary's root at size ${S} differs from this replica's`);
            return false;
        }
        if (local > 0) {
            const proof = await client.consistencyProof(local, S, source);
            if (!verifyConsistency(local, S, tree.root(), target.rootHash, proof)) {
                throw new Divergence(`the primary's tree of size ${S} does not extend this replica of size ${local}: it changed leaves this replica already holds`);
            }
        }
        const leaves = await this.fetchRange(local, Math.min(S, local + this.opts.chunk));
        const end = local + leaves.length;
        const proof = end < S ? await client.consistencyProof(end, S, source) : undefined;
        this.append(leaves, (size, root) => {
            if (size === S ? !bytesEqual(root, target.rootHash) : !verifyConsistency(size, S, root, target.rootHash, proof)) {
                throw new Divergence(`leaves [${local}, ${size}) from the primary do not match its own tree head of size ${S}`);
            }
        });
        return end < S;
    }
    /**
     * Progress lines while far behind (a new replica, or after downtime): one
     * every 10 s with rate and ETA, then one when caught up.
     */
    reportCatchUp() {
        const size = this.opts.tree.size();
        const behind = this.upstreamSize - size;
        if (!this.catchUp && behind >= CATCH_UP_REPORTED) {
            this.catchUp = {
                from: size,
                started: this.opts.clock.monotonic(),
                progress: new Progress('catching up with the primary', l => this.opts.logger.info(l.trim()), false, 10_000, 'leaves', () => this.opts.clock.monotonic()),
            };
            this.opts.logger.info('catching up with the primary', { replica_size: size, primary_size: this.upstreamSize });
        }
        if (!this.catchUp)
            return;
        if (behind > 0)
            return this.catchUp.progress.update(size, this.upstreamSize);
        const seconds = (this.opts.clock.monotonic() - this.catchUp.started) / 1000;
        this.opts.logger.info('caught up with the primary', {
            leaves: size - this.catchUp.from,
            seconds: Math.round(seconds),
            replica_size: size,
        });
        this.catchUp = undefined;
    }
    /** log-go primary beyond its published head: copy what it has, checked later against published heads. */
    async copyUnchecked() {
        const local = this.opts.tree.size();
        const r = await this.opts.client.leaves(local, local + Math.min(this.rangeHint, this.opts.chunk));
        if (r === 'end')
            return false;
        this.append(r);
        return true;
    }
    async fetchRange(start, end) {
        const out = [];
        let pos = start;
        while (pos < end) {
            const n = this.rangeHint;
            const starts = [];
            for (let s = pos; s < end && starts.length < this.opts.parallel; s += n)
                starts.push(s);
            const results = await Promise.all(starts.map(s => this.opts.client.leaves(s, Math.min(s + n, end))));
            for (let i = 0; i < results.length; i++) {
                const r = results[i];
                if (r === 'end')
                    throw new PeerError(`the primary says its tree ends at ${starts[i]}, below the size it announced (${end} or more)`);
                out.push(...r);
                pos = starts[i] + r.length;
                const asked = Math.min(starts[i] + n, end) - starts[i];
                if (r.length < asked) {
                    this.rangeHint = Math.max(1, r.length); // the primary's max-range: later requests start where this one stopped
                    break;
                }
            }
        }
        return out;
    }
    append(raw, check) {
        const leaves = raw.map(leaf => ({ leaf, leafHash: leafHash(leaf) }));
        try {
            this.opts.tree.append(leaves, check);
            this.reportCatchUp();
        }
        catch (e) {
            const code = errorCode(e);
            if (code === 'SQLITE_CONSTRAINT_UNIQUE')
                throw new Divergence(`the primary served a leaf that this replica already holds at another index (near index ${this.opts.tree.size()})`);
            throw e;
        }
        this.replicaHead = undefined;
    }
}
