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
import { leafOfRequest, verifyLeafSignatureAsync, type AddLeafRequest } from '../sigsum/leaf.js';
import { sha256 } from '../sigsum/crypto.js';
import { toHex, type Hash } from '../sigsum/types.js';
import type { TreeReader } from '../storage/ports.js';
import type { PrimaryEvents } from '../metrics/events.js';
import type { RateLimiter } from '../ratelimit/limiter.js';
import { TokenError, type TokenVerifier } from '../ratelimit/token-verifier.js';
import { HeldRequests } from './held-requests.js';
import type { AddLeafOutcome } from './outcomes.js';
import type { Sequencer } from './sequencer.js';
import { errorMessage } from '../util/errors.js';

export interface SubmissionOptions {
  tree: Pick<TreeReader, 'leafIndex'>;
  sequencer: Sequencer;
  /** Leaves with an index below this size are answered 'included' (200). */
  includedSize: () => number;
  /** Why submissions are refused right now (shutting down, storage unusable), if they are. */
  refusal: () => string | undefined;
  /** Leaf signature check; Ed25519 off the event loop by default (injectable for tests). */
  verifyLeaf?: typeof verifyLeafSignatureAsync;
  /** Rate limits and the submit-token verifier; none = no limits (tokens only format-checked by HTTP). */
  limits?: { limiter: RateLimiter; tokens: TokenVerifier };
  /** Hold a repeated add-leaf for a pending leaf until it is published (0 ms: never). */
  hold: { waitMs: number; maxHeld: number };
  events: PrimaryEvents;
}

export class Submissions {
  private readonly held: HeldRequests;
  private readonly verifyLeaf: typeof verifyLeafSignatureAsync;
  /** Batch commits so far (lets a submission skip a second storage lookup when none happened). */
  private commits = 0;

  constructor(private readonly opts: SubmissionOptions) {
    this.held = new HeldRequests(opts.hold);
    this.verifyLeaf = opts.verifyLeaf ?? verifyLeafSignatureAsync;
  }

  get heldRequests(): number {
    return this.held.count;
  }

  /** A batch was committed (called by the owner of the Sequencer's commit hook). */
  committed(): void {
    this.commits++;
  }

  /** The head that decides 200 grew: answer held requests whose leaf it now covers. */
  published(size: number): void {
    if (this.held.count === 0) return;
    this.held.settle(h => {
      const i = this.opts.tree.leafIndex(h);
      return i !== undefined && i < size;
    });
  }

  /** Shutdown: every held request gets its answer now. */
  releaseAll(): void {
    this.held.releaseAll();
  }

  /**
   * `token`: the sigsum-token header value, already checked for format;
   * `signal`: the client went away (called only for a request that is held:
   * creating one costs more than the rest of a dedup answer).
   */
  async add(req: AddLeafRequest, token?: string, signal?: () => AbortSignal): Promise<AddLeafOutcome> {
    const { leaf, leafHash, checksum } = leafOfRequest(req);
    const known = this.lookup(leafHash);
    if (known) return known.kind === 'accepted' && this.held.canHold() ? this.held.hold(leafHash, signal?.()) : known;
    const refused = this.opts.refusal();
    if (refused) return { kind: 'unavailable', reason: refused };
    const commits = this.commits;
    if (!(await this.verifyLeaf(req.publicKey, checksum, req.signature))) return { kind: 'bad-signature' };
    let release = () => {};
    let domain: string | undefined;
    const { limits } = this.opts;
    if (limits && token !== undefined) {
      try {
        domain = await limits.tokens.verify(token);
      } catch (e) {
        const reason = e instanceof TokenError ? e.reason : 'other';
        this.opts.events.tokenFailed(reason);
        if (reason === 'busy')
          return { kind: 'unavailable', reason: 'too many submit-token lookups in progress, retry later' };
        return { kind: 'bad-token', reason: `token: ${errorMessage(e)}` };
      }
    }
    // A concurrent request may have added it meanwhile: it is pooled, or (only if a batch was committed since) stored.
    const again = this.opts.sequencer.has(leafHash)
      ? ({ kind: 'accepted' } as const)
      : this.commits !== commits
        ? this.lookup(leafHash)
        : undefined;
    if (again) return again;
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

  private lookup(leafHash: Hash): AddLeafOutcome | undefined {
    if (this.opts.sequencer.has(leafHash)) return { kind: 'accepted' };
    const idx = this.opts.tree.leafIndex(leafHash);
    if (idx === undefined) return undefined;
    return idx < this.opts.includedSize() ? { kind: 'included' } : { kind: 'accepted' };
  }
}
