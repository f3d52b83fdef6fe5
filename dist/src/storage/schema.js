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
const MIGRATIONS = {
    // 1 -> 2: promotion epoch and the node state table.
    1: `CREATE TABLE state(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO meta(key, value) VALUES ('epoch', '0');`,
    // 2 -> 3: rate-limit counters.
    2: `CREATE TABLE rate_counts(counter TEXT NOT NULL, hour INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY(counter, hour)) WITHOUT ROWID;`,
    // 3 -> 4: level-1 subtree hashes are computed from the leaf hashes, no longer stored.
    3: `DELETE FROM nodes WHERE level = 1;`,
};
/** Migrates a database of format `from` to FORMAT_VERSION, one transaction per step. */
export function migrate(db, from) {
    for (let v = from; v < FORMAT_VERSION; v++) {
        db.transaction(() => {
            db.exec(MIGRATIONS[v]);
            db.prepare("UPDATE meta SET value = ? WHERE key = 'format_version'").run(String(v + 1));
        })();
    }
}
