// SQLite storage: appends, proofs byte-identical to log-go's responses,
// tree-head monotonicity, durability settings, the format version, the
// single-writer lock on the database itself, the startup checks and the fsck.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { line } from '../../src/sigsum/ascii.js';
import { leafLine } from '../../src/sigsum/leaf.js';
import { signTreeHeadSync } from '../../src/sigsum/treehead.js';
import { EMPTY_ROOT } from '../../src/sigsum/merkle.js';
import { SeedSigner, sha256 } from '../../src/sigsum/crypto.js';
import { initDataDir, openDataDir } from '../../src/storage/datadir.js';
import { fsck } from '../../src/storage/fsck.js';
import { DataDirLock, DataDirLockedError } from '../../src/storage/lock.js';
import { DB_FILE, openSqliteStore } from '../../src/storage/sqlite.js';
import { entry, h, hx } from '../support/vectors.js';
import { formatsLeaves, logSigner, tempDir } from '../support/fixtures.js';

async function fiveLeafLog(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t);
  const dd = await initDataDir(dir, { role: 'primary', logPublicKey: logSigner.publicKey, signer: logSigner, now: 1 });
  dd.store.append(formatsLeaves().map(l => l.newLeaf));
  return { dir, dd };
}

/** Raw access to a closed data directory's database, for making damage. */
function raw(dir: string): Database.Database {
  return new Database(join(dir, DB_FILE));
}

test('append and read back: roots and proofs are byte-identical to log-go responses', async t => {
  const { dd } = await fiveLeafLog(t);
  const s = dd.store;
  assert.equal(s.size(), 5);
  assert.equal(hx(s.root()), entry('formats.json', 'tree-head-size-5').root_hash);
  assert.equal(hx(s.rootAt(2)), entry('formats.json', 'tree-head-size-2').root_hash);
  for (const r of entry('formats.json', 'get-inclusion-proof-responses').responses) {
    const idx = s.leafIndex(h(r.leaf_hash) as never)!;
    assert.equal(idx, r.leaf_index);
    assert.equal(
      line('leaf_index', idx) +
        s
          .inclusionProof(idx, r.tree_size)
          .map(x => line('node_hash', x))
          .join(''),
      r.response,
      r.url,
    );
  }
  for (const r of entry('formats.json', 'get-consistency-proof-responses').responses) {
    const [, , o, n] = r.url.split('/');
    assert.equal(
      s
        .consistencyProof(Number(o), Number(n))
        .map(x => line('node_hash', x))
        .join(''),
      r.response,
      r.url,
    );
  }
  for (const r of entry('formats.json', 'get-leaves-responses').responses) {
    const [, , a, b] = r.url.split('/');
    assert.equal(s.getLeaves(Number(a), Number(b)).map(leafLine).join(''), r.response);
  }
  assert.equal(s.leafIndex(h('00'.repeat(32)) as never), undefined);
  dd.close();
});

test('durability: WAL and synchronous=FULL on the writer connection', async t => {
  const { dd } = await fiveLeafLog(t);
  assert.deepEqual(dd.store.durability(), { journalMode: 'wal', synchronous: 2 });
  // A freshness-only write (no fsync) leaves the connection at FULL for everything after it.
  dd.state.publishedAt.set(123, false);
  assert.equal(dd.state.publishedAt.get(), 123);
  assert.deepEqual(dd.store.durability(), { journalMode: 'wal', synchronous: 2 });
  dd.close();
});

test('a failed append stores nothing and leaves the tree unchanged', async t => {
  const { dd } = await fiveLeafLog(t);
  const before = hx(dd.store.root());
  const [first] = formatsLeaves();
  assert.throws(
    () =>
      dd.store.append([{ leaf: new Uint8Array(128).fill(7), leafHash: h('11'.repeat(32)) as never }, first.newLeaf]),
    /UNIQUE/,
  );
  assert.equal(dd.store.size(), 5);
  assert.equal(hx(dd.store.root()), before);
  assert.equal(dd.store.leafIndex(h('11'.repeat(32)) as never), undefined);
  dd.close();
});

test('tree heads: never smaller, never a second root for a size, never beyond the leaves', async t => {
  const { dd } = await fiveLeafLog(t);
  const s = dd.store;
  const sth5 = signTreeHeadSync(logSigner, { size: 5, rootHash: s.rootAt(5) });
  const sth2 = signTreeHeadSync(logSigner, { size: 2, rootHash: s.rootAt(2) });
  s.storeTreeHead(sth2, 2);
  s.storeTreeHead(sth5, 3);
  s.storeTreeHead(sth5, 4); // same head again: no-op
  assert.throws(() => s.storeTreeHead(sth2, 5), /smaller/);
  assert.throws(
    () => s.storeTreeHead(signTreeHeadSync(logSigner, { size: 5, rootHash: s.rootAt(4) }), 5),
    /second root/,
  );
  assert.throws(() => s.storeTreeHead(signTreeHeadSync(logSigner, { size: 6, rootHash: s.rootAt(4) }), 5), /beyond/);
  assert.deepEqual(
    [...s.treeHeads()].map(x => [x.size, x.signedAt]),
    [
      [0, 1],
      [2, 2],
      [5, 3],
    ],
  );
  dd.close();
});

test('one writer: the lock is on log.db itself; deleting the old lock and pid files lets nobody in', async t => {
  const { dir, dd } = await fiveLeafLog(t);
  assert.throws(() => openDataDir(dir, { logPublicKey: logSigner.publicKey }), DataDirLockedError);
  assert.throws(() => DataDirLock.acquire(dir, join(dir, DB_FILE)), /in use by another sigsum-log process \(pid \d+\)/);
  for (const f of ['lock', 'pid']) if (existsSync(join(dir, f))) unlinkSync(join(dir, f));
  assert.throws(() => openDataDir(dir, { logPublicKey: logSigner.publicKey }), /in use by another sigsum-log process/);
  // Another process is refused too (flock(1) as an outsider), and readers are never blocked.
  assert.equal(spawnSync('flock', ['--nonblock', '--exclusive', join(dir, DB_FILE), 'true']).status, 1);
  assert.deepEqual(DataDirLock.holder(dir, join(dir, DB_FILE)), { running: true });
  const reader = openSqliteStore(join(dir, DB_FILE), true);
  assert.equal(reader.size(), 5);
  reader.close();
  await assert.rejects(
    initDataDir(dir, { role: 'primary', logPublicKey: logSigner.publicKey, signer: logSigner, now: 1 }),
    /already holds a log/,
  );
  dd.close();
  assert.deepEqual(DataDirLock.holder(dir, join(dir, DB_FILE)), { running: false });
  openDataDir(dir, { logPublicKey: logSigner.publicKey }).close();
});

test('a vanished or replaced database is noticed', async t => {
  const { dir, dd } = await fiveLeafLog(t);
  assert.equal(dd.lock.check(), undefined);
  rmSync(join(dir, DB_FILE));
  assert.match(dd.lock.check()!, /was deleted while the node was using it/);
  dd.close();
  const other = await fiveLeafLog(t);
  writeFileSync(join(other.dir, 'replacement'), 'x');
  rmSync(join(other.dir, DB_FILE));
  writeFileSync(join(other.dir, DB_FILE), 'another file');
  assert.match(other.dd.lock.check()!, /replaced by another file|was deleted/);
  other.dd.close();
});

test('startup checks refuse a wrong key, a bad signature, lost leaves and a corrupted tree', async t => {
  const { dir, dd } = await fiveLeafLog(t);
  dd.store.storeTreeHead(signTreeHeadSync(logSigner, { size: 5, rootHash: dd.store.rootAt(5) }), 2);
  dd.close();
  const other = new SeedSigner(h('09'.repeat(32)));
  assert.throws(() => openDataDir(dir, { logPublicKey: other.publicKey }), /belongs to log key/);

  let db = raw(dir);
  db.prepare('UPDATE tree_heads SET signature = ? WHERE size = 5').run(Buffer.alloc(64, 1));
  db.close();
  assert.throws(() => openDataDir(dir, { logPublicKey: logSigner.publicKey }), /does not verify/);
  db = raw(dir);
  db.prepare('UPDATE tree_heads SET signature = ? WHERE size = 5').run(
    Buffer.from(
      signTreeHeadSync(logSigner, {
        size: 5,
        rootHash: h(entry('formats.json', 'tree-head-size-5').root_hash) as never,
      }).signature,
    ),
  );
  db.close();
  openDataDir(dir, { logPublicKey: logSigner.publicKey }).close();

  db = raw(dir);
  db.prepare('UPDATE nodes SET hash = ? WHERE level = 2 AND idx = 0').run(Buffer.alloc(32, 3));
  db.close();
  assert.throws(() => openDataDir(dir, { logPublicKey: logSigner.publicKey }), /root recomputed from storage/);
  const store = openSqliteStore(join(dir, DB_FILE), true);
  const res = fsck(store, logSigner.publicKey);
  store.close();
  assert.equal(res.ok, false);
  assert.match(res.problem!, /^nodes table: subtree \(level 2, index 0\) covering leaves \[0, 4\): stored 0303/);

  db = raw(dir);
  db.prepare('DELETE FROM leaves WHERE idx = 4').run();
  db.close();
  assert.throws(() => openDataDir(dir, { logPublicKey: logSigner.publicKey }), /leaves were lost/);
});

test('fsck passes a healthy log and names the first damaged row', async t => {
  const { dir, dd } = await fiveLeafLog(t);
  dd.store.storeTreeHead(signTreeHeadSync(logSigner, { size: 2, rootHash: dd.store.rootAt(2) }), 2);
  dd.store.storeTreeHead(signTreeHeadSync(logSigner, { size: 5, rootHash: dd.store.rootAt(5) }), 3);
  const ok = fsck(dd.store, logSigner.publicKey);
  assert.deepEqual(ok, { ok: true, leaves: 5, nodes: 1, treeHeads: 3, problem: undefined }); // level >= 2 only: the subtree of leaves [0, 4)
  dd.close();
  const db = raw(dir);
  const leaf = db.prepare('SELECT leaf FROM leaves WHERE idx = 3').pluck().get() as Buffer;
  leaf[100] ^= 1;
  db.prepare('UPDATE leaves SET leaf = ? WHERE idx = 3').run(leaf);
  db.close();
  const store = openSqliteStore(join(dir, DB_FILE), true);
  const res = fsck(store, logSigner.publicKey);
  store.close();
  assert.match(res.problem!, /^leaves table: leaf 3: stored leaf hash [0-9a-f]{64}, but the leaf hashes to/);
});

test('the on-disk format version is checked at open; format 1 is migrated forward', async t => {
  const { dir, dd } = await fiveLeafLog(t);
  dd.close();
  let db = raw(dir);
  db.prepare("UPDATE meta SET value = '5' WHERE key = 'format_version'").run();
  db.close();
  assert.throws(
    () => openDataDir(dir, { logPublicKey: logSigner.publicKey }),
    /on-disk format 5, newer than this program supports \(4\)/,
  );
  // Rewrite the file as format 1 (no state table, no epoch) and open it.
  db = raw(dir);
  // Format 1 also stored level-1 subtree hashes: put them back.
  db.exec(
    "DROP TABLE state; DROP TABLE rate_counts; DELETE FROM meta WHERE key = 'epoch'; UPDATE meta SET value = '1' WHERE key = 'format_version'",
  );
  db.prepare('INSERT INTO nodes(level, idx, hash) VALUES (1, 0, ?), (1, 1, ?)').run(
    Buffer.alloc(32, 1),
    Buffer.alloc(32, 2),
  );
  db.close();
  assert.throws(() => openSqliteStore(join(dir, DB_FILE), true), /start the node once with this version to migrate/);
  const opened = openDataDir(dir, { logPublicKey: logSigner.publicKey });
  assert.equal(opened.store.epoch, 0);
  assert.equal(opened.store.size(), 5);
  opened.state.lastSigning.set({ size: 5, at: 7 });
  assert.deepEqual(opened.state.lastSigning.get(), { size: 5, at: 7 });
  opened.store.saveRateCounts(
    [
      { counter: 'key:x', hour: 10, count: 3 },
      { counter: 'key:x', hour: 5, count: 1 },
    ],
    6,
  );
  assert.deepEqual(opened.store.rateCounts(0), [{ counter: 'key:x', hour: 10, count: 3 }]);
  opened.close();
  db = new Database(join(dir, DB_FILE), { readonly: true });
  assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'format_version'").pluck().get(), '4');
  assert.equal(
    db.prepare('SELECT COUNT(*) FROM nodes WHERE level = 1').pluck().get(),
    0,
    'level-1 rows are dropped by the migration',
  );
  db.close();
});

test('append with a check commits nothing when the check throws', async t => {
  const { dd } = await fiveLeafLog(t);
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
  assert.equal(hx(s.root()), entry('formats.json', 'tree-head-size-5').root_hash);
  assert.equal(s.leafIndex(extra[0].leafHash), undefined);
  assert.equal(
    s.append(extra, (_size, root) => assert.equal(hx(root), seen![1])),
    8,
  );
  assert.equal(hx(s.rootAt(8)), seen![1]);
  dd.close();
});

test('typed state, epochs and promotion are durable; promotion is one transaction; only a secondary can be promoted', async t => {
  const dir = tempDir(t);
  const dd = await initDataDir(dir, { role: 'secondary', logPublicKey: logSigner.publicKey, now: 1 });
  assert.equal(dd.store.role, 'secondary');
  assert.equal(dd.store.epoch, 0);
  dd.store.raiseEpoch(3);
  dd.store.raiseEpoch(2); // never lowered
  const seen = signTreeHeadSync(logSigner, { size: 0, rootHash: EMPTY_ROOT });
  dd.state.seenTreeHead.set(seen);
  dd.state.witnesses.set({ ab: { size: 4, timestamp: 2n ** 62n } });
  dd.close();
  const again = openDataDir(dir, { logPublicKey: logSigner.publicKey, role: 'secondary' });
  assert.equal(again.store.epoch, 3);
  assert.equal(
    JSON.stringify(again.state.seenTreeHead.get()),
    JSON.stringify({ size: 0, rootHash: new Uint8Array(seen.rootHash), signature: new Uint8Array(seen.signature) }),
  );
  assert.deepEqual(again.state.witnesses.get(), { ab: { size: 4, timestamp: 2n ** 62n } });
  assert.throws(() => again.store.promote(seen, 5, 3), /must exceed 3/);
  // A failing head insert leaves the role and epoch unchanged (one transaction).
  assert.throws(
    () => again.store.promote(signTreeHeadSync(logSigner, { size: 9, rootHash: EMPTY_ROOT }), 5, 4),
    /beyond stored leaves/,
  );
  assert.equal(again.store.role, 'secondary');
  again.store.promote(seen, 5, 4);
  assert.throws(() => again.store.promote(seen, 5, 5), /only a secondary/);
  again.close();
  const promoted = openDataDir(dir, { logPublicKey: logSigner.publicKey });
  assert.equal(promoted.store.role, 'primary');
  assert.equal(promoted.store.epoch, 4);
  promoted.close();
});
