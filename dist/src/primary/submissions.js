// The add-leaf path of a primary, cheapest check first:
//   1. dedup: a leaf already pooled or stored needs no other check (identical
//      bytes were verified when first accepted) and is answered from the
//      stored row: included if its index is below the size that decides 200,
//      else accepted (a repeat of a pending leaf may be held until it is
//      published, held-requests.ts);
//   2. the leaf signature (Ed25519 off the event loop): a request that fails
//      here costs no DNS lookup and no rate-limit quota;
//   3. the sigsum-token (DNS, cached) and the rate limit, charged only now;
//   4. the pool (back-pressure when full; the charge is given back).
// Owned by the event loop; the only mutable state is in the Sequencer, the
// HeldRequests and the RateLimiter it calls.
import { leafOfRequest, verifyLeafSignatureAsync } from '../sigsum/leaf.js';
import { sha256 } from '../sigsum/crypto.js';
import { toHex } from '../sigsum/types.js';
import { TokenError } from '../ratelimit/token-verifier.js';
import { HeldRequests } from './held-requests.js';
import { errorMessage } from '../util/errors.js';
export class Submissions {
    opts;
    held;
    verifyLeaf;
    /** Batch commits so far (lets a submission skip a second storage lookup when none happened). */
    commits = 0;
    constructor(opts) {
        this.opts = opts;
        this.held = new HeldRequests(opts.hold);
        this.verifyLeaf = opts.verifyLeaf ?? verifyLeafSignatureAsync;
    }
    get heldRequests() {
        return this.held.count;
    }
    /** A batch was committed (called by the owner of the Sequencer's commit hook). */
    committed() {
        this.commits++;
    }
    /** The head that decides 200 grew: answer held requests whose leaf it now covers. */
    published(size) {
        if (this.held.count === 0)
            return;
        this.held.settle(h => {
            const i = this.opts.tree.leafIndex(h);
            return i !== undefined && i < size;
        });
    }
    /** Shutdown: every held request gets its answer now. */
    releaseAll() {
        this.held.releaseAll();
    }
    /** `token`: the sigsum-token header value, already checked for format; `signal`: the client went away. */
    async add(req, token, signal) {
        const { leaf, leafHash, checksum } = leafOfRequest(req);
        const known = this.lookup(leafHash);
        if (known)
            return known.kind === 'accepted' && this.held.canHold() ? this.held.hold(leafHash, signal) : known;
        const refused = this.opts.refusal();
        if (refused)
            return { kind: 'unavailable', reason: refused };
        const commits = this.commits;
        if (!(await this.verifyLeaf(req.publicKey, checksum, req.signature)))
            return { kind: 'bad-signature' };
        let release = () => { };
        let domain;
        const { limits } = this.opts;
        if (limits && token !== undefined) {
            try {
                domain = await limits.tokens.verify(token);
            }
            catch (e) {
                const reason = e instanceof TokenError ? e.reason : 'other';
                this.opts.events.tokenFailed(reason);
                if (reason === 'busy')
                    return { kind: 'unavailable', reason: 'too many submit-token lookups in progress, retry later' };
                return { kind: 'bad-token', reason: `token: ${errorMessage(e)}` };
            }
        }
        // A concurrent request may have added it meanwhile: it is pooled, or (only if a batch was committed since) stored.
        const again = this.opts.sequencer.has(leafHash)
            ? { kind: 'accepted' }
            : this.commits !== commits
                ? this.lookup(leafHash)
                : undefined;
        if (again)
            return again;
        if (limits) {
            const d = limits.limiter.reserve(toHex(sha256(req.publicKey)), domain);
            if (!d.ok) {
                this.opts.events.rateLimited(d.limit);
                return { kind: 'rate-limited', reason: d.message };
            }
            release = d.release;
        }
        const refusedNow = this.opts.refusal();
        if (refusedNow || !this.opts.sequencer.add({ leaf, leafHash })) {
            release();
            return { kind: 'unavailable', reason: refusedNow ?? 'too many pending leaves, retry later' };
        }
        return { kind: 'accepted' };
    }
    lookup(leafHash) {
        if (this.opts.sequencer.has(leafHash))
            return { kind: 'accepted' };
        const idx = this.opts.tree.leafIndex(leafHash);
        if (idx === undefined)
            return undefined;
        return idx < this.opts.includedSize() ? { kind: 'included' } : { kind: 'accepted' };
    }
}
