// Full consistency check of a stored tree, in resumable steps: rehash every
// leaf, check that the unique index finds it at its own index, recompute every
// complete subtree and compare it with the stored hash, and check every
// stored signed tree head (signature, and root equal to the tree recomputed
// at its size). `sigsum-log verify`, promotion and backup run it to the end
// (fsck()); the scrubber runs it continuously at a bounded rate (scrubber.ts).
// Problems name the table, index and level, so an operator knows what is
// damaged.
import { CompactRange, leafHash } from '../sigsum/merkle.js';
import { verifyTreeHead } from '../sigsum/treehead.js';
import { bytesEqual, toHex, type Hash, type PublicKey } from '../sigsum/types.js';
import { STORED_NODE_MIN_LEVEL, type LeafScanner, type StoredTreeHead } from './ports.js';

const span = (level: number, idx: number) => `leaves [${idx * 2 ** level}, ${(idx + 1) * 2 ** level})`;

/** Leaves per block: the smallest stored subtree. */
const BLOCK = 2 ** STORED_NODE_MIN_LEVEL;

/** An incremental checker positioned after `position` leaves whose right edge is `peaks`. */
export class TreeChecker {
  private edge: CompactRange;
  nodes = 0;
  heads = 0;
  private pendingHeads: StoredTreeHead[] = [];

  constructor(
    private readonly store: LeafScanner,
    private readonly logKey: PublicKey,
    start?: { position: number; peaks: Hash[] },
  ) {
    this.edge = start ? CompactRange.fromPeaks(start.position, start.peaks) : CompactRange.empty();
  }

  get position(): number {
    return this.edge.size;
  }

  peaks(): Hash[] {
    return this.edge.peakHashes();
  }

  /** Checks the signed heads at the current position (size 0 at the start of a pass). */
  begin(): string | undefined {
    this.pendingHeads = [...this.store.treeHeads(this.position, this.position)];
    return this.checkHeads();
  }

  /**
   * Checks up to `limit` more leaves; returns the first problem found, if any.
   * Stops at the stored size. `proven` hears of each aligned block of
   * 2^STORED_NODE_MIN_LEVEL leaves read whole in this step whose leaves hash
   * to its stored subtree (checked-reads.ts can then skip hashing them).
   */
  step(limit: number, proven?: (first: number, leaves: Uint8Array[]) => void): { checked: number; problem?: string } {
    const from = this.position;
    const rows = this.store.scanLeaves(from, Math.min(limit, this.store.size() - from));
    // The heads this step reaches (only a window: the table holds one per signed size).
    this.pendingHeads = [...this.store.treeHeads(from + 1, from + rows.length)];
    let checked = 0;
    for (const { index, leaf, leafHash: stored } of rows) {
      const expected = this.position;
      if (index !== expected)
        return { checked, problem: `leaves table: row ${expected} is missing (next stored index is ${index})` };
      if (leaf.length !== 128)
        return { checked, problem: `leaves table: leaf ${index} is ${leaf.length} bytes, not 128` };
      const h = leafHash(leaf);
      if (!bytesEqual(h, stored))
        return {
          checked,
          problem: `leaves table: leaf ${index}: stored leaf hash ${toHex(stored)}, but the leaf hashes to ${toHex(h)}`,
        };
      const found = this.store.leafIndex(h);
      if (found !== index)
        return {
          checked,
          problem: `index leaves_by_hash: leaf hash ${toHex(h)} of leaf ${index} ${found === undefined ? 'is not found' : `points at row ${found}`}`,
        };
      let problem: string | undefined;
      this.edge.append(h, (level, idx, hash) => {
        if (level < STORED_NODE_MIN_LEVEL || problem) return;
        this.nodes++;
        const s = this.store.storedNode(level, idx);
        if (!s) problem = `nodes table: subtree (level ${level}, index ${idx}) covering ${span(level, idx)} is missing`;
        else if (!bytesEqual(s, hash))
          problem = `nodes table: subtree (level ${level}, index ${idx}) covering ${span(level, idx)}: stored ${toHex(s)}, recomputed ${toHex(hash)}`;
      });
      if (problem) return { checked, problem };
      checked++;
      const first = index + 1 - BLOCK;
      if (proven && (index + 1) % BLOCK === 0 && first >= from)
        proven(
          first,
          rows.slice(first - from, index + 1 - from).map(r => r.leaf),
        );
      problem = this.checkHeads();
      if (problem) return { checked, problem };
    }
    if (rows.length === 0 && from < this.store.size())
      return { checked, problem: `leaves table: row ${from} is missing` };
    return { checked };
  }

  private checkHeads(): string | undefined {
    while (this.pendingHeads.length > 0 && this.pendingHeads[0].size <= this.position) {
      const h = this.pendingHeads.shift()!;
      if (h.size < this.position) continue;
      this.heads++;
      if (!verifyTreeHead(this.logKey, h))
        return `tree_heads table: signed tree head of size ${h.size}: signature does not verify with log key ${toHex(this.logKey)}`;
      if (!bytesEqual(h.rootHash, this.edge.root()))
        return `tree_heads table: signed tree head of size ${h.size}: root ${toHex(h.rootHash)}, but the stored leaves give ${toHex(this.edge.root())}`;
    }
    return undefined;
  }

  /** After the last step of a pass: heads beyond the stored leaves are damage too. */
  finish(): string | undefined {
    const [beyond] = this.store.treeHeads(this.position + 1, Number.MAX_SAFE_INTEGER);
    return beyond
      ? `tree_heads table: signed tree head of size ${beyond.size} is beyond the ${this.position} stored leaves`
      : undefined;
  }
}

export interface FsckResult {
  ok: boolean;
  leaves: number;
  nodes: number;
  treeHeads: number;
  /** The first problem found, if any. */
  problem?: string;
}

/** Checks the whole stored tree; `progress` is called every 65536 leaves and at the end. */
export function fsck(
  store: LeafScanner,
  logPublicKey: PublicKey,
  progress?: (done: number, total: number) => void,
): FsckResult {
  const total = store.size();
  const c = new TreeChecker(store, logPublicKey);
  let problem = c.begin();
  while (!problem && c.position < total) {
    const r = c.step(Math.min(65536, total - c.position));
    problem = r.problem;
    progress?.(c.position, total);
    if (r.checked === 0 && !problem) break;
  }
  problem ??= c.position !== total ? `leaves table: expected ${total} leaves, found ${c.position}` : c.finish();
  return { ok: !problem, leaves: c.position, nodes: c.nodes, treeHeads: c.heads, problem };
}
