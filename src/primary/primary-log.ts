// The primary log: the one place that owns the log's life on a primary node.
//
// Mutable state and its owner (all on the event loop, no locks needed):
//   committed  - latest signed tree head, durable in storage; written only by
//                a signing round.
//   published  - what every read is bounded by; written only by publish(),
//                which a round calls directly without witnesses, and the
//                Cosigner calls once a head has its cosignatures (or at once
//                when publication does not wait for a quorum). Persisted, so
//                a restart serves the same cosigned head.
//   signedAt   - wall-clock time of the latest signature, never going back
//                (a clock behind it is reported, and the next signature is
//                stamped with the last one + 1 ms).
//   lastSignedMono - monotonic time of the latest signature (re-sign period).
//   accepting  - false from stopAccepting() on (shutdown).
// The pool lives in the Sequencer, the add-leaf path in Submissions, the
// per-secondary status in Replication, the witness state in the Cosigner.
//
// 200 versus 202: without witnesses a leaf is 'included' once a signed head
// covers it (log-go's rule); with a witness policy only once a *published*
// head does, so that a 200 never promises a leaf in a head the witnesses have
// not cosigned (a fenced old primary can sign, but never publish or answer
// 200; see doc/operations.md).
//
// Invariants kept by a signing round: a tree head is signed only over leaves
// that are durable locally and on the required secondaries (replication.ts);
// its root is recomputed from storage and must equal the in-memory edge; it
// must be consistent with the previous head (verified with a proof read from
// storage); it is stored durably before anyone can see it; it never shrinks.
import type { AddLeafRequest } from '../sigsum/leaf.js';
import { verifyConsistency } from '../sigsum/merkle.js';
import {
  formatCosignedTreeHead,
  signTreeHead,
  treeHeadsEqual,
  verifyTreeHead,
  type CosignedTreeHead,
  type TreeHead,
} from '../sigsum/treehead.js';
import type { Signer } from '../sigsum/crypto.js';
import { bytesEqual, toHex, type Hash } from '../sigsum/types.js';
import type { HeadStore, NodeIdentity, StoredTreeHead, TreeReader } from '../storage/ports.js';
import type { NodeState } from '../storage/state.js';
import { Condition } from '../util/condition.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Cosigner } from '../witness/cosigner.js';
import type { AddLeafOutcome } from './outcomes.js';
import type { Replication } from './replication.js';
import type { Sequencer } from './sequencer.js';
import { Submissions, type SubmissionOptions } from './submissions.js';
import { errorMessage } from '../util/errors.js';

export interface PrimaryLogOptions {
  tree: TreeReader;
  heads: HeadStore;
  identity: NodeIdentity;
  state: Pick<NodeState, 'publishedTreeHead' | 'publishedAt' | 'lastSigning'>;
  signer: Signer;
  sequencer: Sequencer;
  /** Secondaries that must hold leaves before they are signed; none = a single node without protection against data loss. */
  replication?: Replication;
  /** Witness cosigning; none = publish every signed head at once without cosignatures. */
  cosigner?: Cosigner;
  /** Milliseconds between signing rounds. */
  interval: number;
  /** Re-sign an unchanged tree head at least this often (milliseconds). */
  resignPeriod: number;
  /** Why storage must not be written now (the data directory vanished), if so. */
  storageFailure?: () => string | undefined;
  /** The storage failure already known, without checking again (cheap: asked on every add-leaf). */
  knownStorageFailure?: () => string | undefined;
  clock: Clock;
  logger: Logger;
  submissions: Omit<SubmissionOptions, 'tree' | 'sequencer' | 'includedSize' | 'refusal'>;
}

export class PrimaryLog {
  private committed: StoredTreeHead;
  private published: CosignedTreeHead;
  private publishedBody: string;
  private signedAt: number;
  private lastSignedMono = -Infinity;
  private accepting = true;
  private readonly submissions: Submissions;
  private readonly growthWaiters = new Set<{ beyond: number; resolve: () => void; timer: NodeJS.Timeout }>(); // secondaries' long polls
  private timer: NodeJS.Timeout | undefined;
  private rotating: Promise<void> | undefined;
  private stopped = false;
  private abandoned = false; // set by finish() at its deadline: rounds still running must not sign
  /** Signing refused (a check failed, the signer failed): one log line per change of state. */
  readonly signing: Condition;
  /** The wall clock is behind the latest signature. */
  readonly clockBehind: Condition;
  /** Another primary took over (a fenced secondary or a witness says so): nothing is signed or accepted any more. */
  readonly superseded: Condition;
  /** Unix ms when the published head last changed or was confirmed by a new signature. */
  publishedAt: number;
  /** Monotonic ms since when stored leaves have been waiting for a signature (replication or witnesses short), if they are. */
  unsignedSince: number | undefined;

  constructor(private readonly opts: PrimaryLogOptions) {
    const latest = opts.heads.latestTreeHead();
    if (!latest) throw new Error('no signed tree head in storage');
    if (toHex(opts.signer.publicKey) !== opts.identity.logPublicKeyHex)
      throw new Error('signing key does not match the stored log key');
    this.committed = latest;
    this.signedAt = Math.max(latest.signedAt, opts.state.lastSigning.get()?.at ?? 0);
    this.published = this.loadPublished() ?? { ...latest, cosignatures: [] };
    this.publishedBody = formatCosignedTreeHead(this.published);
    this.publishedAt = opts.state.publishedAt.get() ?? opts.clock.now();
    this.signing = new Condition(opts.logger, 'refusing to sign a new tree head', 'error');
    this.clockBehind = new Condition(
      opts.logger,
      'the clock is behind the latest tree head signature; signing with that time + 1 ms until it catches up',
      'warning',
    );
    this.superseded = new Condition(
      opts.logger,
      'this primary is superseded: it signs nothing and accepts no leaf',
      'error',
    );
    this.submissions = new Submissions({
      ...opts.submissions,
      tree: opts.tree,
      sequencer: opts.sequencer,
      includedSize: () => (opts.cosigner ? this.published.size : this.committed.size),
      refusal: () =>
        !this.accepting
          ? 'the log is shutting down'
          : ((opts.knownStorageFailure ?? opts.storageFailure)?.() ??
            (this.supersededBy() ? 'this log server is no longer the primary' : undefined)),
    });
    opts.cosigner?.attach(cth => this.publish(cth), this.published);
  }

  get publicKey() {
    return this.opts.signer.publicKey;
  }

  get replication(): Replication | undefined {
    return this.opts.replication;
  }

  get cosigner(): Cosigner | undefined {
    return this.opts.cosigner;
  }

  committedTreeHead(): StoredTreeHead {
    return this.committed;
  }

  /** Unix ms of the latest signature (a re-signed unchanged head counts). */
  lastSignedAt(): number {
    return this.signedAt;
  }

  publishedTreeHead(): CosignedTreeHead {
    return this.published;
  }

  /** The get-tree-head body, serialized once per change. */
  treeHeadBody(): string {
    return this.publishedBody;
  }

  /** The local tree: size and in-memory root (the anchor of the primary's internal reads). */
  localHead(): TreeHead {
    return { size: this.opts.tree.size(), rootHash: this.opts.tree.root() };
  }

  epoch(): number {
    return this.opts.identity.epoch;
  }

  pendingLeaves(): number {
    return this.opts.sequencer.pending;
  }

  heldRequests(): number {
    return this.submissions.heldRequests;
  }

  addLeaf(req: AddLeafRequest, token?: string, signal?: () => AbortSignal): Promise<AddLeafOutcome> {
    return this.submissions.add(req, token, signal);
  }

  /** The Sequencer committed a batch (wired by the composition root). */
  batchCommitted(): void {
    this.submissions.committed();
    this.wakeGrowthWaiters();
  }

  /**
   * Resolves once more than `beyond` leaves are stored, or after `ms`, or when
   * `signal` aborts (a secondary's long poll). Returns false when too many are
   * waiting already.
   */
  waitForGrowth(beyond: number, ms: number, signal?: AbortSignal): Promise<void> | false {
    if (this.opts.tree.size() > beyond || this.stopped) return Promise.resolve();
    if (this.growthWaiters.size >= 64) return false;
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

  private wakeGrowthWaiters(): void {
    const size = this.opts.tree.size();
    for (const w of [...this.growthWaiters]) if (size > w.beyond || this.stopped) w.resolve();
  }

  start(): void {
    this.opts.sequencer.start();
    // Fixed-rate rounds (start to start), like log-go's ticker; a round that
    // overruns delays the next one rather than overlapping it.
    let next = this.opts.clock.monotonic();
    const tick = () => {
      if (this.stopped) return;
      next += this.opts.interval;
      void this.rotate().finally(() => {
        if (this.stopped) return;
        const now = this.opts.clock.monotonic();
        if (next < now) next = now;
        this.timer = setTimeout(tick, next - now);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Commits pooled leaves now (tests, shutdown). */
  flush(): void {
    this.opts.sequencer.flushAll();
  }

  /** One signing round; concurrent calls share the round in progress. */
  rotate(): Promise<void> {
    this.rotating ??= this.rotateOnce().finally(() => {
      this.rotating = undefined;
    });
    return this.rotating;
  }

  /** Why this primary must consider itself superseded, if it must. */
  private supersededBy(): string | undefined {
    const r = this.opts.replication?.superseded;
    if (r?.aheadBy !== undefined)
      return `secondary ${r.secondary} holds ${r.aheadBy} more leaves than this primary (restored from a backup, or another primary runs)`;
    if (r) return `secondary ${r.secondary} follows a primary of epoch ${r.epoch} (this one: ${this.epoch()})`;
    return this.opts.cosigner?.alarm;
  }

  private async rotateOnce(): Promise<void> {
    const superseded = this.supersededBy();
    if (superseded) {
      this.superseded.set('superseded', superseded);
      this.unsignedSince ??= this.opts.clock.monotonic();
      return;
    }
    const prev = this.committed;
    const local = this.opts.tree.size();
    const resignDue =
      this.opts.clock.monotonic() - this.lastSignedMono >= this.opts.resignPeriod || this.published.size !== prev.size;
    if (local === prev.size && !resignDue) {
      this.unsignedSince = undefined;
      return;
    }
    let stage = 'storage'; // what failed, for one log line per change of state
    try {
      const failure = this.opts.storageFailure?.();
      if (failure) throw new Error(`storage unusable: ${failure}`);
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
      if (this.abandoned) return; // the shutdown gave up on this round
      stage = 'check';
      const next = this.checkedNextHead(prev, size);
      stage = 'signer';
      const sth = await signTreeHead(this.opts.signer, next);
      if (this.abandoned) return;
      stage = 'store';
      const at = this.stamp();
      this.opts.heads.storeTreeHead(sth, at);
      this.opts.state.lastSigning.set({ size: sth.size, at }, size !== prev.size); // a re-sign only says how fresh
      this.committed = { ...sth, signedAt: size === prev.size ? prev.signedAt : at };
      this.signedAt = at;
      this.lastSignedMono = this.opts.clock.monotonic();
      if (this.opts.cosigner) this.opts.cosigner.offer(sth);
      else this.publish({ ...sth, cosignatures: [] });
      this.signing.clear('signing tree heads again', { size });
      if (size !== prev.size) this.opts.logger.debug('signed tree head', { size, root_hash: toHex(sth.rootHash) });
      this.unsignedSince = size < local ? (this.unsignedSince ?? this.opts.clock.monotonic()) : undefined;
    } catch (e) {
      this.signing.set(stage, errorMessage(e), { committed_size: prev.size });
    }
  }

  /** The time to record for a signature now: never before the previous one. */
  private stamp(): number {
    const now = this.opts.clock.now();
    if (now >= this.signedAt) {
      this.clockBehind.clear('the clock is ahead of the latest signature again', { now });
      return now;
    }
    this.clockBehind.set(
      'behind',
      `clock ${new Date(now).toISOString()} is behind the latest signature ${new Date(this.signedAt).toISOString()}`,
      {
        behind_ms: this.signedAt - now,
      },
    );
    return this.signedAt + 1;
  }

  /** The next tree head, recomputed from storage and proven consistent with the previous one. */
  private checkedNextHead(prev: StoredTreeHead, size: number): TreeHead {
    if (size < prev.size) throw new Error(`stored tree (${size}) is smaller than the signed tree head (${prev.size})`);
    const root: Hash = this.opts.tree.rootAt(size);
    if (size === this.opts.tree.size() && !bytesEqual(root, this.opts.tree.root())) {
      throw new Error(
        `root recomputed from storage ${toHex(root)} differs from the in-memory tree ${toHex(this.opts.tree.root())} at size ${size}`,
      );
    }
    const next = { size, rootHash: root };
    if (size === prev.size) {
      if (!treeHeadsEqual(prev, next)) throw new Error(`root at size ${size} changed since it was signed`);
    } else if (prev.size > 0) {
      const proof = this.opts.tree.consistencyProof(prev.size, size);
      if (!verifyConsistency(prev.size, size, prev.rootHash, root, proof)) {
        throw new Error(`tree at size ${size} is not consistent with the signed tree head of size ${prev.size}`);
      }
    }
    return next;
  }

  private publish(cth: CosignedTreeHead): void {
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
    if (grew || this.opts.cosigner) this.submissions.published(this.opts.cosigner ? cth.size : this.committed.size);
  }

  /** The published head saved before a restart (or by this node as a secondary), if it still fits the stored tree. */
  private loadPublished(): CosignedTreeHead | undefined {
    let cth: CosignedTreeHead | undefined;
    try {
      cth = this.opts.state.publishedTreeHead.get();
    } catch {
      cth = undefined;
    }
    if (cth === undefined) return undefined;
    if (
      verifyTreeHead(this.opts.signer.publicKey, cth) &&
      cth.size <= this.committed.size &&
      bytesEqual(this.opts.tree.rootAt(cth.size), cth.rootHash)
    ) {
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
  stopAccepting(): void {
    this.accepting = false;
    this.submissions.releaseAll();
  }

  /**
   * Shutdown, second step (the internal listener still serves the
   * secondaries): commits the pool, then signs rounds until the signed head
   * covers every stored leaf or `deadline` (monotonic ms) passes. Returns the
   * number of stored leaves left unsigned.
   */
  async finish(deadline: number): Promise<number> {
    this.stopAccepting();
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.opts.sequencer.stop();
    this.wakeGrowthWaiters();
    try {
      this.opts.sequencer.flushAll();
    } catch (e) {
      this.opts.logger.error('could not commit pending leaves at shutdown (they were answered 202 only)', {
        error: errorMessage(e),
      });
    }
    // Every wait is bounded by the deadline: a peer that never answers must not hold the shutdown.
    const left = () => Math.max(0, deadline - this.opts.clock.monotonic());
    const bounded = async (p: Promise<void> | undefined) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([p, new Promise<void>(r => (timer = setTimeout(r, left())))]);
      clearTimeout(timer);
    };
    await bounded(this.rotating);
    while (this.committed.size < this.opts.tree.size() && left() > 0) {
      await bounded(this.rotateOnce());
      if (this.committed.size < this.opts.tree.size()) await new Promise(r => setTimeout(r, Math.min(50, left())));
    }
    this.abandoned = true; // a round still waiting for a peer signs nothing from now on
    return this.opts.tree.size() - this.committed.size;
  }
}
