// The primary's side of replication: before signing, ask every secondary for
// its signed replica head, check it, and compute the largest tree size that
// enough secondaries durably hold. The primary never signs beyond that size,
// so losing the primary loses nothing it promised (a 200 from add-leaf).
//
// A secondary's answer counts only if its signature verifies with that
// secondary's key (origin from its key hash, as log-go), its size is within
// the local tree, and its root equals the local root at that size (the same
// verdict as log-go's consistency proof from the secondary's head to the
// primary's, computed directly from storage). Anything else, including no
// answer within the deadline, counts as size 0.
//
// Every peer is untrusted and may be slow: each request has one total
// deadline, a round decides as soon as the quorum's answer can no longer
// change (it never waits for a straggler it does not need), and a secondary
// with a request still in flight is not asked again until it answers.
//
// Fencing: every request carries this primary's epoch (a fenced secondary
// refuses a primary of a lower epoch), and a promoted primary announces its
// epoch, signed with the log key, to each secondary until one announcement
// got through (src/sigsum/epoch.ts).
//
// Mutable state: per-secondary status and in-flight request, written only
// from replicatedSize() and the requests it starts; read by health/metrics.
import { sha256 } from '../sigsum/crypto.js';
import { formatEpochAnnouncement } from '../sigsum/epoch.js';
import { parseSignedTreeHead, verifyTreeHead } from '../sigsum/treehead.js';
import { bytesEqual, toHex } from '../sigsum/types.js';
import { ENDPOINT, EPOCH_HEADER } from '../sigsum/wire.js';
import { Condition } from '../util/condition.js';
import { firstLine, joinUrl, PeerError, peerRequest } from '../net/http-client.js';
import { errorMessage } from '../util/errors.js';
export class Replication {
    tree;
    opts;
    peers;
    /**
     * Set once a secondary refused this primary because it follows a primary of
     * a higher epoch (it was fenced by a promotion): this primary is superseded
     * and must never sign again. Written only by fetchChecked().
     */
    superseded;
    constructor(secondaries, tree, opts) {
        this.tree = tree;
        this.opts = opts;
        if (secondaries.length === 0)
            throw new Error('replication needs at least one secondary');
        if (!Number.isInteger(opts.quorum) || opts.quorum < 1 || opts.quorum > secondaries.length) {
            throw new Error(`replication quorum ${opts.quorum} must be between 1 and the number of secondaries (${secondaries.length})`);
        }
        const seen = new Set();
        this.peers = secondaries.map(cfg => {
            const keyHash = toHex(sha256(cfg.publicKey));
            if (seen.has(keyHash))
                throw new Error(`secondary key ${keyHash} is configured twice: each secondary needs its own key`);
            seen.add(keyHash);
            return {
                cfg,
                status: { url: cfg.url, keyHash, size: 0, ok: false, fenced: !opts.announcement },
                failing: new Condition(opts.logger, 'secondary does not count towards replication', 'warning', {
                    secondary: cfg.url,
                }),
            };
        });
    }
    get quorum() {
        return this.opts.quorum;
    }
    statuses() {
        return this.peers.map(p => p.status);
    }
    /**
     * The largest size that at least `quorum` secondaries hold consistently with
     * the local tree of size `localSize`: the quorum-th largest checked size,
     * decided as soon as the answers still missing cannot change it.
     */
    replicatedSize(localSize) {
        const q = this.opts.quorum;
        const known = this.peers.map(() => undefined);
        return new Promise(resolve => {
            let done = false;
            const decide = () => {
                if (done)
                    return;
                const sizes = known.filter((s) => s !== undefined).sort((a, b) => b - a);
                const missing = known.length - sizes.length;
                const lower = sizes[q - 1] ?? 0; // the missing ones answer 0
                const upper = [...sizes, ...Array(missing).fill(localSize)].sort((a, b) => b - a)[q - 1];
                if (lower === upper) {
                    done = true;
                    resolve(lower);
                }
            };
            this.peers.forEach((p, i) => {
                p.inflight ??= this.ask(p, localSize).finally(() => (p.inflight = undefined));
                void p.inflight.then(size => {
                    known[i] = Math.min(size, localSize);
                    decide();
                });
            });
            decide();
        });
    }
    async ask(p, localSize) {
        try {
            if (!p.status.fenced && !p.status.unfenceable)
                await this.announce(p);
            const size = await this.fetchChecked(p.cfg, localSize);
            if (p.status.lastOk === undefined && !p.failing.active)
                this.opts.logger.info('secondary is replicating', { secondary: p.cfg.url, size });
            p.failing.clear('secondary is replicating again', { size });
            Object.assign(p.status, { ok: true, error: undefined, size, lastOk: this.opts.clock.now() });
            return size;
        }
        catch (e) {
            p.failing.set(e instanceof PeerError ? `status-${e.status ?? 'network'}` : 'check', errorMessage(e));
            Object.assign(p.status, { ok: false, error: errorMessage(e) });
            return 0;
        }
    }
    async announce(p) {
        const r = await peerRequest(joinUrl(p.cfg.url, ENDPOINT.announceEpoch), {
            method: 'POST',
            body: formatEpochAnnouncement(this.opts.announcement),
            timeoutMs: this.opts.timeoutMs,
            maxBytes: 4096,
            signal: this.opts.signal,
            headers: { [EPOCH_HEADER]: String(this.opts.epoch) },
        });
        if (r.status === 404) {
            // A log-go secondary: it counts, but nothing stops it from following an older primary again.
            p.status.unfenceable = true;
            this.opts.logger.warning('secondary does not take epoch announcements (log-go?): it cannot be fenced against an older primary', {
                secondary: p.cfg.url,
                epoch: this.opts.epoch,
            });
            return;
        }
        if (r.status !== 200)
            throw new PeerError(`${p.cfg.url}: epoch announcement refused: HTTP ${r.status} ${JSON.stringify(r.text.split('\n')[0].slice(0, 200))}`, r.status);
        p.status.fenced = true;
        this.opts.logger.info("secondary knows this primary's epoch", { secondary: p.cfg.url, epoch: this.opts.epoch });
    }
    async fetchChecked(s, localSize) {
        const url = joinUrl(s.url, ENDPOINT.getSecondaryTreeHead);
        const r = await peerRequest(url, {
            timeoutMs: this.opts.timeoutMs,
            maxBytes: 4096,
            signal: this.opts.signal,
            headers: { [EPOCH_HEADER]: String(this.opts.epoch) },
        });
        if (r.status !== 200) {
            const theirs = Number(r.header(EPOCH_HEADER) ?? NaN);
            if (r.status === 409 && Number.isSafeInteger(theirs) && theirs > this.opts.epoch && !this.superseded) {
                this.superseded = { epoch: theirs, secondary: s.url };
                this.opts.logger.error('a secondary follows a primary of a higher epoch: this primary was superseded by a promotion and signs nothing more', { secondary: s.url, epoch: this.opts.epoch, newer_epoch: theirs });
            }
            throw new PeerError(`${url}: HTTP ${r.status}${r.text ? ` ${JSON.stringify(firstLine(r.text))}` : ''}`, r.status);
        }
        let sth;
        try {
            sth = parseSignedTreeHead(r.text);
        }
        catch (e) {
            throw new PeerError(`malformed secondary tree head: ${errorMessage(e)}`);
        }
        if (!verifyTreeHead(s.publicKey, sth))
            throw new PeerError('secondary tree head signature does not verify with the configured secondary key');
        if (sth.size > localSize) {
            // A replica of this primary can never be ahead of it: this primary lost leaves (a restored
            // backup, a replaced disk) or the secondary follows another primary. Either way, stop.
            if (!this.superseded && sth.size > this.tree.size()) {
                this.superseded = { epoch: this.opts.epoch, secondary: s.url, aheadBy: sth.size - this.tree.size() };
                this.opts.logger.error('a secondary holds more leaves than this primary: it lost leaves (restored from a backup?) or another primary runs; this primary signs nothing more', { secondary: s.url, secondary_size: sth.size, local_size: this.tree.size() });
            }
            throw new PeerError(`secondary is ahead of the primary (${sth.size} > ${localSize} leaves)`);
        }
        const root = this.tree.rootAt(sth.size);
        if (!bytesEqual(root, sth.rootHash)) {
            throw new PeerError(`secondary tree of size ${sth.size} is inconsistent with the primary's (root ${toHex(sth.rootHash)}, expected ${toHex(root)})`);
        }
        return sth.size;
    }
}
