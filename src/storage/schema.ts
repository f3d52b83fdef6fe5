// The on-disk format of a data directory's log.db: the schema written by
// this version, and the forward migrations from every older format (one
// transaction each). A newer format is refused at open (sqlite.ts).
//
//   meta(key, value)                       format version, log key, role,
//                                           epoch, created_at
//   state(key, value)                      small typed values (state.ts)
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
import type Database from 'better-sqlite3';
import { FORMAT_VERSION } from './ports.js';

export const SCHEMA = `
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE leaves(idx INTEGER PRIMARY KEY, leaf_hash BLOB NOT NULL, leaf BLOB NOT NULL);
CREATE UNIQUE INDEX leaves_by_hash ON leaves(leaf_hash);
CREATE TABLE nodes(level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY(level, idx)) WITHOUT ROWID;
CREATE TABLE tree_heads(size INTEGER PRIMARY KEY, root_hash BLOB NOT NULL, signature BLOB NOT NULL, signed_at INTEGER NOT NULL);
CREATE TABLE state(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE rate_counts(counter TEXT NOT NULL, hour INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY(counter, hour)) WITHOUT ROWID;
`;

const MIGRATIONS: Record<number, string> = {
  // 1 -> 2: promotion epoch and the node state table.
  1: `CREATE TABLE state(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO meta(key, value) VALUES ('epoch', '0');`,
  // 2 -> 3: rate-limit counters.
  2: `CREATE TABLE rate_counts(counter TEXT NOT NULL, hour INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY(counter, hour)) WITHOUT ROWID;`,
  // 3 -> 4: level-1 subtree hashes are computed from the leaf hashes, no longer stored.
  3: `DELETE FROM nodes WHERE level = 1;`,
};

/** Migrates a database of format `from` to FORMAT_VERSION, one transaction per step. */
export function migrate(db: Database.Database, from: number): void {
  for (let v = from; v < FORMAT_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'format_version'").run(String(v + 1));
    })();
  }
}
