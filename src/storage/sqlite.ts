// The one SQLite store of a node (log.db: WAL, synchronous=FULL), implementing
// every storage port (ports.ts). Schema and migrations: schema.ts.
//
// Concurrency: one writer, the process holding the data directory's lock
// (lock.ts); readers such as `sigsum-log verify`, `status` and `backup` may
// open the file read-only meanwhile.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import {
  CompactRange,
  consistencyProof,
  inclusionProof,
  nodeHash,
  rootHash,
  type NodeReader,
} from '../sigsum/merkle.js';
import type { SignedTreeHead } from '../sigsum/treehead.js';
import { asHash, asSignature, bytesEqual, type Hash } from '../sigsum/types.js';
import { NodeCache } from './node-cache.js';
import {
  FORMAT_VERSION,
  STORED_NODE_MIN_LEVEL,
  StorageError,
  type EpochStore,
  type HeadStore,
  type LeafScanner,
  type NewLeaf,
  type PromotionStore,
  type RateCount,
  type RateCounterStore,
  type Role,
  type ScannedLeaf,
  type StoredTreeHead,
  type TreeReader,
  type TreeWriter,
} from './ports.js';
import { migrate, SCHEMA } from './schema.js';
import type { KeyValueStore } from './state.js';
import { errorMessage } from '../util/errors.js';

export const DB_FILE = 'log.db';

/** Subtree hashes from this level up are cached in memory once read (node-cache.ts). */
const NODE_CACHE_MIN_LEVEL = 5;

export interface CreateOptions {
  logPublicKeyHex: string;
  role: Role;
  now: number;
}

function writerPragmas(db: Database.Database): void {
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

/** Creates the schema in a new, empty database file (the caller created and locked the file). */
export function createSqliteStore(path: string, opts: CreateOptions): SqliteStore {
  const db = new Database(path, { fileMustExist: true });
  try {
    if (int(db.prepare('SELECT count(*) FROM sqlite_master').pluck().get(), 'sqlite_master') !== 0)
      throw new StorageError(`${path} is not empty: refusing to overwrite a log`);
    writerPragmas(db);
    db.transaction(() => {
      db.exec(SCHEMA);
      const put = db.prepare('INSERT INTO meta(key, value) VALUES (?, ?)');
      put.run('format_version', String(FORMAT_VERSION));
      put.run('log_public_key', opts.logPublicKeyHex);
      put.run('role', opts.role);
      put.run('epoch', '0');
      put.run('created_at', String(opts.now));
    })();
  } catch (e) {
    db.close();
    throw e;
  }
  return new SqliteStore(db, path);
}

/** Opens an existing database; `readonly` for inspection while a node runs. */
export function openSqliteStore(path: string, readonly = false): SqliteStore {
  if (!existsSync(path)) throw new StorageError(`${path} does not exist (create the log with "sigsum-log init")`);
  const db = new Database(path, { readonly, fileMustExist: true });
  try {
    if (readonly) readPragmas(db);
    else writerPragmas(db);
  } catch (e) {
    db.close();
    throw new StorageError(`${path}: ${errorMessage(e)}`);
  }
  return new SqliteStore(db, path);
}

export class SqliteStore
  implements TreeReader, TreeWriter, HeadStore, EpochStore, PromotionStore, RateCounterStore, LeafScanner, KeyValueStore
{
  readonly logPublicKeyHex: string;
  private _role: Role; // changed only by promote()
  private _epoch: number; // changed only by raiseEpoch() and promote()
  private edge: CompactRange; // owned by append(); replaced only after a commit
  private readonly stmt;
  private readonly reader: NodeReader;
  private readonly nodeCache = new NodeCache(NODE_CACHE_MIN_LEVEL); // immutable complete-subtree hashes
  private leafBlock: { start: number; hashes: Hash[] } | undefined; // see fromLeafBlock

  constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {
    const meta = new Map<string, string>();
    try {
      for (const r of db.prepare('SELECT key, value FROM meta').all())
        meta.set(text(field(r, 'key'), 'meta.key'), text(field(r, 'value'), 'meta.value'));
    } catch (e) {
      db.close();
      throw new StorageError(`${path} is not a sigsum-log database: ${errorMessage(e)}`);
    }
    const fail: (msg: string) => never = msg => {
      db.close();
      throw new StorageError(msg);
    };
    const version = Number(meta.get('format_version'));
    if (!Number.isInteger(version)) fail(`${path} has no format version: not a sigsum-log database`);
    if (version > FORMAT_VERSION)
      fail(
        `${path} uses on-disk format ${version}, newer than this program supports (${FORMAT_VERSION}); upgrade sigsum-log`,
      );
    if (version < FORMAT_VERSION) {
      if (db.readonly)
        fail(
          `${path} uses on-disk format ${version}; start the node once with this version to migrate it to ${FORMAT_VERSION}`,
        );
      migrate(db, version);
      meta.set('epoch', text(db.prepare("SELECT value FROM meta WHERE key = 'epoch'").pluck().get(), 'meta.epoch'));
    }
    this.logPublicKeyHex = meta.get('log_public_key') ?? '';
    const role = meta.get('role');
    if (role !== 'primary' && role !== 'secondary') fail(`${path} has an unknown role ${JSON.stringify(role)}`);
    this._role = role;
    const epoch = Number(meta.get('epoch'));
    if (!Number.isSafeInteger(epoch) || epoch < 0)
      fail(`${path} has an invalid epoch ${JSON.stringify(meta.get('epoch'))}`);
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
      heads: db.prepare(
        'SELECT size, root_hash, signature, signed_at FROM tree_heads WHERE size >= ? AND size <= ? ORDER BY size',
      ),
      getState: db.prepare('SELECT value FROM state WHERE key = ?').pluck(),
      putState: db.prepare(
        'INSERT INTO state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
      putMeta: db.prepare('UPDATE meta SET value = ? WHERE key = ?'),
      rateSince: db.prepare('SELECT counter, hour, count FROM rate_counts WHERE hour >= ?'),
      ratePut: db.prepare(
        'INSERT INTO rate_counts(counter, hour, count) VALUES (?, ?, ?) ON CONFLICT(counter, hour) DO UPDATE SET count = excluded.count',
      ),
      ratePrune: db.prepare('DELETE FROM rate_counts WHERE hour < ?'),
      scan: db.prepare('SELECT idx, leaf_hash, leaf FROM leaves WHERE idx >= ? ORDER BY idx LIMIT ?'),
    };
    this.reader = (level, index) => this.node(level, index);
    try {
      this.edge = CompactRange.load(this.reader, int(this.stmt.count.get(), 'leaves count'));
    } catch (e) {
      db.close();
      throw e instanceof StorageError
        ? new StorageError(`${path}: cannot load the right edge of the tree: ${e.message}`)
        : e;
    }
  }

  get role(): Role {
    return this._role;
  }

  get epoch(): number {
    return this._epoch;
  }

  /** The durability settings in force on this connection (logged at startup, checked by tests). */
  durability(): { journalMode: string; synchronous: number } {
    return {
      journalMode: text(this.db.pragma('journal_mode', { simple: true }), 'journal_mode'),
      synchronous: int(this.db.pragma('synchronous', { simple: true }), 'synchronous'),
    };
  }

  size(): number {
    return this.edge.size;
  }

  root(): Hash {
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
    const idx: unknown = this.stmt.byHash.get(leafHash);
    return idx === undefined ? undefined : int(idx, 'index leaves_by_hash');
  }

  getLeaves(start: number, end: number): Uint8Array[] {
    this.checkSize(end);
    const rows = this.stmt.range.all(start, end).map((r, i) => blob(r, `leaves table: leaf ${start + i}`));
    if (rows.length !== end - start)
      throw new StorageError(`leaves table: ${rows.length} rows stored for [${start}, ${end})`);
    return rows;
  }

  leafHashes(start: number, end: number): Hash[] {
    this.checkSize(end);
    const rows = this.stmt.leafHashRange.all(start, end).map((r, i) => storedHash(r, 0, start + i));
    if (rows.length !== end - start)
      throw new StorageError(`leaves table: ${rows.length} leaf hashes stored for [${start}, ${end})`);
    return rows;
  }

  /**
   * A complete subtree's hash. Hashes of levels >= NODE_CACHE_MIN_LEVEL are
   * kept in memory once read (a complete subtree never changes), so a proof
   * reads at most that many levels from SQLite.
   */
  node(level: number, index: number): Hash {
    const cacheable = level >= NODE_CACHE_MIN_LEVEL;
    if (cacheable) {
      const hit = this.nodeCache.get(level, index);
      if (hit) return hit;
    }
    const h = level <= 1 ? this.fromLeafBlock(level, index) : this.storedNode(level, index);
    if (!h)
      throw new StorageError(
        `${level <= 1 ? 'leaves table: missing leaf hash' : 'nodes table: missing subtree hash'} at level ${level}, index ${index}`,
      );
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
      this.leafBlock = {
        start,
        hashes: this.stmt.leafHashRange.all(start, start + 4).map((r, i) => storedHash(r, 0, start + i)),
      };
    }
    const b = this.leafBlock.hashes;
    const at = first - start;
    if (level === 0) return b[at];
    return b[at] && b[at + 1] ? nodeHash(b[at], b[at + 1]) : undefined;
  }

  storedNode(level: number, index: number): Hash | undefined {
    const h: unknown = this.stmt.node.get(level, index);
    return h === undefined ? undefined : storedHash(h, level, index);
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
    const r: unknown = this.stmt.latest.get();
    return r === undefined ? undefined : rowToHead(r);
  }

  storeTreeHead(sth: SignedTreeHead, signedAt: number): void {
    this.db.transaction(() => this.insertHead(sth, signedAt))();
  }

  private insertHead(sth: SignedTreeHead, signedAt: number): void {
    const latest = this.latestTreeHead();
    if (latest) {
      if (sth.size < latest.size)
        throw new StorageError(`refusing to store tree head of size ${sth.size}, smaller than stored ${latest.size}`);
      if (sth.size === latest.size) {
        if (!bytesEqual(sth.rootHash, latest.rootHash))
          throw new StorageError(`refusing to store a second root for size ${sth.size}`);
        return;
      }
    }
    if (sth.size > this.edge.size)
      throw new StorageError(
        `refusing to store tree head of size ${sth.size} beyond stored leaves (${this.edge.size})`,
      );
    this.stmt.insertHead.run(sth.size, sth.rootHash, sth.signature, signedAt);
  }

  *treeHeads(fromSize = 0, toSize = Number.MAX_SAFE_INTEGER): Iterable<StoredTreeHead> {
    for (const r of this.stmt.heads.iterate(fromSize, toSize)) yield rowToHead(r);
  }

  getState(key: string): string | undefined {
    const v: unknown = this.stmt.getState.get(key);
    return v === undefined ? undefined : text(v, `state.${key}`);
  }

  /** A non-durable write commits to the WAL without an fsync (synchronous=NORMAL for this one transaction). */
  setState(values: Record<string, string>, durable = true): void {
    const write = this.db.transaction(() => {
      for (const [k, v] of Object.entries(values)) this.stmt.putState.run(k, v);
    });
    if (durable) return write();
    this.db.pragma('synchronous = NORMAL');
    try {
      write();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  rateCounts(sinceHour: number): RateCount[] {
    return this.stmt.rateSince.all(sinceHour).map(r => ({
      counter: text(field(r, 'counter'), 'rate_counts'),
      hour: int(field(r, 'hour'), 'rate_counts'),
      count: int(field(r, 'count'), 'rate_counts'),
    }));
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

  promote(first: SignedTreeHead, signedAt: number, epoch: number): void {
    if (this._role !== 'secondary') throw new StorageError('only a secondary can be promoted');
    if (epoch <= this._epoch) throw new StorageError(`promotion epoch ${epoch} must exceed ${this._epoch}`);
    this.db.transaction(() => {
      this.insertHead(first, signedAt);
      this.stmt.putMeta.run('primary', 'role');
      this.stmt.putMeta.run(String(epoch), 'epoch');
    })();
    this._role = 'primary';
    this._epoch = epoch;
  }

  scanLeaves(from: number, limit: number): ScannedLeaf[] {
    return this.stmt.scan.all(from, limit).map(r => {
      const index = int(field(r, 'idx'), 'leaves table: idx');
      return {
        index,
        leaf: blob(field(r, 'leaf'), `leaves table: leaf ${index}`),
        leafHash: storedHash(field(r, 'leaf_hash'), 0, index),
      };
    });
  }

  /** SQLite's own check of the file (B-trees, pages, indexes): "ok" or the problems it names. */
  /**
   * SQLite's own check (PRAGMA integrity_check or quick_check): its lines,
   * as many as it produced before it gave up (a malformed page stops it), then
   * the error; "Tree N" is annotated with the table or index whose root page
   * is N, so an operator sees which table and page are damaged.
   */
  integrityCheck(quick = false): string[] {
    const lines: string[] = [];
    try {
      for (const r of this.db
        .prepare(quick ? 'PRAGMA quick_check' : 'PRAGMA integrity_check')
        .pluck()
        .iterate())
        lines.push(String(r));
    } catch (e) {
      lines.push(`SQLite stopped: ${errorMessage(e)}`);
    }
    const roots = new Map<number, string>();
    try {
      for (const r of this.db.prepare('SELECT type, name, rootpage FROM sqlite_master WHERE rootpage > 0').all())
        roots.set(
          int(field(r, 'rootpage'), 'sqlite_master'),
          `${text(field(r, 'type'), 'sqlite_master')} ${text(field(r, 'name'), 'sqlite_master')}`,
        );
    } catch {
      // the schema itself is unreadable: no names
    }
    return lines
      .flatMap(l => l.split('\n'))
      .map(l =>
        l.replace(/\bTree (\d+)\b/g, (m, n: string) => (roots.has(Number(n)) ? `${m} (${roots.get(Number(n))})` : m)),
      );
  }

  /**
   * An online, consistent copy of the database (SQLite's backup API). After
   * a first small step the rest is copied in one step, inside one read
   * transaction: a copy made in many steps would start over whenever the
   * running node commits in between (every few milliseconds under load). In
   * WAL mode the node's writes go on meanwhile.
   */
  backup(destination: string, progress?: (done: number, total: number) => void): Promise<void> {
    return this.db
      .backup(destination, {
        progress: p => {
          progress?.(p.totalPages - p.remainingPages, p.totalPages);
          return Math.max(1, p.remainingPages); // everything that is left, at once
        },
      })
      .then(() => undefined);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

// What SQLite returns is checked, not assumed: a damaged row (wrong type or
// length) becomes a StorageError that names where it is.

function int(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  throw new StorageError(`${where}: expected an integer, found ${typeof v}`);
}

function text(v: unknown, where: string): string {
  if (typeof v === 'string') return v;
  throw new StorageError(`${where}: expected text, found ${typeof v}`);
}

function blob(v: unknown, where: string): Buffer {
  if (Buffer.isBuffer(v)) return v;
  throw new StorageError(`${where}: expected a blob, found ${v === null ? 'NULL' : typeof v}`);
}

function field(row: unknown, name: string): unknown {
  if (typeof row !== 'object' || row === null || !(name in row)) throw new StorageError(`a row without column ${name}`);
  const v: unknown = Reflect.get(row, name);
  return v;
}

/** A stored hash must be a 32-byte blob; anything else is damage, named by where it is. */
function storedHash(v: unknown, level: number, index: number): Hash {
  const where =
    level === 0
      ? `leaves table: leaf hash of leaf ${index}`
      : `nodes table: subtree hash at level ${level}, index ${index}`;
  const b = blob(v, where);
  if (b.length !== 32) throw new StorageError(`${where} is ${b.length} bytes, not 32`);
  return asHash(b);
}

function rowToHead(r: unknown): StoredTreeHead {
  const size = int(field(r, 'size'), 'tree_heads: size');
  const signature = blob(field(r, 'signature'), `tree_heads: signature of size ${size}`);
  if (signature.length !== 64)
    throw new StorageError(`tree_heads: signature of size ${size} is ${signature.length} bytes`);
  return {
    size,
    rootHash: storedHash(field(r, 'root_hash'), -1, size),
    signature: asSignature(signature),
    signedAt: int(field(r, 'signed_at'), 'tree_heads: signed_at'),
  };
}
