// The primary log: the one place that owns the log's life on a primary node.
//
// Mutable state and its owner (all on the event loop, no locks needed):
//   committed  - latest signed tree head, durable in storage; written only by
//                rotate(). Decides add-leaf 200 (leaf index < committed.size)
//                versus 202.
//   published  - what every read is bounded by; written only by publish(),
//                which rotate() calls directly without witnesses, and the
//                Cosigner calls once a head has its cosignatures (or at once
//                when publication does not wait for a quorum). Persisted, so
//                a restart serves the same cosigned head.
//   sequencer  - pool of accepted leaves, committed in batches (sequencer.ts).
//   replication - per-secondary status, written only inside rotate().
//
// Invariants kept here: a tree head is signed only over leaves that are
// durable locally and on the required secondaries (replication.ts); its root
// is recomputed from storage and must equal the in-memory edge; it must be
// consistent with the previous head (verified with a proof read from
// storage); it is stored durably before anyone can see it; it never shrinks.
import { parseAddLeafRequest, leafOfRequest, verifyLeafSignatureAsync, type AddLeafRequest } from '../sigsum/leaf.js';
import { verifyConsistency } from '../sigsum/merkle.js';
import { formatCosignedTreeHead, parseCosignedTreeHead, signTreeHead, treeHeadsEqual, verifyTreeHead, type CosignedTreeHead } from '../sigsum/treehead.js';
import { STATE_KEYS } from '../storage/store.js';
import { Cosigner, type CosignerOptions } from '../witness/cosigner.js';
import type { Signer } from '../sigsum/crypto.js';
import { bytesEqual, toHex, type Hash } from '../sigsum/types.js';
import type { LogStore, StoredTreeHead } from '../storage/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { Sequencer, defaultSequencerOptions, type SequencerOptions } from './sequencer.js';
import { HeldRequests } from './held-requests.js';
import type { Replication } from './replication.js';
import type { RateLimiter } from '../ratelimit/limiter.js';
import type { TokenVerifier } from '../ratelimit/token-verifier.js';
import type { Metrics } from '../metrics/metrics.js';
import { sha256 } from '../sigsum/crypto.js';

export interface PrimaryOptions {
  /** Milliseconds between rotations (tree-head signing rounds). */
  interval: number;
  /** Re-sign an unchanged tree head at least this often (milliseconds). */
  resignPeriod: number;
  sequencer: SequencerOptions;
  clock: Clock;
  logger: Logger;
  /** Leaf signature check; defaults to Ed25519 on the thread pool (injectable for tests). */
  verifyLeaf?: typeof verifyLeafSignatureAsync;
  /** Secondaries that must hold leaves before they are signed; none = a single node without protection against data loss. */
  replication?: Replication;
  /** Witness cosigning and publication policy; none = publish every signed head at once without cosignatures. */
  witnesses?: Omit<CosignerOptions, 'clock' | 'logger' | 'metrics'>;
  /** Rate limits and the submit-token verifier; none = no limits (tokens only format-checked). */
  limits?: { limiter: RateLimiter; tokens: TokenVerifier };
  metrics?: Metrics;
  /** Hold a repeated add-leaf for a pending leaf up to waitMs until it is published (then 200); see held-requests.ts. */
  hold?: { waitMs: number; maxHeld: number };
}

export type AddLeafOutcome =
  | { status: 200 } // in the committed tree
  | { status: 202 } // accepted, not yet committed
  | { status: 400; message: string } // token did not verify
  | { status: 403; message: string }
  | { status: 429; message: string }
  | { status: 503; message: string };

export class PrimaryLog {
  private committed: StoredTreeHead;
  private published: CosignedTreeHead;
  private publishedBody: string;
  private readonly sequencer: Sequencer;
  private readonly held: HeldRequests;
  private commits = 0; // batch commits so far (lets add-leaf skip a second storage lookup)
  private growthWaiters = new Set<{ beyond: number; resolve: () => void; timer: NodeJS.Timeout }>(); // secondaries' long polls
  readonly cosigner: Cosigner | undefined;
  private readonly verifyLeaf: typeof verifyLeafSignatureAsync;
  private timer: NodeJS.Timeout | undefined;
  private rotating: Promise<void> | undefined;
  private stopped = false;
  /** Last rotation failure, for status pages and metrics; cleared on success. */
  lastRotationError: string | undefined;
  /** Unix ms when the published head last changed (new head or new cosignatures). */
  publishedAt: number;

  constructor(
    readonly store: LogStore,
    private readonly signer: Signer,
    private readonly opts: PrimaryOptions,
  ) {
    const latest = store.latestTreeHead();
    if (!latest) throw new Error('no signed tree head in storage');
    if (toHex(signer.publicKey) !== store.logPublicKeyHex) throw new Error('signing key does not match the stored log key');
    this.committed = latest;
    this.published = this.loadPublished() ?? { ...latest, cosignatures: [] };
    this.publishedBody = formatCosignedTreeHead(this.published);
    this.publishedAt = opts.clock.now();
    this.cosigner = opts.witnesses
      ? new Cosigner(signer.publicKey, store, { ...opts.witnesses, clock: opts.clock, logger: opts.logger, metrics: opts.metrics }, cth => this.publish(cth), this.published)
      : undefined;
    this.verifyLeaf = opts.verifyLeaf ?? verifyLeafSignatureAsync;
    this.held = new HeldRequests(opts.hold ?? { waitMs: 0, maxHeld: 0 });
    this.sequencer = new Sequencer(store, { ...defaultSequencerOptions, ...opts.sequencer }, opts.logger, (_size, leaves, seconds) => {
      this.commits++;
      this.wakeGrowthWaiters();
      opts.metrics?.batchSize.observe(leaves);
      opts.metrics?.commitSeconds.observe(seconds);
      this.flushLimits();
    });
  }

  get publicKey() {
    return this.signer.publicKey;
  }

  committedTreeHead(): StoredTreeHead {
    return this.committed;
  }

  publishedTreeHead(): CosignedTreeHead {
    return this.published;
  }

  /** The get-tree-head body, serialized once per rotation. */
  treeHeadBody(): string {
    return this.publishedBody;
  }

  publishedSize(): number {
    return this.published.size;
  }

  epoch(): number {
    return this.store.epoch;
  }

  get replication(): Replication | undefined {
    return this.opts.replication;
  }

  pendingLeaves(): number {
    return this.sequencer.pending;
  }

  /**
   * add-leaf: dedup first (a leaf already stored or pooled needs no signature
   * check: identical bytes were verified when first accepted), then verify off
   * the event loop, then pool.
   */
  async addLeaf(req: AddLeafRequest, token?: string): Promise<AddLeafOutcome> {
    const { leaf, leafHash, checksum } = leafOfRequest(req);
    const known = this.lookup(leafHash);
    if (known) return known.status === 202 ? this.maybeHold(leafHash) : known;
    let release = () => {};
    if (this.opts.limits) {
      const { limiter, tokens } = this.opts.limits;
      let domain: string | undefined;
      if (token !== undefined) {
        try {
          domain = await tokens.verify(token);
        } catch (e) {
          this.opts.metrics?.tokenFailures.inc({ reason: (e as { reason?: string }).reason ?? 'other' });
          return { status: 400, message: `token: ${(e as Error).message}` };
        }
      }
      const d = limiter.reserve(toHex(sha256(req.publicKey)), domain);
      if (!d.ok) {
        this.opts.metrics?.rateLimited.inc({ limit: d.limit });
        return { status: 429, message: d.message };
      }
      release = d.release;
    }
    const commits = this.commits;
    if (!(await this.verifyLeaf(req.publicKey, checksum, req.signature))) {
      release();
      return { status: 403, message: 'invalid signature' };
    }
    // A concurrent request may have added it meanwhile: it is pooled, or (only if a batch was committed since) stored.
    const again = this.sequencer.has(leafHash) ? ({ status: 202 } as const) : this.commits !== commits ? this.lookup(leafHash) : undefined;
    if (again) {
      release();
      return again;
    }
    if (this.stopped) {
      release();
      return { status: 503, message: 'log is shutting down' };
    }
    if (!this.sequencer.add({ leaf, leafHash })) {
      release();
      return { status: 503, message: 'too many pending leaves, retry later' };
    }
    return { status: 202 };
  }

  /** A repeated add-leaf for a pending leaf: 202, or wait until it is published and answer 200 (held-requests.ts). */
  private maybeHold(leafHash: Hash): Promise<AddLeafOutcome> | AddLeafOutcome {
    if (!this.held.canHold()) return { status: 202 };
    return this.held.hold(leafHash);
  }

  /**
   * Resolves once more than `beyond` leaves are stored, or after `ms` (a
   * secondary's long poll: it learns of new leaves at once instead of on its
   * next poll). Returns false when too many are waiting already.
   */
  waitForGrowth(beyond: number, ms: number): Promise<void> | false {
    if (this.store.size() > beyond || this.stopped) return Promise.resolve();
    if (this.growthWaiters.size >= 64) return false;
    return new Promise(resolve => {
      const w = {
        beyond,
        resolve,
        timer: setTimeout(() => {
          this.growthWaiters.delete(w);
          resolve();
        }, ms),
      };
      this.growthWaiters.add(w);
    });
  }

  private wakeGrowthWaiters(): void {
    const size = this.store.size();
    for (const w of this.growthWaiters) {
      if (size <= w.beyond && !this.stopped) continue;
      clearTimeout(w.timer);
      this.growthWaiters.delete(w);
      w.resolve();
    }
  }

  /** Held requests currently waiting (metrics). */
  heldRequests(): number {
    return this.held.count;
  }

  private flushLimits(): void {
    try {
      this.opts.limits?.limiter.flush();
    } catch (e) {
      this.opts.logger.error('could not store rate-limit counters', { error: (e as Error).message });
    }
  }

  /** Parses and submits a raw add-leaf body (convenience for tests and tools). */
  addLeafBody(body: string): Promise<AddLeafOutcome> {
    return this.addLeaf(parseAddLeafRequest(body));
  }

  private lookup(leafHash: Hash): AddLeafOutcome | undefined {
    if (this.sequencer.has(leafHash)) return { status: 202 };
    const idx = this.store.leafIndex(leafHash);
    if (idx === undefined) return undefined;
    return idx < this.committed.size ? { status: 200 } : { status: 202 };
  }

  start(): void {
    this.sequencer.start();
    // Fixed-rate rounds (start to start), like log-go's ticker; a round that
    // overruns delays the next one rather than overlapping it.
    let next = performance.now();
    const tick = () => {
      if (this.stopped) return;
      next += this.opts.interval;
      void this.rotate().finally(() => {
        if (this.stopped) return;
        const now = performance.now();
        if (next < now) next = now;
        this.timer = setTimeout(tick, next - now);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Commits pooled leaves now (tests, shutdown). */
  flush(): void {
    this.sequencer.flushAll();
  }

  /** One signing round; concurrent calls share the round in progress. */
  rotate(): Promise<void> {
    if (!this.rotating) {
      this.rotating = this.rotateOnce().finally(() => {
        this.rotating = undefined;
      });
    }
    return this.rotating;
  }

  private async rotateOnce(): Promise<void> {
    const prev = this.committed;
    const local = this.store.size();
    const resignDue = this.opts.clock.now() - prev.signedAt >= this.opts.resignPeriod || this.published.size !== prev.size;
    if (local === prev.size && !resignDue) return;
    try {
      let size = local;
      if (this.opts.replication && local > prev.size) {
        // Never beyond what the required secondaries hold, never below the current head.
        size = Math.max(prev.size, Math.min(local, await this.opts.replication.replicatedSize(local)));
        if (size === prev.size && !resignDue) {
          this.recovered(prev.size);
          return;
        }
      }
      const next = this.checkedNextHead(prev, size);
      const sth = signTreeHead(this.signer, next);
      const now = this.opts.clock.now();
      this.store.storeTreeHead(sth, now);
      this.committed = { ...sth, signedAt: now };
      if (this.cosigner) this.cosigner.offer(sth);
      else this.publish({ ...sth, cosignatures: [] });
      this.recovered(size);
      if (size !== prev.size) this.opts.logger.debug('signed tree head', { size, root_hash: toHex(sth.rootHash) });
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== this.lastRotationError) this.opts.logger.error('refusing to sign a new tree head', { error: msg, committed_size: prev.size });
      this.lastRotationError = msg;
    }
  }

  private recovered(size: number): void {
    if (this.lastRotationError) this.opts.logger.info('signing tree heads again', { size });
    this.lastRotationError = undefined;
  }

  /** The next tree head, recomputed from storage and proven consistent with the previous one. */
  private checkedNextHead(prev: StoredTreeHead, size: number): { size: number; rootHash: Hash } {
    if (size < prev.size) throw new Error(`stored tree (${size}) is smaller than the signed tree head (${prev.size})`);
    const root = this.store.rootAt(size);
    if (size === this.store.size() && !bytesEqual(root, this.store.edgeRoot())) {
      throw new Error(`root recomputed from storage ${toHex(root)} differs from the in-memory tree ${toHex(this.store.edgeRoot())} at size ${size}`);
    }
    const next = { size, rootHash: root };
    if (size === prev.size) {
      if (!treeHeadsEqual(prev, next)) throw new Error(`root at size ${size} changed since it was signed`);
    } else if (prev.size > 0) {
      const proof = this.store.consistencyProof(prev.size, size);
      if (!verifyConsistency(prev.size, size, prev.rootHash, root, proof)) {
        throw new Error(`tree at size ${size} is not consistent with the signed tree head of size ${prev.size}`);
      }
    }
    return next;
  }

  private publish(cth: CosignedTreeHead): void {
    const body = formatCosignedTreeHead(cth);
    if (body === this.publishedBody) return;
    // Persisted only when it says more than the stored signed head (cosignatures): saves an fsync per round otherwise.
    if (cth.cosignatures.length > 0 || this.store.getState(STATE_KEYS.publishedTreeHead) !== undefined) this.store.setState({ [STATE_KEYS.publishedTreeHead]: body });
    this.published = cth;
    this.publishedBody = body;
    this.publishedAt = this.opts.clock.now();
    if (this.held.count > 0) {
      this.held.settle(h => {
        const i = this.store.leafIndex(h);
        return i !== undefined && i < cth.size;
      });
    }
  }

  /** The published head saved before a restart (or by this node as a secondary), if it still fits the stored tree. */
  private loadPublished(): CosignedTreeHead | undefined {
    const text = this.store.getState(STATE_KEYS.publishedTreeHead);
    if (!text) return undefined;
    try {
      const cth = parseCosignedTreeHead(text);
      if (verifyTreeHead(this.signer.publicKey, cth) && cth.size <= this.committed.size && bytesEqual(this.store.rootAt(cth.size), cth.rootHash)) {
        const known = this.opts.witnesses ? new Set(this.opts.witnesses.policy.witnesses.map(w => w.keyHash)) : undefined;
        return { ...cth, cosignatures: known ? cth.cosignatures.filter(c => known.has(toHex(c.keyHash))) : cth.cosignatures };
      }
    } catch {
      // fall through
    }
    this.opts.logger.warning('ignoring the stored published tree head: it does not match the signed tree');
    return undefined;
  }

  /** Stops timers, commits the pool, signs what is durable, leaves storage open. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.sequencer.stop();
    if (this.rotating) await this.rotating;
    await this.cosigner?.stop();
    this.held.releaseAll();
    this.wakeGrowthWaiters();
    try {
      this.sequencer.flushAll();
    } catch (e) {
      this.opts.logger.error('could not commit pending leaves at shutdown (they were answered 202 only)', { error: (e as Error).message });
    }
    this.stopped = false;
    await this.rotateOnce();
    this.stopped = true;
    this.flushLimits();
  }
}
