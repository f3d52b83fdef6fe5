// One witness, seen from the log (C2SP tlog-witness add-checkpoint): sends the
// checkpoint with a consistency proof from the size this witness last
// cosigned, resyncs once on a 409 that states the witness's size, and checks
// the answer strictly: a cosignature/v1 line for this witness's key (key ID
// type 0x04; lines of other signature types are skipped), a valid signature,
// and a sane timestamp (below). The witness's size and last timestamp are kept by
// the caller (persisted), so a restart costs no 409 round trip.
//
// Timestamps (sigsum-go's verifiers ignore them; monitors read them for
// freshness): 0, values of 2^63 and more, and values more than
// maxFutureSkewMs (default WITNESS_MAX_FUTURE_MS, 24 h) ahead of this node's
// clock are refused; anything older is accepted, a witness's clock may be
// behind ours or set back. The skew is reported, not enforced.
import { verifyCosignature } from '../sigsum/treehead.js';
import { checkpointNote, findCosignature, formatAddCheckpoint, parseCosignatureLines, parseTlogSize, TLOG_SIZE_CONTENT_TYPE, } from '../sigsum/witness-protocol.js';
import { asHash } from '../sigsum/types.js';
import { sha256 } from '../sigsum/crypto.js';
import { joinUrl, PeerError, peerRequest } from '../net/http-client.js';
import { errorMessage } from '../util/errors.js';
/** Cosignature timestamps up to this far ahead of this node's clock are accepted: clocks are wrong by hours, not days. */
export const WITNESS_MAX_FUTURE_MS = 24 * 3_600_000;
export class WitnessError extends Error {
    kind;
    status;
    alarming;
    constructor(
    /** The kind of failure, stable across retries (one log line per change of kind). */
    kind, message, 
    /** HTTP status if the witness answered. */
    status, 
    /** The witness has cosigned a larger tree than this head: a rollback or a fork. */
    alarming = false) {
        super(message);
        this.kind = kind;
        this.status = status;
        this.alarming = alarming;
    }
}
export class WitnessClient {
    cfg;
    logKey;
    tree;
    opts;
    /** Whether the last cosign() needed a 409 resync (for metrics). */
    lastRetried = false;
    /** The last cosignature's timestamp minus this node's clock, in seconds. */
    lastSkewSeconds;
    constructor(cfg, logKey, tree, opts) {
        this.cfg = cfg;
        this.logKey = logKey;
        this.tree = tree;
        this.opts = opts;
    }
    /**
     * Gets `sth` cosigned. `memory` is this witness's state; it is updated in
     * place (new size after a 409, size and timestamp after success).
     */
    async cosign(sth, memory) {
        this.lastRetried = false;
        let r = await this.send(sth, memory.size);
        if (r.status === 409) {
            this.lastRetried = true;
            const media = (r.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
            const size = parseTlogSize(r.text);
            if (media !== TLOG_SIZE_CONTENT_TYPE || size === undefined)
                throw new WitnessError('409-unparsed', 'HTTP 409 without a text/x.tlog.size body', 409);
            memory.size = size;
            r = await this.send(sth, size);
            if (r.status === 409)
                throw new WitnessError('409-again', `HTTP 409 again after resyncing to size ${size} (the witness's state keeps changing)`, 409);
        }
        if (r.status !== 200)
            throw new WitnessError(`http-${r.status}`, `HTTP ${r.status}${r.text ? ` ${JSON.stringify(r.text.split('\n')[0].slice(0, 200))}` : ''}`, r.status);
        let lines;
        try {
            lines = parseCosignatureLines(r.text);
        }
        catch (e) {
            throw new WitnessError('malformed', `malformed answer: ${errorMessage(e)}`, 200);
        }
        const found = findCosignature(lines, this.cfg.publicKey);
        if (!found)
            throw new WitnessError('no-cosignature', 'no cosignature for the witness key in the answer', 200);
        const cosig = {
            keyHash: asHash(sha256(this.cfg.publicKey)),
            timestamp: found.timestamp,
            signature: found.signature,
        };
        if (!verifyCosignature(this.cfg.publicKey, this.logKey, sth, cosig))
            throw new WitnessError('invalid-cosignature', 'invalid cosignature', 200);
        const nowSeconds = BigInt(Math.floor(this.opts.clock.now() / 1000));
        if (cosig.timestamp === 0n)
            throw new WitnessError('timestamp-zero', 'cosignature timestamp is 0', 200);
        if (cosig.timestamp >= 1n << 63n)
            throw new WitnessError('timestamp-range', `cosignature timestamp ${cosig.timestamp} is beyond 2^63`, 200);
        if (cosig.timestamp > nowSeconds + BigInt(Math.ceil(this.opts.maxFutureSkewMs / 1000))) {
            throw new WitnessError('timestamp-future', `cosignature timestamp ${cosig.timestamp} is more than ${Math.round(this.opts.maxFutureSkewMs / 3_600_000)} h ahead of this node's clock (now ${nowSeconds})`, 200);
        }
        // Behind this node's clock, or behind the witness's previous one (its clock was set back): accepted,
        // as sigsum-go's verifiers do; the difference is reported (lastSkewSeconds).
        this.lastSkewSeconds = Number(cosig.timestamp - nowSeconds);
        memory.size = sth.size;
        if (cosig.timestamp > memory.timestamp)
            memory.timestamp = cosig.timestamp;
        return cosig;
    }
    async send(sth, oldSize) {
        if (oldSize > sth.size) {
            throw new WitnessError('witness-ahead', `the witness has cosigned a tree of size ${oldSize}, larger than this log's tree head (${sth.size}): the log was rolled back or forked`, undefined, true);
        }
        const proof = oldSize > 0 && oldSize < sth.size ? this.tree.consistencyProof(oldSize, sth.size) : [];
        const body = formatAddCheckpoint(oldSize, proof, checkpointNote(this.logKey, sth));
        try {
            return await peerRequest(joinUrl(this.cfg.url, 'add-checkpoint'), {
                method: 'POST',
                body,
                timeoutMs: this.opts.timeoutMs,
                maxBytes: 1 << 16,
                signal: this.opts.signal,
                headers: { 'content-type': 'text/plain; charset=utf-8' },
            });
        }
        catch (e) {
            if (e instanceof PeerError)
                throw new WitnessError(/no complete answer/.test(e.message) ? 'timeout' : 'network', e.message.replace(/^\S+: /, ''));
            throw e;
        }
    }
}
