// SQLite storage: appends, proofs byte-identical to log-go's responses,
// tree-head monotonicity, the format version, the data-directory lock, the
// startup checks and the fsck.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { line } from '../../src/sigsum/ascii.js';
import { leafLine } from '../../src/sigsum/leaf.js';
import { signTreeHead } from '../../src/sigsum/treehead.js';
import { EMPTY_ROOT } from '../../src/sigsum/merkle.js';
import Database from 'better-sqlite3';
import { SeedSigner, sha256 } from '../../src/sigsum/crypto.js';
import { initDataDir, openDataDir } from '../../src/storage/datadir.js';
import { fsck } from '../../src/storage/fsck.js';
import { DataDirLock, DataDirLockedError } from '../../src/storage/lock.js';
import { DB_FILE, openSqliteStore } from '../../src/storage/sqlite.js';
import { entry, h, hx } from '../helpers/vectors.js';
import { formatsLeaves, logSigner, tempDir } from '../helpers/fixtures.js';

function fiveLeafLog(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t);
  const dd = initDataDir(dir, { role: 'primary', logPublicKey: logSigner.publicKey, signer: logSigner, now: 1 });
  dd.store.append(formatsLeaves().map(l => l.newLeaf));
  return { dir, dd };
}

test('append and read back: roots and proofs are byte-identical to log-go responses', t => {
  const { dd } = fiveLeafLog(t);
  const s = dd.store;
  assert.equal(s.size(), 5);
  assert.equal(hx(s.edgeRoot()), entry('formats.json', 'tree-head-size-5').root_hash);
  assert.equal(hx(s.rootAt(2)), entry('formats.json', 'tree-head-size-2').root_hash);
  for (const r of entry('formats.json', 'get-inclusion-proof-responses').responses) {
    const idx = s.leafIndex(h(r.leaf_hash) as never)!;
    assert.equal(idx, r.leaf_index);
    assert.equal(line('leaf_index', idx) + s.inclusionProof(idx, r.tree_size).map(x => line('node_hash', x)).join(''), r.response, r.url);
  }
  for (const r of entry('formats.json', 'get-consistency-proof-responses').responses) {
    const [, , o, n] = r.url.split('/');
    assert.equal(s.consistencyProof(Number(o), Number(n)).map(x => line('node_hash', x)).join(''), r.response, r.url);
  }
  for (const r of entry('formats.json', 'get-leaves-responses').responses) {
    const [, , a, b] = r.url.split('/');
    assert.equal(s.getLeaves(Number(a), Number(b)).map(leafLine).join(''), r.response);
  }
  assert.equal(s.leafIndex(h('00'.repeat(32)) as never), undefined);
  dd.close();
});

test('a failed append stores nothing and leaves the tree unchanged', t => {
  const { dd } = fiveLeafLog(t);
  const before = hx(dd.store.edgeRoot());
  const [first] = formatsLeaves();
  assert.throws(() => dd.store.append([{ leaf: new Uint8Array(128).fill(7), leafHash: h('11'.repeat(32)) as never }, first.newLeaf]), /UNIQUE/);
  assert.equal(dd.store.size(), 5);
  assert.equal(hx(dd.store.edgeRoot()), before);
  assert.equal(dd.store.leafIndex(h('11'.repeat(32)) as never), undefined);
  dd.close();
});

test('tree heads: never smaller, never a second root for a size, never beyond the leaves', t => {
  const { dd } = fiveLeafLog(t);
  const s = dd.store;
  const sth5 = signTreeHead(logSigner, { size: 5, rootHash: s.rootAt(5) });
  const sth2 = signTreeHead(logSigner, { size: 2, rootHash: s.rootAt(2) });
  s.storeTreeHead(sth2, 2);
  s.storeTreeHead(sth5, 3);
  s.storeTreeHead(sth5, 4); // same head again: no-op
  assert.throws(() => s.storeTreeHead(sth2, 5), /smaller/);
  assert.throws(() => s.storeTreeHead(signTreeHead(logSigner, { size: 5, rootHash: s.rootAt(4) }), 5), /second root/);
  assert.throws(() => s.storeTreeHead(signTreeHead(logSigner, { size: 6, rootHash: s.rootAt(4) }), 5), /beyond/);
  assert.deepEqual([...s.treeHeads()].map(x => [x.size, x.signedAt]), [[0, 1], [2, 2], [5, 3]]);
  dd.close();
});

test('data directory lock: a second open is refused until the first is closed', t => {
  const { dir, dd } = fiveLeafLog(t);
  assert.throws(() => openDataDir(dir, { logPublicKey: logSigner.publicKey }), DataDirLockedError);
  assert.throws(() => DataDirLock.acquire(dir), /in use by another sigsum-log process \(pid \d+\)/);
  assert.throws(() => initDataDir(dir, { role: 'primary', logPublicKey: logSigner.publicKey, signer: logSigner, now: 1 }), DataDirLockedError);
  dd.close();
  assert.throws(() => initDataDir(dir, { role: 'primary', logPublicKey: logSigner.publicKey, signer: logSigner, now: 1 }), /already holds a log/);
  openDataDir(dir, { logPublicKey: logSigner.publicKey }).close();
});

test('startup checks refuse a wrong key, a bad signature, lost leaves and a corrupted tree', t => {
  const { dir, dd } = fiveLeafLog(t);
  dd.store.storeTreeHead(signTreeHead(logSigner, { size: 5, rootHash: dd.store.rootAt(5) }), 2);
  dd.close();
  const other = new SeedSigner(h('09'.repeat(32)));
  assert.throws(() => openDataDir(dir, { logPublicKey: other.publicKey }), /belongs to log key/);
  const raw = () => openSqliteStore(join(dir, DB_FILE)).rawDatabase();

  let db = raw();
  db.prepare('UPDATE tree_heads SET signature = ? WHERE size = 5').run(Buffer.alloc(64, 1));
  db.close();
  assert.throws(() => openDataDir(dir, { logPublicKey: logSigner.publicKey }), /does not verify/);
  db = raw();
  db.prepare('UPDATE tree_heads SET signature = ? WHERE size = 5').run(Buffer.from(signTreeHead(logSigner, { size: 5, rootHash: h(entry('formats.json', 'tree-head-size-5').root_hash) as never }).signature));
  db.close();
  openDataDir(dir, { logPublicKey: logSigner.publicKey }).close();

  db = raw();
  db.prepare('UPDATE nodes SET hash = ? WHERE level = 2 AND idx = 0').run(Buffer.alloc(32, 3));
  db.close();
  assert.throws(() => openDataDir(dir, { logPublicKey: logSigner.publicKey }), /root recomputed from storage/);
  const store = openSqliteStore(join(dir, DB_FILE), true);
  const res = fsck(store, logSigner.publicKey);
  store.close();
  assert.equal(res.ok, false);
  assert.match(res.problem!, /subtree \(level 2, index 0\) covering leaves \[0, 4\): stored 0303/);

  db = raw();
  db.prepare('DELETE FROM leaves WHERE idx = 4').run();
  db.close();
  assert.throws(() => openDataDir(dir, { logPublicKey: logSigner.publicKey }), /leaves were lost/);
});

test('fsck passes a healthy log and names the first corrupted leaf', t => {
  const { dir, dd } = fiveLeafLog(t);
  dd.store.storeTreeHead(signTreeHead(logSigner, { size: 2, rootHash: dd.store.rootAt(2) }), 2);
  dd.store.storeTreeHead(signTreeHead(logSigner, { size: 5, rootHash: dd.store.rootAt(5) }), 3);
  const ok = fsck(dd.store, logSigner.publicKey);
  assert.deepEqual(ok, { ok: true, leaves: 5, nodes: 1, treeHeads: 3, problem: undefined }); // level >= 2 only: the subtree of leaves [0, 4)
  dd.close();
  const db = openSqliteStore(join(dir, DB_FILE)).rawDatabase();
  const leaf = db.prepare('SELECT leaf FROM leaves WHERE idx = 3').pluck().get() as Buffer;
  leaf[100] ^= 1;
  db.prepare('UPDATE leaves SET leaf = ? WHERE idx = 3').run(leaf);
  db.close();
  const store = openSqliteStore(join(dir, DB_FILE), true);
  const res = fsck(store, logSigner.publicKey);
  store.close();
  assert.match(res.problem!, /^leaf 3: stored leaf hash [0-9a-f]{64} but the leaf hashes to/);
});

test('the on-disk format version is checked at open; format 1 is migrated forward', t => {
  const { dir, dd } = fiveLeafLog(t);
  dd.close();
  let db = openSqliteStore(join(dir, DB_FILE)).rawDatabase();
  db.prepare("UPDATE meta SET value = '5' WHERE key = 'format_version'").run();
  db.close();
  assert.throws(() => openDataDir(dir, { logPublicKey: logSigner.publicKey }), /on-disk format 5, newer than this program supports \(4\)/);
  // Rewrite the file as format 1 (no state table, no epoch) and open it.
  db = new Database(join(dir, DB_FILE));
  // Format 1 also stored level-1 subtree hashes: put them back.
  db.exec("DROP TABLE state; DROP TABLE rate_counts; DELETE FROM meta WHERE key = 'epoch'; UPDATE meta SET value = '1' WHERE key = 'format_version'");
  db.prepare('INSERT INTO nodes(level, idx, hash) VALUES (1, 0, ?), (1, 1, ?)').run(Buffer.alloc(32, 1), Buffer.alloc(32, 2));
  db.close();
  assert.throws(() => openSqliteStore(join(dir, DB_FILE), true), /start the node once with this version to migrate/);
  const opened = openDataDir(dir, { logPublicKey: logSigner.publicKey });
  assert.equal(opened.store.epoch, 0);
  assert.equal(opened.store.size(), 5);
  opened.store.setState({ k: 'v' });
  assert.equal(opened.store.getState('k'), 'v');
  opened.store.saveRateCounts([{ counter: 'key:x', hour: 10, count: 3 }, { counter: 'key:x', hour: 5, count: 1 }], 6);
  assert.deepEqual(opened.store.rateCounts(0), [{ counter: 'key:x', hour: 10, count: 3 }]);
  opened.close();
  db = new Database(join(dir, DB_FILE), { readonly: true });
  assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'format_version'").pluck().get(), '4');
  assert.equal(db.prepare('SELECT COUNT(*) FROM nodes WHERE level = 1').pluck().get(), 0, 'level-1 rows are dropped by the migration');
  db.close();
});

test('append with a check commits nothing when the check throws', t => {
  const { dd } = fiveLeafLog(t);
  const s = dd.store;
  const extra = [1, 2, 3].map(i => ({ leaf: new Uint8Array(128).fill(i), leafHash: sha256(new Uint8Array([i])) }));
  let seen: [number, string] | undefined;
  assert.throws(
    () =>
      s.append(extra, (size, root) => {
        seen = [size, hx(root)];
        throw new Error('root mismatch');
      }),
    /root mismatch/,
  );
  assert.equal(seen![0], 8);
  assert.equal(s.size(), 5);
  assert.equal(hx(s.edgeRoot()), entry('formats.json', 'tree-head-size-5').root_hash);
  assert.equal(s.leafIndex(extra[0].leafHash), undefined);
  assert.equal(s.append(extra, (size, root) => assert.equal(hx(root), seen![1])), 8);
  assert.equal(hx(s.rootAt(8)), seen![1]);
  dd.close();
});

test('state values, epochs and promotion are durable; only a secondary can be promoted', t => {
  const dir = tempDir(t);
  const dd = initDataDir(dir, { role: 'secondary', logPublicKey: logSigner.publicKey, now: 1 });
  assert.equal(dd.store.role, 'secondary');
  assert.equal(dd.store.epoch, 0);
  dd.store.raiseEpoch(3);
  dd.store.raiseEpoch(2); // never lowered
  dd.store.setState({ a: '1', b: '2' });
  dd.store.setState({ a: '3' });
  dd.close();
  const again = openDataDir(dir, { logPublicKey: logSigner.publicKey, role: 'secondary' });
  assert.equal(again.store.epoch, 3);
  assert.equal(again.store.getState('a'), '3');
  assert.equal(again.store.getState('b'), '2');
  assert.throws(() => again.store.promote(3), /must exceed 3/);
  again.store.storeTreeHead(signTreeHead(logSigner, { size: 0, rootHash: EMPTY_ROOT }), 5);
  again.store.promote(4);
  assert.throws(() => again.store.promote(5), /only a secondary/);
  again.close();
  const promoted = openDataDir(dir, { logPublicKey: logSigner.publicKey });
  assert.equal(promoted.store.role, 'primary');
  assert.equal(promoted.store.epoch, 4);
  promoted.close();
});
