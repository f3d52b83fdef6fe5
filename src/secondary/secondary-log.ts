// The secondary log: the one place that owns a secondary node's life. It
// copies the primary's leaves, in the primary's order, into its own replica,
// and checks everything before it stores it:
//   - each round it reads the primary's unsigned head (size S, root R) and
//     proves with a consistency proof that R extends its own replica, so a
//     primary that rewrote an index this node holds is caught at once;
//   - each batch of leaves is appended in one transaction whose new root is
//     checked before the commit (equal to R at S, or proven consistent with R
//     by a proof from the batch's end to S); a bad batch stores nothing;
//   - every tree head signed by the log key is checked against the replica,
//     and the largest one seen is kept durably (promotion needs it).
// On any mismatch it halts: it stops replicating, keeps what it has, keeps
// serving, and says why (log line, status; metrics later). It never rewrites
// an index it holds. A primary with a lower epoch than one this node already
// followed is refused.
//
// Following a log-go primary (no unsigned head, only internal get-leaves):
// leaves up to the log's published head are checked against that head with
// proofs from the log's public URL; leaves beyond it are copied unchecked
// and checked once a published head covers them.
//
// Mutable state, all owned by the poll loop (one round at a time on the event
// loop): published/publishedBody (what public reads are bounded by), seen,
// halted, lastError, upstreamSize. HTTP handlers only read them.
import { verifyConsistency, leafHash } from '../sigsum/merkle.js';
import { formatCosignedTreeHead, formatSignedTreeHead, parseCosignedTreeHead, parseSignedTreeHead, signTreeHead, verifyTreeHead, type CosignedTreeHead, type SignedTreeHead, type TreeHead } from '../sigsum/treehead.js';
import type { Signer } from '../sigsum/crypto.js';
import { bytesEqual, toHex, type Hash, type PublicKey } from '../sigsum/types.js';
import { STATE_KEYS, type LogStore, type NewLeaf } from '../storage/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { HttpError } from '../http/respond.js';
import { PeerError } from '../net/fetch-text.js';
import type { PrimaryClient, Source } from './primary-client.js';

export interface SecondaryOptions {
  /** Milliseconds between polls once caught up. */
  interval: number;
  /** Most leaves per transaction. */
  chunk: number;
  /** Concurrent get-leaves requests while catching up. */
  parallel: number;
  clock: Clock;
  logger: Logger;
}

export const defaultSecondaryOptions = { interval: 250, chunk: 8192, parallel: 4 };

/** A mismatch between the primary and this replica: replication stops. */
export class Divergence extends Error {}

export class SecondaryLog {
  private published: CosignedTreeHead | undefined;
  private publishedBody: string | undefined;
  private seen: SignedTreeHead | undefined;
  private replicaHead: SignedTreeHead | undefined; // cache of the signed replica head
  private rangeHint = 4096; // learned from the primary's clamping
  private caughtUp = false; // the last round reached the primary's size: long-poll next
  private longPolled = true; // the primary honoured the last long poll (ours does unless busy; log-go has none)
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = true;
  /** Why replication stopped for good (until restart), if it did. */
  halted: string | undefined;
  /** The current transient failure (primary unreachable, stale epoch...), if any. */
  lastError: string | undefined;
  /** The primary's tree size at the last successful round. */
  upstreamSize = 0;
  mode: 'checked' | 'legacy' | undefined;

  constructor(
    readonly store: LogStore,
    private readonly signer: Signer,
    readonly logKey: PublicKey,
    private readonly client: PrimaryClient,
    private readonly opts: SecondaryOptions,
  ) {
    if (toHex(logKey) !== store.logPublicKeyHex) throw new Error(`the replica belongs to log key ${store.logPublicKeyHex}, not ${toHex(logKey)}`);
    if (bytesEqual(signer.publicKey, logKey)) throw new Error('a secondary must have its own key, not the log key (--key-file is the log key)');
    this.load();
  }

  private load(): void {
    const seenText = this.store.getState(STATE_KEYS.seenTreeHead);
    if (seenText) {
      const sth = parseSignedTreeHead(seenText);
      if (!verifyTreeHead(this.logKey, sth)) throw new Error('the stored last-seen tree head does not verify with the log key');
      this.seen = sth;
    }
    const body = this.store.getState(STATE_KEYS.publishedTreeHead);
    if (body) {
      const cth = parseCosignedTreeHead(body);
      if (verifyTreeHead(this.logKey, cth) && cth.size <= this.store.size() && bytesEqual(this.store.rootAt(cth.size), cth.rootHash)) {
        this.published = cth;
        this.publishedBody = body;
      } else {
        this.opts.logger.warning('ignoring the stored published tree head: it does not match the replica', { size: cth.size });
      }
    }
    if (!this.published) {
      const latest = this.store.latestTreeHead();
      if (latest) this.setPublished({ ...latest, cosignatures: [] }, false);
    }
  }

  // ---- read side (HTTP handlers) ----

  publishedSize(): number {
    return this.published?.size ?? 0;
  }

  treeHeadBody(): string {
    if (this.publishedBody === undefined) throw new HttpError(503, 'no verified tree head yet: this secondary has not replicated a published tree head');
    return this.publishedBody;
  }

  publishedTreeHead(): CosignedTreeHead | undefined {
    return this.published;
  }

  seenTreeHead(): SignedTreeHead | undefined {
    return this.seen;
  }

  /** get-secondary-tree-head: the replica's head signed with this node's key (signed once per size). */
  signedReplicaHead(): SignedTreeHead {
    const size = this.store.size();
    if (this.replicaHead?.size !== size) this.replicaHead = signTreeHead(this.signer, { size, rootHash: this.store.edgeRoot() });
    return this.replicaHead;
  }

  status(): string | undefined {
    if (this.halted) return `replication halted: ${this.halted}`;
    if (this.lastError) return `replication failing: ${this.lastError}`;
    return undefined;
  }

  // ---- the poll loop ----

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      let delay = this.opts.interval;
      this.polling = this.pollOnce()
        .then(more => {
          // More to copy, or caught up with a primary that long-polls: go again at once.
          if (more || (this.caughtUp && this.longPolled && this.mode === 'checked')) delay = 0;
          this.recovered();
        })
        .catch(e => this.failed(e as Error))
        .finally(() => {
          this.polling = undefined;
          if (!this.stopped && !this.halted) this.timer = setTimeout(tick, delay);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
  }

  private recovered(): void {
    if (this.lastError) this.opts.logger.info('replicating again', { primary: this.client.primaryUrl, size: this.store.size() });
    this.lastError = undefined;
  }

  private failed(e: Error): void {
    if (e instanceof Divergence) {
      this.halted = e.message;
      this.opts.logger.error('REPLICATION HALTED: the primary disagrees with this replica; nothing more is copied until an operator investigates and restarts this node', {
        reason: e.message,
        replica_size: this.store.size(),
        primary: this.client.primaryUrl,
      });
      return;
    }
    const msg = e.message;
    if (msg !== this.lastError) this.opts.logger.warning('replication round failed', { primary: this.client.primaryUrl, error: msg });
    this.lastError = msg;
  }

  /** One round; true if there is more to copy right away. Throws Divergence on a mismatch. */
  async pollOnce(): Promise<boolean> {
    if (this.halted) return false;
    const asked = this.caughtUp;
    const up = await this.client.unsignedHead(asked ? this.store.size() : undefined);
    // A primary that did not wait (too many long polls, or one without them): poll on the interval next time.
    this.longPolled = up !== 'legacy' && (!asked || up.longPolled);
    if (up === 'legacy') {
      this.mode = 'legacy';
      return this.pollLegacy();
    }
    this.mode = 'checked';
    this.checkEpoch(up.epoch);
    this.upstreamSize = up.size;
    const more = await this.copyChecked(up, 'internal');
    this.caughtUp = !more;
    const [signed, pub] = await Promise.all([this.client.signedHead(), this.client.publishedHead('internal')]);
    this.observeSigned(signed);
    this.observePublished(pub.head, pub.body);
    return more;
  }

  private async pollLegacy(): Promise<boolean> {
    let more: boolean;
    if (this.client.logUrl) {
      const pub = await this.client.publishedHead('public');
      this.observeSigned(pub.head, false);
      more = pub.head.size > this.store.size() ? await this.copyChecked(pub.head, 'public') : false;
      if (!more) more = await this.copyUnchecked();
      this.observePublished(pub.head, pub.body);
    } else {
      more = await this.copyUnchecked();
    }
    this.upstreamSize = Math.max(this.upstreamSize, this.store.size());
    return more;
  }

  private checkEpoch(epoch: number): void {
    if (epoch < this.store.epoch) {
      throw new PeerError(
        `refusing to follow a primary of epoch ${epoch}: this node already followed a primary of epoch ${this.store.epoch}, which was promoted after it (an older primary must never overtake a newer one)`,
      );
    }
    if (epoch > this.store.epoch) {
      this.store.raiseEpoch(epoch);
      this.opts.logger.info('following a primary of a new epoch', { epoch, primary: this.client.primaryUrl });
    }
  }

  /** Copies the next chunk towards `target`, checking it before the commit. */
  private async copyChecked(target: TreeHead, source: Source): Promise<boolean> {
    const local = this.store.size();
    const S = target.size;
    if (S < local) throw new Divergence(`the primary's tree has ${S} leaves, fewer than the ${local} this replica holds (wrong primary, or it lost leaves)`);
    if (S === local) {
      if (!bytesEqual(this.store.edgeRoot(), target.rootHash)) throw new Divergence(`the primary's root at size ${S} differs from this replica's`);
      return false;
    }
    if (local > 0) {
      const proof = await this.client.consistencyProof(local, S, source);
      if (!verifyConsistency(local, S, this.store.edgeRoot(), target.rootHash, proof)) {
        throw new Divergence(`the primary's tree of size ${S} does not extend this replica of size ${local}: it changed leaves this replica already holds`);
      }
    }
    const leaves = await this.fetchRange(local, Math.min(S, local + this.opts.chunk));
    const end = local + leaves.length;
    const proof = end < S ? await this.client.consistencyProof(end, S, source) : undefined;
    this.append(leaves, (size, root) => {
      if (size === S ? !bytesEqual(root, target.rootHash) : !verifyConsistency(size, S, root, target.rootHash, proof!)) {
        throw new Divergence(`leaves [${local}, ${size}) from the primary do not match its own tree head of size ${S}`);
      }
    });
    return end < S;
  }

  /** log-go primary beyond its published head: copy what it has, checked later against published heads. */
  private async copyUnchecked(): Promise<boolean> {
    const local = this.store.size();
    const r = await this.client.leaves(local, local + Math.min(this.rangeHint, this.opts.chunk));
    if (r === 'end') return false;
    this.append(r);
    return true;
  }

  private async fetchRange(start: number, end: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    let pos = start;
    while (pos < end) {
      const n = this.rangeHint;
      const starts: number[] = [];
      for (let s = pos; s < end && starts.length < this.opts.parallel; s += n) starts.push(s);
      const results = await Promise.all(starts.map(s => this.client.leaves(s, Math.min(s + n, end))));
      for (let i = 0; i < results.length; i++) {
        const r = results[i];
        if (r === 'end') throw new PeerError(`the primary says its tree ends at ${starts[i]}, below the size it announced (${end} or more)`);
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

  private append(raw: Uint8Array[], check?: (size: number, root: Hash) => void): void {
    const leaves: NewLeaf[] = raw.map(leaf => ({ leaf, leafHash: leafHash(leaf) }));
    try {
      this.store.append(leaves, check);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'SQLITE_CONSTRAINT_UNIQUE') throw new Divergence(`the primary served a leaf that this replica already holds at another index (near index ${this.store.size()})`);
      throw e;
    }
    this.replicaHead = undefined;
  }

  // ---- tree heads signed by the log ----

  /** A tree head signed by the log key: checked against the replica and against the largest one seen. */
  private observeSigned(sth: SignedTreeHead, latest = true): void {
    if (!verifyTreeHead(this.logKey, sth)) throw new Divergence(`the primary serves a tree head of size ${sth.size} that does not verify with the log key ${toHex(this.logKey)}`);
    const seen = this.seen;
    if (seen) {
      // The published head may trail the latest signed one; only the latter must never shrink.
      if (latest && sth.size < seen.size) throw new Divergence(`the log signed a tree head of size ${sth.size} after one of size ${seen.size}: it rolled back`);
      if (sth.size === seen.size && !bytesEqual(sth.rootHash, seen.rootHash)) throw new Divergence(`the log signed two different roots for size ${sth.size}: a fork`);
    }
    this.checkAgainstReplica(sth);
    if (!seen || sth.size > seen.size) {
      this.store.setState({ [STATE_KEYS.seenTreeHead]: formatSignedTreeHead(sth) });
      this.seen = sth;
    }
  }

  private observePublished(cth: CosignedTreeHead, body: string): void {
    this.observeSigned(cth, false);
    if (cth.size > this.store.size()) return; // not replicated yet: keep serving the previous head
    if (this.published && cth.size < this.published.size) return;
    if (body === this.publishedBody) return;
    if (!this.published || cth.size > this.published.size) this.store.storeTreeHead(cth, this.opts.clock.now());
    this.setPublished(cth, true, body);
  }

  private setPublished(cth: CosignedTreeHead, persist: boolean, body = formatCosignedTreeHead(cth)): void {
    if (persist) this.store.setState({ [STATE_KEYS.publishedTreeHead]: body });
    this.published = cth;
    this.publishedBody = body;
  }

  private checkAgainstReplica(th: TreeHead): void {
    if (th.size > this.store.size()) return;
    const root = this.store.rootAt(th.size);
    if (!bytesEqual(root, th.rootHash)) throw new Divergence(`the log signed root ${toHex(th.rootHash)} for size ${th.size}, but this replica's root at that size is ${toHex(root)}`);
  }
}
