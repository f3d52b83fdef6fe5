// SQLite implementation of LogStore: one database file, WAL, synchronous=FULL.
//
// Tables:
//   meta(key, value)                       format version, log key, role,
//                                           epoch, created_at
//   state(key, value)                      small values owned by the node
//                                           (published head, witness sizes)
//   rate_counts(counter, hour, count)       rate-limit counters, hourly
//   leaves(idx PK, leaf_hash UNIQUE, leaf)  leaves in sequence order; the
//                                           unique index answers dedup and
//                                           get-inclusion-proof by hash
//   nodes(level, idx, hash)                 one row per complete subtree of
//                                           level >= 2 (level 0 = leaf_hash,
//                                           level 1 computed from two of them)
//   tree_heads(size PK, root_hash, signature, signed_at)
//
// One row per complete subtree was chosen over tlog-tiles-shaped blobs after
// measuring both (doc/design.md): point reads of 32-byte rows are faster in
// SQLite than 8 KiB tile blobs, which spill into overflow pages.
//
// Concurrency: one writer (the process holding the data directory lock);
// readers such as `sigsum-log verify` may open the file read-only meanwhile.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { CompactRange, consistencyProof, inclusionProof, nodeHash, rootHash, type NodeReader } from '../sigsum/merkle.js';
import type { SignedTreeHead } from '../sigsum/treehead.js';
import { bytesEqual, toHex, type Hash, type Signature } from '../sigsum/types.js';
import { NodeCache } from './node-cache.js';
import { FORMAT_VERSION, STORED_NODE_MIN_LEVEL, StorageError, type LogStore, type NewLeaf, type RateCount, type Role, type StoredTreeHead } from './store.js';

export const DB_FILE = 'log.db';

/** Subtree hashes from this level up are cached in memory once read (node-cache.ts). */
const NODE_CACHE_MIN_LEVEL = 5;

const SCHEMA = `
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE leaves(idx INTEGER PRIMARY KEY, leaf_hash BLOB NOT NULL, leaf BLOB NOT NULL);
CREATE UNIQUE INDEX leaves_by_hash ON leaves(leaf_hash);
CREATE TABLE nodes(level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY(level, idx)) WITHOUT ROWID;
CREATE TABLE tree_heads(size INTEGER PRIMARY KEY, root_hash BLOB NOT NULL, signature BLOB NOT NULL, signed_at INTEGER NOT NULL);
CREATE TABLE state(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE rate_counts(counter TEXT NOT NULL, hour INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY(counter, hour)) WITHOUT ROWID;
`;

export interface CreateOptions {
  logPublicKeyHex: string;
  role: Role;
  now: number;
}

function pragmas(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = OFF');
  db.pragma('busy_timeout = 5000');
  readPragmas(db);
}

/** Random point reads (proofs, dedup) go through the OS page cache via mmap instead of read() calls. */
function readPragmas(db: Database.Database): void {
  db.pragma('mmap_size = 134217728'); // the first 128 MiB of the file mapped (counted in RSS once touched)
  db.pragma('cache_size = -32768'); // 32 MiB of SQLite page cache for the rest
}

/** Creates a new database file; fails if one exists. */
export function createSqliteStore(path: string, opts: CreateOptions): SqliteStore {
  if (existsSync(path)) throw new StorageError(`${path} already exists: refusing to overwrite a log`);
  const db = new Database(path);
  pragmas(db);
  db.transaction(() => {
    db.exec(SCHEMA);
    const put = db.prepare('INSERT INTO meta(key, value) VALUES (?, ?)');
    put.run('format_version', String(FORMAT_VERSION));
    put.run('log_public_key', opts.logPublicKeyHex);
    put.run('role', opts.role);
    put.run('epoch', '0');
    put.run('created_at', String(opts.now));
  })();
  return new SqliteStore(db, path);
}

/** Opens an existing database; `readonly` for inspection while a server runs. */
export function openSqliteStore(path: string, readonly = false): SqliteStore {
  if (!existsSync(path)) throw new StorageError(`${path} does not exist (create the log with "sigsum-log init")`);
  const db = new Database(path, { readonly, fileMustExist: true });
  if (!readonly) pragmas(db);
  else readPragmas(db);
  return new SqliteStore(db, path);
}

export class SqliteStore implements LogStore {
  readonly logPublicKeyHex: string;
  private _role: Role; // changed only by promote()
  private _epoch: number; // changed only by raiseEpoch() and promote()
  private edge: CompactRange; // owned by append(); replaced only after a commit
  private readonly stmt;
  private readonly reader: NodeReader;
  private readonly nodeCache = new NodeCache(NODE_CACHE_MIN_LEVEL); // immutable complete-subtree hashes
  private leafBlock: { start: number; hashes: Hash[] } | undefined; // see fromLeafBlock

  constructor(private readonly db: Database.Database, readonly path: string) {
    const meta = new Map<string, string>();
    try {
      for (const r of db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]) meta.set(r.key, r.value);
    } catch (e) {
      db.close();
      throw new StorageError(`${path} is not a sigsum-log database: ${(e as Error).message}`);
    }
    const version = Number(meta.get('format_version'));
    if (!Number.isInteger(version)) {
      db.close();
      throw new StorageError(`${path} has no format version: not a sigsum-log database`);
    }
    if (version > FORMAT_VERSION) {
      db.close();
      throw new StorageError(`${path} uses on-disk format ${version}, newer than this program supports (${FORMAT_VERSION}); upgrade sigsum-log`);
    }
    if (version < FORMAT_VERSION) {
      if (db.readonly) {
        db.close();
        throw new StorageError(`${path} uses on-disk format ${version}; start the node once with this version to migrate it to ${FORMAT_VERSION}`);
      }
      migrate(db, version);
      meta.set('epoch', db.prepare("SELECT value FROM meta WHERE key = 'epoch'").pluck().get() as string);
    }
    this.logPublicKeyHex = meta.get('log_public_key') ?? '';
    const role = meta.get('role');
    if (role !== 'primary' && role !== 'secondary') {
      db.close();
      throw new StorageError(`${path} has an unknown role ${JSON.stringify(role)}`);
    }
    this._role = role;
    const epoch = Number(meta.get('epoch'));
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      db.close();
      throw new StorageError(`${path} has an invalid epoch ${JSON.stringify(meta.get('epoch'))}`);
    }
    this._epoch = epoch;
    this.stmt = {
      count: db.prepare('SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM leaves').pluck(),
      insertLeaf: db.prepare('INSERT INTO leaves(idx, leaf_hash, leaf) VALUES (?, ?, ?)'),
      insertNode: db.prepare('INSERT INTO nodes(level, idx, hash) VALUES (?, ?, ?)'),
      byHash: db.prepare('SELECT idx FROM leaves WHERE leaf_hash = ?').pluck(),
      leafHash: db.prepare('SELECT leaf_hash FROM leaves WHERE idx = ?').pluck(),
      leafHashRange: db.prepare('SELECT leaf_hash FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx').pluck(),
      node: db.prepare('SELECT hash FROM nodes WHERE level = ? AND idx = ?').pluck(),
      range: db.prepare('SELECT leaf FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx').pluck(),
      latest: db.prepare('SELECT size, root_hash, signature, signed_at FROM tree_heads ORDER BY size DESC LIMIT 1'),
      insertHead: db.prepare('INSERT INTO tree_heads(size, root_hash, signature, signed_at) VALUES (?, ?, ?, ?)'),
      heads: db.prepare('SELECT size, root_hash, signature, signed_at FROM tree_heads ORDER BY size'),
      getState: db.prepare('SELECT value FROM state WHERE key = ?').pluck(),
      putState: db.prepare('INSERT INTO state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      putMeta: db.prepare('UPDATE meta SET value = ? WHERE key = ?'),
      rateSince: db.prepare('SELECT counter, hour, count FROM rate_counts WHERE hour >= ?'),
      ratePut: db.prepare('INSERT INTO rate_counts(counter, hour, count) VALUES (?, ?, ?) ON CONFLICT(counter, hour) DO UPDATE SET count = excluded.count'),
      ratePrune: db.prepare('DELETE FROM rate_counts WHERE hour < ?'),
      chunk: db.prepare('SELECT idx, leaf_hash, leaf FROM leaves WHERE idx >= ? ORDER BY idx LIMIT 8192'),
    };
    this.reader = (level, index) => this.readNode(level, index);
    const n = this.stmt.count.get() as number;
    this.edge = CompactRange.load(this.reader, n);
  }

  get role(): Role {
    return this._role;
  }

  get epoch(): number {
    return this._epoch;
  }

  size(): number {
    return this.edge.size;
  }

  edgeRoot(): Hash {
    return this.edge.root();
  }

  append(leaves: readonly NewLeaf[], check?: (size: number, root: Hash) => void): number {
    if (leaves.length === 0) return this.edge.size;
    const next = this.edge.clone();
    const { insertLeaf, insertNode } = this.stmt;
    this.db.transaction(() => {
      for (const l of leaves) {
        const index = next.size;
        insertLeaf.run(index, l.leafHash, l.leaf);
        next.append(l.leafHash, (level, idx, hash) => {
          if (level >= STORED_NODE_MIN_LEVEL) insertNode.run(level, idx, hash);
        });
      }
      check?.(next.size, next.root());
    })();
    this.edge = next;
    return next.size;
  }

  leafIndex(leafHash: Hash): number | undefined {
    return this.stmt.byHash.get(leafHash) as number | undefined;
  }

  getLeaves(start: number, end: number): Uint8Array[] {
    if (end > this.edge.size) throw new StorageError(`leaves [${start}, ${end}) beyond stored size ${this.edge.size}`);
    return this.stmt.range.all(start, end) as Uint8Array[];
  }

  /**
   * A complete subtree's hash. Hashes of levels >= NODE_CACHE_MIN_LEVEL are
   * kept in memory once read (a complete subtree never changes), so a proof
   * reads at most that many levels from SQLite; the cache is bounded.
   */
  readNode(level: number, index: number): Hash {
    const cacheable = level >= NODE_CACHE_MIN_LEVEL;
    if (cacheable) {
      const hit = this.nodeCache.get(level, index);
      if (hit) return hit;
    }
    const h = level <= 1 ? this.fromLeafBlock(level, index) : this.maybeNode(level, index);
    if (!h) throw new StorageError(`missing subtree hash at level ${level}, index ${index}`);
    if (cacheable) this.nodeCache.set(level, index, h);
    return h;
  }

  /**
   * Levels 0 and 1 from the aligned block of 4 leaf hashes around them, read
   * with one range query and kept until another block is needed: an
   * inclusion proof reads a leaf's sibling and its parent's sibling, both in
   * that block.
   */
  private fromLeafBlock(level: number, index: number): Hash | undefined {
    const first = level === 0 ? index : 2 * index;
    const start = first - (first % 4);
    if (this.leafBlock?.start !== start || this.leafBlock.hashes.length < 4) {
      this.leafBlock = { start, hashes: this.stmt.leafHashRange.all(start, start + 4) as Hash[] };
    }
    const b = this.leafBlock.hashes;
    const at = first - start;
    if (level === 0) return b[at];
    return b[at] && b[at + 1] ? nodeHash(b[at], b[at + 1]) : undefined;
  }

  maybeNode(level: number, index: number): Hash | undefined {
    if (level === 1) {
      const l = this.maybeNode(0, 2 * index);
      const r = l && this.maybeNode(0, 2 * index + 1);
      return r && nodeHash(l!, r);
    }
    const h = (level === 0 ? this.stmt.leafHash.get(index) : this.stmt.node.get(level, index)) as Buffer | undefined;
    if (h && h.length !== 32) throw new StorageError(`corrupt subtree hash at level ${level}, index ${index}`);
    return h as unknown as Hash | undefined;
  }

  rootAt(size: number): Hash {
    this.checkSize(size);
    return rootHash(this.reader, size);
  }

  inclusionProof(index: number, size: number): Hash[] {
    this.checkSize(size);
    return inclusionProof(this.reader, index, size);
  }

  consistencyProof(oldSize: number, newSize: number): Hash[] {
    this.checkSize(newSize);
    return consistencyProof(this.reader, oldSize, newSize);
  }

  private checkSize(size: number): void {
    if (size > this.edge.size) throw new StorageError(`tree size ${size} beyond stored size ${this.edge.size}`);
  }

  latestTreeHead(): StoredTreeHead | undefined {
    const r = this.stmt.latest.get() as HeadRow | undefined;
    return r && rowToHead(r);
  }

  storeTreeHead(sth: SignedTreeHead, signedAt: number): void {
    this.db.transaction(() => {
      const latest = this.latestTreeHead();
      if (latest) {
        if (sth.size < latest.size) throw new StorageError(`refusing to store tree head of size ${sth.size}, smaller than stored ${latest.size}`);
        if (sth.size === latest.size) {
          if (!bytesEqual(sth.rootHash, latest.rootHash)) throw new StorageError(`refusing to store a second root for size ${sth.size}`);
          return;
        }
      }
      if (sth.size > this.edge.size) throw new StorageError(`refusing to store tree head of size ${sth.size} beyond stored leaves (${this.edge.size})`);
      this.stmt.insertHead.run(sth.size, sth.rootHash, sth.signature, signedAt);
    })();
  }

  getState(key: string): string | undefined {
    return this.stmt.getState.get(key) as string | undefined;
  }

  setState(values: Record<string, string>): void {
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(values)) this.stmt.putState.run(k, v);
    })();
  }

  rateCounts(sinceHour: number): RateCount[] {
    return this.stmt.rateSince.all(sinceHour) as RateCount[];
  }

  saveRateCounts(rows: readonly RateCount[], pruneBeforeHour: number): void {
    this.db.transaction(() => {
      for (const r of rows) this.stmt.ratePut.run(r.counter, r.hour, r.count);
      this.stmt.ratePrune.run(pruneBeforeHour);
    })();
  }

  raiseEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch <= this._epoch) return;
    this.stmt.putMeta.run(String(epoch), 'epoch');
    this._epoch = epoch;
  }

  promote(epoch: number): void {
    if (this._role !== 'secondary') throw new StorageError('only a secondary can be promoted');
    if (epoch <= this._epoch) throw new StorageError(`promotion epoch ${epoch} must exceed ${this._epoch}`);
    this.db.transaction(() => {
      this.stmt.putMeta.run('primary', 'role');
      this.stmt.putMeta.run(String(epoch), 'epoch');
    })();
    this._role = 'primary';
    this._epoch = epoch;
  }

  *treeHeads(): Iterable<StoredTreeHead> {
    for (const r of this.stmt.heads.all() as HeadRow[]) yield rowToHead(r);
  }

  /** Pages through the table (no open cursor, so callers may run other queries meanwhile). */
  *iterateLeaves(): Iterable<{ index: number; leaf: Uint8Array; leafHash: Hash }> {
    let from = 0;
    for (;;) {
      const rows = this.stmt.chunk.all(from) as { idx: number; leaf_hash: Buffer; leaf: Buffer }[];
      if (rows.length === 0) return;
      for (const r of rows) yield { index: r.idx, leaf: r.leaf, leafHash: r.leaf_hash as unknown as Hash };
      from = rows[rows.length - 1].idx + 1;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** For tests and fsck demonstrations only: raw access to the database. */
  rawDatabase(): Database.Database {
    return this.db;
  }

  describe(): string {
    return `${this.path} (${this.role}, log key ${this.logPublicKeyHex}, ${this.size()} leaves, edge root ${toHex(this.edgeRoot())})`;
  }
}

/** Forward migrations, one transaction each; downgrades are refused above. */
function migrate(db: Database.Database, from: number): void {
  const steps: Record<number, string> = {
    // 1 -> 2: promotion epoch and the node state table.
    1: `CREATE TABLE state(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        INSERT INTO meta(key, value) VALUES ('epoch', '0');`,
    // 2 -> 3: rate-limit counters.
    2: `CREATE TABLE rate_counts(counter TEXT NOT NULL, hour INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY(counter, hour)) WITHOUT ROWID;`,
    // 3 -> 4: level-1 subtree hashes are computed from the leaf hashes, no longer stored.
    3: `DELETE FROM nodes WHERE level = 1;`,
  };
  for (let v = from; v < FORMAT_VERSION; v++) {
    db.transaction(() => {
      db.exec(steps[v]);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'format_version'").run(String(v + 1));
    })();
  }
}

interface HeadRow {
  size: number;
  root_hash: Buffer;
  signature: Buffer;
  signed_at: number;
}

function rowToHead(r: HeadRow): StoredTreeHead {
  return { size: r.size, rootHash: r.root_hash as unknown as Hash, signature: r.signature as unknown as Signature, signedAt: r.signed_at };
}
