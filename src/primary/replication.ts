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
// answer within the timeout, counts as size 0.
//
// Mutable state: `status` per secondary, written only by replicatedSize()
// (called by the rotation, one at a time) and read by status pages/metrics.
import { sha256 } from '../sigsum/crypto.js';
import { parseSignedTreeHead, verifyTreeHead } from '../sigsum/treehead.js';
import { bytesEqual, toHex, type PublicKey } from '../sigsum/types.js';
import type { LogStore } from '../storage/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { fetchOk, joinUrl, PeerError } from '../net/fetch-text.js';

export interface SecondaryConfig {
  /** Internal base URL of the secondary, including its URL prefix. */
  url: string;
  publicKey: PublicKey;
}

export interface SecondaryStatus {
  url: string;
  keyHash: string;
  /** Size of the last good answer (kept while the secondary is failing, for lag reporting). */
  size: number;
  /** Whether the last attempt gave a good answer. */
  ok: boolean;
  error?: string;
  /** Unix ms of the last good answer. */
  lastOk?: number;
}

export interface ReplicationOptions {
  /** How many secondaries must hold a leaf before it is signed (1..n). */
  quorum: number;
  /** Deadline of each request to a secondary, in ms. */
  timeoutMs: number;
  clock: Clock;
  logger: Logger;
}

export class Replication {
  private readonly status: SecondaryStatus[];

  constructor(
    readonly secondaries: readonly SecondaryConfig[],
    private readonly store: LogStore,
    private readonly opts: ReplicationOptions,
  ) {
    if (secondaries.length === 0) throw new Error('replication needs at least one secondary');
    if (!Number.isInteger(opts.quorum) || opts.quorum < 1 || opts.quorum > secondaries.length) {
      throw new Error(`replication quorum ${opts.quorum} must be between 1 and the number of secondaries (${secondaries.length})`);
    }
    const seen = new Set<string>();
    for (const s of secondaries) {
      const kh = toHex(sha256(s.publicKey));
      if (seen.has(kh)) throw new Error(`secondary key ${kh} is configured twice: each secondary needs its own key`);
      seen.add(kh);
    }
    this.status = secondaries.map(s => ({ url: s.url, keyHash: toHex(sha256(s.publicKey)), size: 0, ok: false }));
  }

  get quorum(): number {
    return this.opts.quorum;
  }

  statuses(): readonly SecondaryStatus[] {
    return this.status;
  }

  /**
   * The largest size that at least `quorum` secondaries hold consistently with
   * the local tree of size `localSize` (the quorum-th largest checked size).
   */
  async replicatedSize(localSize: number): Promise<number> {
    const sizes = await Promise.all(this.secondaries.map((s, i) => this.check(s, i, localSize)));
    sizes.sort((a, b) => b - a);
    return sizes[this.opts.quorum - 1];
  }

  private async check(s: SecondaryConfig, i: number, localSize: number): Promise<number> {
    const st = this.status[i];
    try {
      const size = await this.fetchChecked(s, localSize);
      if (!st.ok) this.opts.logger.info(st.error ? 'secondary is replicating again' : 'secondary is replicating', { secondary: s.url, size });
      st.ok = true;
      st.error = undefined;
      st.size = size;
      st.lastOk = this.opts.clock.now();
      return size;
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== st.error) this.opts.logger.warning('secondary does not count towards replication', { secondary: s.url, error: msg });
      st.ok = false;
      st.error = msg;
      return 0;
    }
  }

  private async fetchChecked(s: SecondaryConfig, localSize: number): Promise<number> {
    const r = await fetchOk(joinUrl(s.url, 'get-secondary-tree-head'), { timeoutMs: this.opts.timeoutMs, maxBytes: 4096 });
    let sth;
    try {
      sth = parseSignedTreeHead(r.text);
    } catch (e) {
      throw new PeerError(`malformed secondary tree head: ${(e as Error).message}`);
    }
    if (!verifyTreeHead(s.publicKey, sth)) throw new PeerError('secondary tree head signature does not verify with the configured secondary key');
    if (sth.size > localSize) throw new PeerError(`secondary is ahead of the primary (${sth.size} > ${localSize} leaves)`);
    const root = this.store.rootAt(sth.size);
    if (!bytesEqual(root, sth.rootHash)) {
      throw new PeerError(`secondary tree of size ${sth.size} is inconsistent with the primary's (root ${toHex(sth.rootHash)}, expected ${toHex(root)})`);
    }
    return sth.size;
  }
}
