// Reads that are verified before they leave the node. Every answer is checked
// against a tree head the node holds in memory (the published head for public
// reads, the in-memory right edge for a primary's internal reads), never only
// against what storage says about itself:
//   - an inclusion proof verifies for the leaf hash against the root at its
//     size, and that root is proven consistent with the head;
//   - a consistency proof verifies between the roots at both sizes, and the
//     newer one is proven consistent with the head;
//   - get-leaves data is hashed block by block and compared with the stored
//     subtree hashes over it (the tail past the last whole block against the
//     head's root), so a damaged row, two rows swapped whole or a damaged
//     subtree are all caught;
//   - a leaf-index lookup is checked against the leaf hash at the row it
//     points at, and the inclusion proof then places that hash under the head.
// Each costs O(log n) hashes (plus the range for get-leaves). A mismatch is
// never served: it throws DamageError after reporting what is damaged, as
// precisely as a few local checks can name it (table, index, level).
import { leafHash, nodeHash, rootFromRange, verifyConsistency, verifyInclusion } from '../sigsum/merkle.js';
import type { TreeHead } from '../sigsum/treehead.js';
import { bytesEqual, toHex, type Hash } from '../sigsum/types.js';
import { STORED_NODE_MIN_LEVEL, StorageError, type TreeReader } from './ports.js';
import { errorCode, errorMessage } from '../util/errors.js';
import { VerifiedBlocks } from './verified-blocks.js';

/** Leaves per block in the get-leaves check: the smallest stored subtree. */
const BLOCK = 2 ** STORED_NODE_MIN_LEVEL;

/** The maximal aligned complete subtrees (level, index) covering [from, to), left to right. */
function alignedSubtrees(from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  let at = from;
  while (at < to) {
    let level = 0;
    while (at % 2 ** (level + 1) === 0 && at + 2 ** (level + 1) <= to) level++;
    out.push([level, at / 2 ** level]);
    at += 2 ** level;
  }
  return out;
}

/** RFC 6962 hash of the complete subtree of `n` (a power of two) leaf hashes at `hashes[offset]`. */
function subtreeHash(hashes: readonly Hash[], offset: number, n: number): Hash {
  if (n === 1) return hashes[offset];
  const half = n / 2;
  return nodeHash(subtreeHash(hashes, offset, half), subtreeHash(hashes, offset + half, half));
}

/** Stored data that does not match the tree head it must belong to. Never served. */
export class DamageError extends Error {}

/** Told about every damage found (logging, metrics, health). */
export type DamageReport = (what: string) => void;

export class CheckedReads {
  private readonly verified = new VerifiedBlocks(); // blocks already proven; owned by this object's callers' one thread

  constructor(
    private readonly tree: TreeReader,
    private readonly report: DamageReport,
  ) {}

  /** The leaf's index and audit path in the tree of `size` leaves, or undefined if it is not among them. */
  inclusion(hash: Hash, size: number, head: TreeHead): { index: number; path: Hash[] } | undefined {
    return this.guard([], () => {
      const index = this.tree.leafIndex(hash);
      if (index === undefined || index >= size) return undefined;
      // The stored leaf hash at that row (from the block of leaf hashes the
      // proof reads anyway); the proof then shows it sits at `index` under the head.
      const stored = this.tree.node(0, index);
      if (!bytesEqual(stored, hash))
        throw this.damage(
          [index],
          `index leaves_by_hash: leaf hash ${toHex(hash)} points at row ${index}, whose leaf hash is ${toHex(stored)}`,
        );
      const path = this.tree.inclusionProof(index, size);
      const root = this.anchoredRoot(size, head, [index]);
      if (!verifyInclusion(hash, index, size, path, root))
        throw this.damage([index], `inclusion proof for leaf ${index} at size ${size} does not verify`);
      return { index, path };
    });
  }

  /** A consistency proof from `oldSize` to `newSize` (0 < old < new <= head.size). */
  consistency(oldSize: number, newSize: number, head: TreeHead): Hash[] {
    return this.guard([oldSize - 1, newSize - 1], () => {
      const path = this.tree.consistencyProof(oldSize, newSize);
      const newRoot = this.anchoredRoot(newSize, head, [newSize - 1]);
      if (!verifyConsistency(oldSize, newSize, this.tree.rootAt(oldSize), newRoot, path)) {
        throw this.damage(
          [oldSize - 1, newSize - 1],
          `consistency proof from ${oldSize} to ${newSize} does not verify`,
        );
      }
      return path;
    });
  }

  /**
   * Leaves [start, end) of the head's tree, checked against the tree itself:
   * the range, widened to whole blocks of BLOCK leaves, is cut into maximal
   * aligned subtrees, and each is hashed from the leaves and compared with its
   * stored subtree hash (one read per subtree, most of them cached); blocks
   * proven before are compared by fingerprint instead (verified-blocks.ts). Rows
   * swapped whole, a damaged leaf or leaf hash, or a damaged subtree all
   * differ. Leaves past the last whole block (at most BLOCK - 1, at the right
   * edge) are proven against the head's root instead.
   */
  leaves(start: number, end: number, head: TreeHead): Uint8Array[] {
    return this.guard([start, end - 1], () => {
      const lastBlockEnd = Math.floor(this.tree.size() / BLOCK) * BLOCK;
      const from = Math.min(start - (start % BLOCK), lastBlockEnd);
      const to = Math.max(from, Math.min(Math.ceil(end / BLOCK) * BLOCK, lastBlockEnd));
      // One read of the whole blocks (and the tail). Blocks proven before
      // with the same bytes (their fingerprints) need no hashing.
      const rows = this.tree.getLeaves(from, Math.max(to, end));
      const prints: number[] = [];
      let proven = true;
      for (let b = from; b < to; b += BLOCK) {
        const fp = VerifiedBlocks.fingerprint(rows, b - from, BLOCK);
        prints.push(fp);
        proven &&= this.verified.has(b / BLOCK, fp);
      }
      if (!proven) {
        const hashes = rows.slice(0, to - from).map(leafHash);
        for (const [level, index] of alignedSubtrees(from, to)) {
          const computed = subtreeHash(hashes, index * 2 ** level - from, 2 ** level);
          if (!bytesEqual(computed, this.tree.node(level, index))) {
            const first = Math.max(start, index * 2 ** level);
            const last = Math.min(end, (index + 1) * 2 ** level) - 1;
            const near = Array.from({ length: last - first + 1 }, (_, i) => first + i);
            throw this.damage(
              near,
              `leaves [${first}, ${last + 1}) do not hash to the stored subtree (level ${level}, index ${index})`,
            );
          }
        }
        prints.forEach((fp, i) => this.verified.remember(from / BLOCK + i, fp));
      }
      const leaves = rows.slice(start - from, end - from);
      const tail = Math.max(start, to);
      if (tail < end) {
        const root = rootFromRange(
          (l, i) => this.tree.node(l, i),
          head.size,
          tail,
          rows.slice(tail - from, end - from).map(leafHash),
        );
        if (!bytesEqual(root, head.rootHash)) {
          const near = Array.from({ length: end - tail }, (_, i) => tail + i);
          throw this.damage(near, `leaves [${tail}, ${end}) do not belong to the tree head of size ${head.size}`);
        }
      }
      return leaves;
    });
  }

  /** The root at `size`, proven consistent with `head` when it is not the head itself. */
  private anchoredRoot(size: number, head: TreeHead, near: number[]): Hash {
    if (size === head.size) return head.rootHash;
    const root = this.tree.rootAt(size);
    if (!verifyConsistency(size, head.size, root, head.rootHash, this.tree.consistencyProof(size, head.size))) {
      throw this.damage(
        near,
        `the stored tree at size ${size} is not consistent with the tree head of size ${head.size}`,
      );
    }
    return root;
  }

  /** Runs a read; storage errors (missing rows, malformed hashes, SQLite corruption) are damage too. */
  private guard<T>(near: number[], read: () => T): T {
    try {
      return read();
    } catch (e) {
      if (e instanceof DamageError) throw e;
      if (e instanceof StorageError || errorCode(e)?.startsWith('SQLITE_')) throw this.damage(near, errorMessage(e));
      throw e;
    }
  }

  /**
   * A block of leaves (from `first`, BLOCK of them) that the scrubber found to
   * hash to its stored subtree, exactly as leaves() would have checked it:
   * later reads of the same bytes are compared by fingerprint.
   */
  proven = (first: number, leaves: Uint8Array[]): void => {
    if (first % BLOCK === 0 && leaves.length === BLOCK)
      this.verified.remember(first / BLOCK, VerifiedBlocks.fingerprint(leaves, 0, BLOCK));
  };

  /** Damage found elsewhere (the scrubber): every block is proven again. */
  forgetProven = (): void => this.verified.clear();

  private damage(near: number[], symptom: string): DamageError {
    this.verified.clear();
    const what = locateDamage(this.tree, near) ?? symptom;
    this.report(what === symptom ? what : `${what} (found as: ${symptom})`);
    return new DamageError(`stored data does not match the published tree: ${what}`);
  }
}

/**
 * A few local checks around the given leaves: each leaf row against its leaf
 * hash, and each stored subtree on the leaves' paths to the root against its
 * two children. Names the first inconsistency found, or undefined.
 */
export function locateDamage(tree: TreeReader, leaves: readonly number[]): string | undefined {
  const size = tree.size();
  const safe = <T>(f: () => T): T | string => {
    try {
      return f();
    } catch (e) {
      return errorMessage(e);
    }
  };
  for (const index of leaves) {
    if (index < 0 || index >= size) continue;
    const row = safe(() => [tree.getLeaves(index, index + 1)[0], tree.leafHashes(index, index + 1)[0]] as const);
    if (typeof row === 'string') return row;
    const [leaf, stored] = row;
    if (leaf.length !== 128 || !bytesEqual(leafHash(leaf), stored))
      return `leaves table: leaf ${index} does not hash to its stored leaf hash ${toHex(stored)}`;
    for (let level = STORED_NODE_MIN_LEVEL; 2 ** level <= size; level++) {
      for (const i of [index >> level, (index >> level) ^ 1]) {
        if ((i + 1) * 2 ** level > size) continue;
        const bad = safe(() =>
          bytesEqual(tree.node(level, i), nodeHash(tree.node(level - 1, 2 * i), tree.node(level - 1, 2 * i + 1)))
            ? undefined
            : 'x',
        );
        if (bad !== undefined)
          return bad === 'x'
            ? `nodes table: subtree (level ${level}, index ${i}) does not match its two children`
            : bad;
      }
    }
  }
  return undefined;
}
