// The one storage interface of a log node: an append-only sequence of leaves,
// the hashes of every complete subtree over them (so proofs are O(log n)
// reads), a unique index by leaf hash, and the history of signed tree heads.
// SQLite lives behind it (sqlite.ts); everything above depends only on this.
import type { Hash } from '../sigsum/types.js';
import type { SignedTreeHead } from '../sigsum/treehead.js';

/** Version of the on-disk format written by this code; checked at open. */
export const FORMAT_VERSION = 4;

/**
 * Lowest level of subtree hashes stored in the nodes table (format 4): level
 * 0 is the leaf hash (leaves table), level 1 is computed from two leaf hashes
 * when needed (half the rows, about 21 bytes per leaf saved).
 */
export const STORED_NODE_MIN_LEVEL = 2;

export type Role = 'primary' | 'secondary';

export interface NewLeaf {
  leaf: Uint8Array; // 128 bytes
  leafHash: Hash;
}

export interface StoredTreeHead extends SignedTreeHead {
  signedAt: number; // unix milliseconds when first stored
}

export interface LogStore {
  /** The hex log public key this data directory was created for. */
  readonly logPublicKeyHex: string;
  /** The node's role; changes only through promote(). */
  readonly role: Role;
  /**
   * Promotion counter: on a primary, its own epoch (0 for a log created by
   * init, +1 per promotion); on a secondary, the highest epoch of any primary
   * it has followed.
   */
  readonly epoch: number;

  /** Number of durably stored leaves. */
  size(): number;
  /** Root of all stored leaves, from the in-memory right edge (no reads). */
  edgeRoot(): Hash;

  /**
   * Appends leaves at index size() in one durable transaction, together with
   * every subtree hash they complete. Returns the new size. `check`, if given,
   * sees the new size and root before the commit and may throw to abort. On
   * error nothing is stored and the in-memory edge is unchanged.
   */
  append(leaves: readonly NewLeaf[], check?: (size: number, root: Hash) => void): number;

  leafIndex(leafHash: Hash): number | undefined;
  /** Leaves [start, end) (raw 128-byte leaves); end <= size(). */
  getLeaves(start: number, end: number): Uint8Array[];
  /** Hash of the complete subtree (level, index), read from storage. */
  readNode(level: number, index: number): Hash;

  /** Root at `size` computed from stored subtree hashes: O(log n) reads. */
  rootAt(size: number): Hash;
  inclusionProof(index: number, size: number): Hash[];
  consistencyProof(oldSize: number, newSize: number): Hash[];

  latestTreeHead(): StoredTreeHead | undefined;
  /**
   * Stores a signed tree head durably. Refuses a head smaller than the latest,
   * a head of the same size with another root, or one beyond the stored leaves.
   * Storing the latest head again is a no-op.
   */
  storeTreeHead(sth: SignedTreeHead, signedAt: number): void;
  /** Every stored signed tree head, by increasing size. */
  treeHeads(): Iterable<StoredTreeHead>;

  /** Small durable values (published head, witness state), by key. */
  getState(key: string): string | undefined;
  setState(values: Record<string, string>): void;
  /** Rate-limit counters per (counter, hour) since `sinceHour` (hours since the epoch). */
  rateCounts(sinceHour: number): RateCount[];
  /** Stores counters (absolute values) and drops those older than `pruneBeforeHour`, in one transaction. */
  saveRateCounts(rows: readonly RateCount[], pruneBeforeHour: number): void;
  /** Raises the stored epoch (never lowers it). */
  raiseEpoch(epoch: number): void;
  /** Turns a secondary's replica into a primary with the given epoch, in one transaction. */
  promote(epoch: number): void;

  /** Streams every leaf with its stored leaf hash (for verify/fsck). */
  iterateLeaves(): Iterable<{ index: number; leaf: Uint8Array; leafHash: Hash }>;
  /** Stored hash of a subtree if present (fsck), else undefined. */
  maybeNode(level: number, index: number): Hash | undefined;

  close(): void;
}

export class StorageError extends Error {}

export interface RateCount {
  counter: string;
  hour: number;
  count: number;
}

/** Keys of LogStore.getState/setState, so every user names them the same. */
export const STATE_KEYS = {
  /** Secondary: the largest tree head signed by the log key that this node has seen (signed tree head ASCII), possibly beyond its replica. */
  seenTreeHead: 'seen_tree_head',
  /** Secondary: the published (cosigned) tree head it serves, within its replica (get-tree-head ASCII). */
  publishedTreeHead: 'published_tree_head',
} as const;
