// Full consistency check of a data directory ("sigsum-log verify"): rehash
// every stored leaf, recompute every complete subtree and compare it with the
// stored node hash, and check every stored signed tree head (signature with
// the log key, root equal to the tree recomputed at its size). Stops at the
// first mismatch and says exactly where it is. Reads the database in one
// pass, so it is O(n) and safe to run against a live log (read-only).
import { CompactRange, leafHash } from '../sigsum/merkle.js';
import { verifyTreeHead } from '../sigsum/treehead.js';
import { bytesEqual, toHex, type PublicKey } from '../sigsum/types.js';
import { STORED_NODE_MIN_LEVEL, type LogStore, type StoredTreeHead } from './store.js';

export interface FsckResult {
  ok: boolean;
  leaves: number;
  nodes: number;
  treeHeads: number;
  /** The first mismatch found, if any. */
  problem?: string;
}

export function fsck(store: LogStore, logPublicKey: PublicKey, progress?: (done: number, total: number) => void): FsckResult {
  const total = store.size();
  const heads = [...store.treeHeads()];
  let headPos = 0;
  const edge = CompactRange.empty();
  let nodes = 0;
  let problem: string | undefined;

  const checkHeadsAt = (size: number): void => {
    while (!problem && headPos < heads.length && heads[headPos].size === size) {
      const h: StoredTreeHead = heads[headPos++];
      if (!verifyTreeHead(logPublicKey, h)) problem = `signed tree head of size ${h.size}: signature does not verify with log key ${toHex(logPublicKey)}`;
      else if (!bytesEqual(h.rootHash, edge.root())) problem = `signed tree head of size ${h.size}: root ${toHex(h.rootHash)} but the stored leaves give ${toHex(edge.root())}`;
    }
  };

  checkHeadsAt(0);
  let expected = 0;
  for (const { index, leaf, leafHash: stored } of store.iterateLeaves()) {
    if (problem) break;
    if (index !== expected) {
      problem = `leaf index ${expected} is missing (next stored index is ${index})`;
      break;
    }
    if (leaf.length !== 128) {
      problem = `leaf ${index}: stored leaf is ${leaf.length} bytes, not 128`;
      break;
    }
    const h = leafHash(leaf);
    if (!bytesEqual(h, stored)) {
      problem = `leaf ${index}: stored leaf hash ${toHex(stored)} but the leaf hashes to ${toHex(h)}`;
      break;
    }
    edge.append(h, (level, idx, hash) => {
      if (level < STORED_NODE_MIN_LEVEL || problem) return;
      nodes++;
      const s = store.maybeNode(level, idx);
      if (!s) problem = `subtree (level ${level}, index ${idx}) covering leaves [${idx * 2 ** level}, ${(idx + 1) * 2 ** level}) is missing`;
      else if (!bytesEqual(s, hash)) problem = `subtree (level ${level}, index ${idx}) covering leaves [${idx * 2 ** level}, ${(idx + 1) * 2 ** level}): stored ${toHex(s)}, recomputed ${toHex(hash)}`;
    });
    expected++;
    checkHeadsAt(expected);
    if (progress && (expected % 65536 === 0 || expected === total)) progress(expected, total);
  }
  if (!problem && expected !== total) problem = `expected ${total} leaves, found ${expected}`;
  if (!problem && headPos < heads.length) problem = `signed tree head of size ${heads[headPos].size} is beyond the ${expected} stored leaves`;
  return { ok: !problem, leaves: expected, nodes, treeHeads: headPos, problem };
}
