// Damaged storage: checked reads and the scrubber. for each kind of damage made with
// SQL to a copy of a log, every read either gives exactly the undamaged log's
// answer or refuses with DamageError after reporting what is damaged (table,
// index, level), and the reads that cover the damage refuse. The full check
// (the scrubber, in one pass) finds every kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { leafHash } from '../../src/sigsum/merkle.js';
import { signTreeHeadSync } from '../../src/sigsum/treehead.js';
import type { Hash } from '../../src/sigsum/types.js';
import { CheckedReads, DamageError } from '../../src/storage/checked-reads.js';
import { initDataDir } from '../../src/storage/datadir.js';
import { Scrubber } from '../../src/storage/scrubber.js';
import type { ScrubCursor } from '../../src/storage/state.js';
import type { StateCell } from '../../src/storage/ports.js';
import { Logger } from '../../src/util/logger.js';
import type { NewLeaf } from '../../src/storage/ports.js';
import { DB_FILE, openSqliteStore, type SqliteStore } from '../../src/storage/sqlite.js';
import { FakeClock, logSigner, tempDir } from '../support/fixtures.js';

const N = 1003; // 250 whole blocks of 4 and a tail of 3

function memoryCell<T>(): StateCell<T> & { value?: T } {
  const c: StateCell<T> & { value?: T } = {
    get: () => c.value,
    set: v => {
      c.value = v;
    },
  };
  return c;
}

function leafAt(i: number): Uint8Array {
  const b = Buffer.alloc(128);
  b.writeUInt32BE(i, 0);
  b.write('checked-reads', 8);
  return b;
}

async function buildPristine(dir: string): Promise<string> {
  (await initDataDir(dir, { role: 'primary', logPublicKey: logSigner.publicKey, signer: logSigner, now: 1 })).close();
  const store = openSqliteStore(join(dir, DB_FILE));
  const leaves: NewLeaf[] = [];
  for (let i = 0; i < N; i++) leaves.push({ leaf: leafAt(i), leafHash: leafHash(leafAt(i)) });
  store.append(leaves);
  store.storeTreeHead(signTreeHeadSync(logSigner, { size: N, rootHash: store.root() }), 2);
  store.close();
  return join(dir, DB_FILE);
}

type Answer = { value: unknown } | { damage: true };
interface Query {
  name: string;
  covers: (d: Damage) => boolean;
  run: (r: CheckedReads, head: { size: number; rootHash: Hash }) => unknown;
}

function queries(): Query[] {
  const qs: Query[] = [];
  for (let i = 0; i < N; i++) {
    const h = leafHash(leafAt(i));
    // An inclusion proof needs only the leaf hash: a damaged leaf may still have a right proof.
    qs.push({ name: `inclusion ${i}`, covers: () => false, run: (r, head) => r.inclusion(h, N, head) });
  }
  const ranges: [number, number][] = [
    [0, 512],
    [500, N],
    [998, N],
    [1000, 1002],
    [0, 1],
    [96, 128],
    [80, 88],
  ];
  for (let s = 0; s < N; s += 5) ranges.push([s, Math.min(N, s + 7)]);
  for (const [s, e] of ranges)
    qs.push({
      name: `leaves [${s}, ${e})`,
      covers: d => d.bad.some(i => i >= s && i < e),
      run: (r, head) => r.leaves(s, e, head),
    });
  for (const [m, n] of [
    [1, N],
    [100, 600],
    [301, 302],
    [511, 1000],
    [700, N],
    [1002, N],
  ] as const)
    qs.push({ name: `consistency ${m} ${n}`, covers: () => false, run: (r, head) => r.consistency(m, n, head) });
  return qs;
}

function answer(q: Query, r: CheckedReads, head: { size: number; rootHash: Hash }): Answer {
  try {
    return { value: q.run(r, head) };
  } catch (e) {
    if (e instanceof DamageError) return { damage: true };
    throw e;
  }
}

const flip = (b: Uint8Array, at = 7): Buffer => {
  const c = Buffer.from(b);
  c[at] ^= 0x40;
  return c;
};

interface Damage {
  name: string;
  /** get-leaves ranges over any of these indices must refuse. */
  bad: number[];
  /** Reads that must refuse, by name (for damaged subtrees: the reads that use them). */
  refuses?: string[];
  apply: (db: Database.Database) => void;
  /** Reads that cannot see this damage and give a different answer: allowed only because fsck finds it. */
  unseen?: (q: Query) => boolean;
}

function blobOf(db: Database.Database, sql: string, ...args: number[]): Buffer {
  const v: unknown = db
    .prepare(sql)
    .pluck()
    .get(...args);
  assert.ok(Buffer.isBuffer(v));
  return v;
}

/** Flips a byte of the stored subtree hash (level, idx). */
function flipNode(db: Database.Database, level: number, idx: number): void {
  const hash = blobOf(db, 'SELECT hash FROM nodes WHERE level = ? AND idx = ?', level, idx);
  db.prepare('UPDATE nodes SET hash = ? WHERE level = ? AND idx = ?').run(flip(hash), level, idx);
}

function swapRows(db: Database.Database, a: number, b: number): void {
  db.prepare('UPDATE leaves SET idx = -1 WHERE idx = ?').run(a);
  db.prepare('UPDATE leaves SET idx = ? WHERE idx = ?').run(a, b);
  db.prepare('UPDATE leaves SET idx = ? WHERE idx = -1').run(b);
}

const DAMAGES: Damage[] = [
  {
    name: 'a byte flipped in a leaf',
    bad: [100],
    apply: db => db.prepare('UPDATE leaves SET leaf = ? WHERE idx = 100').run(flip(leafAt(100))),
  },
  {
    name: 'a byte flipped in a leaf hash (table and index alike)',
    // get-leaves hashes the leaves themselves and serves the right ones; the
    // proofs that use the stored leaf hash refuse.
    bad: [],
    refuses: ['inclusion 201', 'inclusion 202'],
    apply: db =>
      db
        .prepare('UPDATE leaves SET leaf_hash = ? WHERE idx = 200')
        .run(flip(blobOf(db, 'SELECT leaf_hash FROM leaves WHERE idx = 200'))),
    // The index no longer finds leaf 200's hash: a lookup by hash cannot tell
    // this from an absent leaf (fsck and the scrubber find it).
    unseen: q => q.name === 'inclusion 200',
  },
  { name: 'two neighbouring rows swapped whole', bad: [300, 301], apply: db => swapRows(db, 300, 301) },
  { name: 'two distant rows swapped whole', bad: [302, 700], apply: db => swapRows(db, 302, 700) },
  {
    name: 'leaf hashes swapped between two rows',
    bad: [],
    refuses: ['inclusion 600', 'inclusion 601', 'inclusion 602'],
    apply: db => {
      const a = blobOf(db, 'SELECT leaf_hash FROM leaves WHERE idx = 600');
      const b = blobOf(db, 'SELECT leaf_hash FROM leaves WHERE idx = 601');
      db.prepare('UPDATE leaves SET leaf_hash = ? WHERE idx = 600').run(Buffer.alloc(32));
      db.prepare('UPDATE leaves SET leaf_hash = ? WHERE idx = 601').run(a);
      db.prepare('UPDATE leaves SET leaf_hash = ? WHERE idx = 600').run(b);
    },
  },
  {
    name: 'a byte flipped in a level-2 subtree hash',
    bad: [],
    refuses: ['inclusion 204', 'leaves [195, 202)'],
    apply: db => flipNode(db, 2, 50),
  },
  {
    name: 'a byte flipped in a level-5 subtree hash (cached level)',
    bad: [],
    refuses: ['inclusion 64', 'leaves [96, 128)'],
    apply: db => flipNode(db, 5, 3),
  },
  {
    name: 'a subtree hash deleted',
    bad: [],
    refuses: ['inclusion 88', 'leaves [80, 88)'],
    apply: db => db.prepare('DELETE FROM nodes WHERE level = 3 AND idx = 10').run(),
  },
  {
    name: 'a leaf row deleted',
    bad: [400],
    apply: db => db.prepare('DELETE FROM leaves WHERE idx = 400').run(),
    unseen: q => q.name === 'inclusion 400', // gone from the index too: a lookup miss (fsck finds it)
  },
  {
    name: 'a byte flipped in a leaf of the tail block',
    bad: [1001],
    apply: db => db.prepare('UPDATE leaves SET leaf = ? WHERE idx = 1001').run(flip(leafAt(1001))),
  },
];

test('checked reads never serve damaged data, and refuse the reads that cover the damage', async t => {
  const pristinePath = await buildPristine(tempDir(t));
  const pristine = openSqliteStore(pristinePath, true);
  const head = { size: N, rootHash: pristine.root() };
  const qs = queries();
  const clean = new CheckedReads(pristine, what => assert.fail(`pristine log reported damage: ${what}`));
  const expected = qs.map(q => answer(q, clean, head));
  pristine.close();

  for (const d of DAMAGES) {
    const dir = tempDir(t);
    const path = join(dir, DB_FILE);
    copyFileSync(pristinePath, path);
    const db = new Database(path);
    d.apply(db);
    db.close();
    const store: SqliteStore = openSqliteStore(path);
    const reports: string[] = [];
    const reads = new CheckedReads(store, what => reports.push(what));
    let refused = 0;
    qs.forEach((q, i) => {
      const got = answer(q, reads, head);
      if ('damage' in got) {
        refused++;
        return;
      }
      if (d.unseen?.(q)) return;
      assert.deepEqual(got, expected[i], `${d.name}: ${q.name} gave a wrong answer`);
    });
    const covering = qs.filter(q => (q.covers(d) || d.refuses?.includes(q.name)) && !d.unseen?.(q));
    for (const name of d.refuses ?? [])
      assert.ok(
        qs.some(q => q.name === name),
        name,
      );
    for (const q of covering)
      assert.ok('damage' in answer(q, reads, head), `${d.name}: ${q.name} covers the damage but was served`);
    assert.ok(refused > 0, d.name);
    assert.equal(reports.length, refused + covering.length, d.name);
    for (const r of reports)
      assert.match(r, /leaves table|nodes table|index leaves_by_hash/, `${d.name}: report names no table: ${r}`);
    // The scrubber finds it within one pass: 1003 leaves at 100 per tick.
    const found: string[] = [];
    const scrubber = new Scrubber(store, memoryCell<ScrubCursor>(), logSigner.publicKey, {
      rate: 400,
      clock: new FakeClock(),
      logger: Logger.memory('error').logger,
      report: what => found.push(what),
    });
    for (let i = 0; i < Math.ceil(N / 100) + 1 && found.length === 0; i++) scrubber.tick(100);
    assert.equal(found.length, 1, `${d.name}: the scrubber found nothing in one pass`);
    assert.match(found[0], /leaves table|nodes table|index leaves_by_hash|tree_heads table/);
    store.close();
  }
});

test('a block proven once is checked again by fingerprint: damage after the first read is still refused', async t => {
  const path = await buildPristine(tempDir(t));
  const store = openSqliteStore(path);
  t.after(() => store.close());
  const head = { size: N, rootHash: store.root() };
  const reports: string[] = [];
  const reads = new CheckedReads(store, what => reports.push(what));
  const first = reads.leaves(0, 1000, head); // proves and remembers blocks 0..249
  assert.equal(first.length, 1000);
  assert.deepEqual(reads.leaves(96, 106, head), first.slice(96, 106)); // served by fingerprint
  const other = new Database(path);
  t.after(() => other.close());
  other.prepare('UPDATE leaves SET leaf = ? WHERE idx = 100').run(flip(leafAt(100)));
  assert.throws(() => reads.leaves(96, 106, head), DamageError);
  other.prepare('UPDATE leaves SET leaf = ? WHERE idx = 100').run(Buffer.from(leafAt(100)));
  assert.deepEqual(reads.leaves(96, 106, head), first.slice(96, 106));
  swapRows(other, 500, 501);
  assert.throws(() => reads.leaves(498, 503, head), DamageError);
  assert.equal(reports.length, 2);
  assert.match(reports[0], /leaves table: leaf 100|subtree/);
});

test('the scrubber: one pass at its rate, resumable from its saved position, a wrong saved position starts over', async t => {
  const path = await buildPristine(tempDir(t));
  const store = openSqliteStore(path);
  t.after(() => store.close());
  const clock = new FakeClock();
  const { logger, lines } = Logger.memory('info');
  const cell = memoryCell<ScrubCursor>();
  const found: string[] = [];
  const opts = { rate: 400, clock, logger, report: (w: string) => found.push(w) };
  const a = new Scrubber(store, cell, logSigner.publicKey, opts);
  for (let i = 0; i < 6; i++) a.tick(100);
  assert.equal(a.progress().position, 600);
  a.stop(); // saves
  assert.equal(cell.value?.position, 600);
  const b = new Scrubber(store, cell, logSigner.publicKey, opts);
  assert.equal(b.progress().position, 600, 'resumes where it was');
  for (let i = 0; i < 5; i++) b.tick(100);
  assert.equal(b.progress().passes, 1);
  assert.equal(b.progress().position, 0, 'the next pass starts at once');
  assert.equal(b.progress().lastComplete, clock.now());
  assert.deepEqual(found, []);
  assert.equal(
    lines.filter(l => /scrubber: a full pass over the stored tree found no damage leaves=1003/.test(l)).length,
    1,
  );
  // A saved edge that does not match the stored subtrees (another tree): the pass starts over.
  cell.value = {
    position: 600,
    peaks: ['00', '11', '22', '33'].map(x => x.repeat(32)), // 512 + 64 + 16 + 8: the right count, wrong hashes
    passStarted: 1,
  };
  assert.equal(new Scrubber(store, cell, logSigner.publicKey, opts).progress().position, 0);
});

test('blocks the scrubber proved are served by fingerprint; changed bytes are still refused; scrubber damage forgets them', async t => {
  const path = await buildPristine(tempDir(t));
  const store = openSqliteStore(path);
  t.after(() => store.close());
  const head = { size: N, rootHash: store.root() };
  const reports: string[] = [];
  const reads = new CheckedReads(store, what => reports.push(what));
  const clock = new FakeClock();
  const scrubber = new Scrubber(store, memoryCell<ScrubCursor>(), logSigner.publicKey, {
    rate: 400,
    clock,
    logger: Logger.memory('error').logger,
    report: what => {
      reads.forgetProven();
      reports.push(what);
    },
    proven: reads.proven,
  });
  for (let i = 0; i < 3; i++) scrubber.tick(100); // leaves 0..299: blocks 0..74
  const other = new Database(path);
  t.after(() => other.close());
  // The stored subtree over block 25 (leaves 100..103) changed: a read that hashes would refuse it; the
  // scrubber proved those leaf bytes already, so the read compares fingerprints and serves them.
  flipNode(other, 2, 25);
  assert.equal(reads.leaves(100, 104, head).length, 4);
  assert.deepEqual(reports, []);
  // Changed leaf bytes in a proven block: the fingerprint differs, the Merkle check runs and refuses.
  other.prepare('UPDATE leaves SET leaf = ? WHERE idx = 10').run(flip(leafAt(10)));
  assert.throws(() => reads.leaves(8, 12, head), DamageError);
  other.prepare('UPDATE leaves SET leaf = ? WHERE idx = 10').run(Buffer.from(leafAt(10)));
  // A block the scrubber has not reached is hashed: the damaged subtree over it is refused.
  flipNode(other, 2, 100);
  assert.throws(() => reads.leaves(400, 404, head), DamageError);
  // The scrubber meets the damaged subtree over block 100: what it proved before is forgotten.
  const before = reports.length;
  for (let i = 0; i < 12 && reports.length === before; i++) scrubber.tick(100);
  assert.ok(reports.length > before, 'the scrubber reports the damaged subtree');
  assert.throws(() => reads.leaves(100, 104, head), DamageError, 'block 25 is hashed again and its subtree refused');
});

test('the scrubber starts passes at most once an hour: a small log is not re-read, or its pass logged, in a loop', async t => {
  const path = await buildPristine(tempDir(t));
  const store = openSqliteStore(path);
  t.after(() => store.close());
  const clock = new FakeClock();
  const { logger, lines } = Logger.memory('info');
  const s = new Scrubber(store, memoryCell<ScrubCursor>(), logSigner.publicKey, {
    rate: 400,
    clock,
    logger,
    report: what => assert.fail(what),
  });
  const passLines = () => lines.filter(l => l.includes('a full pass over the stored tree')).length;
  for (let i = 0; i < 20; i++) {
    s.tick(1000); // the whole log (1003 leaves) in about one tick
    clock.advance(250);
  }
  assert.equal(s.progress().passes, 1);
  assert.equal(passLines(), 1);
  clock.advance(3_600_000);
  for (let i = 0; i < 3; i++) s.tick(1000);
  assert.equal(s.progress().passes, 2, 'the next pass an hour after the first began');
  assert.equal(passLines(), 2);
});
