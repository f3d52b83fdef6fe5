// The storage ports: small interfaces that say who may read and who may write
// what. One SQLite store (sqlite.ts) implements all of them; the composition
// root (src/node/) hands each component only the ports it needs:
//
//   TreeReader        reads of the tree (proofs, leaves, roots); never writes.
//                     Replication checks, witness proofs, checked reads (HTTP).
//   TreeWriter        the one appender of leaves: the Sequencer on a primary,
//                     the SecondaryLog on a secondary.
//   HeadStore         the history of signed tree heads: the PrimaryLog's
//                     signing rounds, the heads a SecondaryLog holds, promotion.
//   NodeIdentity      log key, role and epoch; read by everyone.
//   EpochStore        raising the epoch: the SecondaryLog (fencing).
//   PromotionStore    the one-transaction role change of a promotion.
//   StateCell<T>      small typed values with one owner each (state.ts).
//   RateCounterStore  the RateLimiter's counters.
//   LeafScanner       full scans: fsck and the scrubber.
import type { SignedTreeHead } from '../sigsum/treehead.js';
import type { Hash } from '../sigsum/types.js';

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

/** Something wrong in storage, or a request beyond what is stored. */
export class StorageError extends Error {}

export interface TreeReader {
  /** Number of durably stored leaves. */
  size(): number;
  /** Root of all stored leaves, from the in-memory right edge (no reads). */
  root(): Hash;
  /** Index of the leaf with this leaf hash, from the unique index (unchecked). */
  leafIndex(leafHash: Hash): number | undefined;
  /** Raw 128-byte leaves [start, end); end <= size(). */
  getLeaves(start: number, end: number): Uint8Array[];
  /** Stored leaf hashes [start, end) (the leaves table's leaf_hash column). */
  leafHashes(start: number, end: number): Hash[];
  /** Hash of the complete subtree (level, index); throws StorageError if it is not stored. */
  node(level: number, index: number): Hash;
  /** Root at `size` from stored subtree hashes: O(log n) reads. */
  rootAt(size: number): Hash;
  inclusionProof(index: number, size: number): Hash[];
  consistencyProof(oldSize: number, newSize: number): Hash[];
}

export interface TreeWriter {
  /**
   * Appends leaves at index size() in one durable transaction, together with
   * every subtree hash they complete. Returns the new size. `check`, if given,
   * sees the new size and root before the commit and may throw to abort. On
   * error nothing is stored and the in-memory edge is unchanged.
   */
  append(leaves: readonly NewLeaf[], check?: (size: number, root: Hash) => void): number;
}

export interface HeadStore {
  latestTreeHead(): StoredTreeHead | undefined;
  /**
   * Stores a signed tree head durably. Refuses a head smaller than the latest,
   * a head of the same size with another root, or one beyond the stored leaves.
   * Storing the latest head again is a no-op.
   */
  storeTreeHead(sth: SignedTreeHead, signedAt: number): void;
  /** The stored signed tree heads of sizes in [fromSize, toSize] (default: all), by increasing size. */
  treeHeads(fromSize?: number, toSize?: number): Iterable<StoredTreeHead>;
}

export interface NodeIdentity {
  /** The hex log public key this data directory was created for. */
  readonly logPublicKeyHex: string;
  /** The node's role; changes only through promotion. */
  readonly role: Role;
  /**
   * Promotion counter: on a primary, its own epoch (0 for a log created by
   * init, +1 per promotion); on a secondary, the highest epoch of any primary
   * it has followed or been told about.
   */
  readonly epoch: number;
}

export interface EpochStore extends NodeIdentity {
  /** Raises the stored epoch durably (never lowers it). */
  raiseEpoch(epoch: number): void;
}

export interface PromotionStore extends NodeIdentity {
  /** Stores the promoted primary's first head, the role and the epoch in one transaction. */
  promote(first: SignedTreeHead, signedAt: number, epoch: number): void;
}

/** One small durable value with one owner. */
export interface StateCell<T> {
  get(): T | undefined;
  /**
   * Stores the value in its own transaction, durable (fsynced) unless
   * `durable` is false: for values that only say how fresh something is,
   * where losing the last write in a power cut loses nothing that matters
   * (a later durable commit makes it durable too).
   */
  set(value: T, durable?: boolean): void;
}

export interface RateCount {
  counter: string;
  hour: number;
  count: number;
}

export interface RateCounterStore {
  /** Rate-limit counters per (counter, hour) since `sinceHour` (hours since the epoch). */
  rateCounts(sinceHour: number): RateCount[];
  /** Stores counters (absolute values) and drops those older than `pruneBeforeHour`, in one transaction. */
  saveRateCounts(rows: readonly RateCount[], pruneBeforeHour: number): void;
}

export interface ScannedLeaf {
  index: number;
  leaf: Uint8Array;
  /** The leaf_hash column as stored (not recomputed). */
  leafHash: Hash;
}

export interface LeafScanner {
  size(): number;
  /** Up to `limit` stored leaves from index `from`, in order (rows as stored, gaps included). */
  scanLeaves(from: number, limit: number): ScannedLeaf[];
  /** Stored hash of a subtree of level >= STORED_NODE_MIN_LEVEL, if present. */
  storedNode(level: number, index: number): Hash | undefined;
  /** The unique index's answer for a leaf hash (checks the index against the rows). */
  leafIndex(leafHash: Hash): number | undefined;
  treeHeads(fromSize?: number, toSize?: number): Iterable<StoredTreeHead>;
}
