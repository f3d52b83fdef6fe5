// Reads that are verified before they leave the node. Every answer is checked
// against a tree head the node holds in memory (the published head for public
// reads, the in-memory right edge for a primary's internal reads), never only
// against what storage says about itself:
//   - an inclusion proof verifies for the leaf hash against the root at its
//     size, and that root is proven consistent with the head;
//   - a consistency proof verifies between the roots at both sizes, and the
//     newer one is proven consistent with the head;
//   - get-leaves data is hashed and the range is proven against the head's
//     root with the stored subtrees around it (a range proof), so a damaged
//     row, two rows swapped whole or a damaged subtree are all caught;
//   - a leaf-index lookup is checked against the leaf it points at.
// Each costs O(log n) hashes (plus the range for get-leaves). A mismatch is
// never served: it throws DamageError after reporting what is damaged, as
// precisely as a few local checks can name it (table, index, level).
import { leafHash, nodeHash, rootFromRange, verifyConsistency, verifyInclusion } from '../sigsum/merkle.js';
import type { TreeHead } from '../sigsum/treehead.js';
import { bytesEqual, toHex, type Hash } from '../sigsum/types.js';
import { STORED_NODE_MIN_LEVEL, StorageError, type TreeReader } from './ports.js';
import { errorCode, errorMessage } from '../util/errors.js';

/** Stored data that does not match the tree head it must belong to. Never served. */
export class DamageError extends Error {}

/** Told about every damage found (logging, metrics, health). */
export type DamageReport = (what: string) => void;

export class CheckedReads {
  constructor(
    private readonly tree: TreeReader,
    private readonly report: DamageReport,
  ) {}

  /** The leaf's index and audit path in the tree of `size` leaves, or undefined if it is not among them. */
  inclusion(hash: Hash, size: number, head: TreeHead): { index: number; path: Hash[] } | undefined {
    return this.guard([], () => {
      const index = this.tree.leafIndex(hash);
      if (index === undefined || index >= size) return undefined;
      const stored = leafHash(this.tree.getLeaves(index, index + 1)[0]);
      if (!bytesEqual(stored, hash))
        throw this.damage(
          [index],
          `index leaves_by_hash: leaf hash ${toHex(hash)} points at row ${index}, whose leaf hashes to ${toHex(stored)}`,
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

  /** Leaves [start, end), proven to be the head's leaves at those indices. */
  leaves(start: number, end: number, head: TreeHead): Uint8Array[] {
    return this.guard([start, end - 1], () => {
      const leaves = this.tree.getLeaves(start, end);
      const root = rootFromRange((l, i) => this.tree.node(l, i), head.size, start, leaves.map(leafHash));
      if (!bytesEqual(root, head.rootHash)) {
        const every = Array.from({ length: end - start }, (_, i) => start + i); // the failure path: look everywhere in the range
        throw this.damage(every, `leaves [${start}, ${end}) do not belong to the tree head of size ${head.size}`);
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

  private damage(near: number[], symptom: string): DamageError {
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
