// The primary's state machine without HTTP: dedup before verify, 202 until a
// signed tree head covers the leaf, then 200; consistency and self-checks
// before signing; re-signing an unchanged head on the injected clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PrimaryLog } from '../../src/primary/primary-log.js';
import { initDataDir } from '../../src/storage/datadir.js';
import { DB_FILE, openSqliteStore } from '../../src/storage/sqlite.js';
import { verifyTreeHead, parseCosignedTreeHead } from '../../src/sigsum/treehead.js';
import { Logger } from '../../src/util/logger.js';
import { entry, hx } from '../helpers/vectors.js';
import { FakeClock, formatsLeaves, logSigner, tempDir } from '../helpers/fixtures.js';
import * as crypto from '../../src/sigsum/crypto.js';
import { leafSignedData } from '../../src/sigsum/leaf.js';

function newLog(t: Parameters<typeof tempDir>[0], clock = new FakeClock(), verified: { n: number } = { n: 0 }) {
  const { logger, lines } = Logger.memory('info');
  const dir = tempDir(t);
  const dd = initDataDir(dir, { role: 'primary', logPublicKey: logSigner.publicKey, signer: logSigner, now: clock.now() });
  const log = new PrimaryLog(dd.store, logSigner, {
    interval: 1000,
    resignPeriod: 10_000,
    sequencer: { batchInterval: 1000, maxBatch: 100, maxPool: 10 },
    clock,
    logger,
    verifyLeaf: (k, c, s) => {
      verified.n++;
      return crypto.verifyAsync(k, leafSignedData(c), s);
    },
  });
  t.after(() => dd.close());
  return { log, dd, clock, dir, lines };
}

test('202 until committed, 200 after; the formats.json tree head exactly', async t => {
  const { log } = newLog(t);
  const leaves = formatsLeaves();
  for (const l of leaves) assert.deepEqual(await log.addLeafBody(l.body), { status: 202 });
  assert.equal(log.pendingLeaves(), 5);
  assert.deepEqual(await log.addLeafBody(leaves[0].body), { status: 202 }, 'pooled duplicate');
  log.flush();
  assert.equal(log.pendingLeaves(), 0);
  assert.deepEqual(await log.addLeafBody(leaves[0].body), { status: 202 }, 'durable but not yet signed');
  assert.equal(log.publishedSize(), 0);
  await log.rotate();
  assert.equal(log.treeHeadBody(), entry('formats.json', 'tree-head-size-5').ascii);
  for (const l of leaves) assert.deepEqual(await log.addLeafBody(l.body), { status: 200 });
  assert.ok(verifyTreeHead(logSigner.publicKey, parseCosignedTreeHead(log.treeHeadBody())));
});

test('an invalid signature is 403 and stores nothing; duplicates skip the signature check', async t => {
  const verified = { n: 0 };
  const { log } = newLog(t, new FakeClock(), verified);
  const good = formatsLeaves()[1].body;
  const bad = good.replace(/signature=(.)/, (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`);
  assert.deepEqual(await log.addLeafBody(bad), { status: 403, message: 'invalid signature' });
  assert.equal(log.pendingLeaves(), 0);
  assert.deepEqual(await log.addLeafBody(good), { status: 202 });
  log.flush();
  await log.rotate();
  assert.equal(verified.n, 2);
  // The leaf is known: answered from the index without any Ed25519 work.
  const before = log.store.size();
  assert.deepEqual(await log.addLeafBody(good), { status: 200 });
  assert.equal(log.store.size(), before);
  assert.equal(verified.n, 2);
});

test('the pool applies back-pressure when full', async t => {
  const { log } = newLog(t);
  const signer = new crypto.SeedSigner(new Uint8Array(32).fill(5));
  const { formatAddLeafRequest, signLeaf } = await import('../../src/sigsum/leaf.js');
  const results = [];
  for (let i = 0; i < 12; i++) {
    const message = crypto.sha256(Buffer.from(`m${i}`));
    results.push((await log.addLeafBody(formatAddLeafRequest({ message, signature: signLeaf(signer, message), publicKey: signer.publicKey }))).status);
  }
  assert.deepEqual(results, [202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 503, 503]);
});

test('an unchanged head is re-signed only after the resign period', async t => {
  const { log, dd, clock } = newLog(t);
  await log.rotate();
  const first = log.committedTreeHead().signedAt;
  clock.advance(5_000);
  await log.rotate();
  assert.equal(log.committedTreeHead().signedAt, first);
  clock.advance(6_000);
  await log.rotate();
  assert.equal(log.committedTreeHead().signedAt, first + 11_000);
  assert.equal([...dd.store.treeHeads()].length, 1, 'an unchanged head is not stored twice');
});

test('the log refuses to sign a tree it cannot re-derive from storage', async t => {
  const { log, dir, lines } = newLog(t);
  for (const l of formatsLeaves().slice(0, 4)) await log.addLeafBody(l.body);
  log.flush();
  await log.rotate();
  assert.equal(log.publishedSize(), 4);
  await log.addLeafBody(formatsLeaves()[4].body);
  log.flush();
  // Flip the stored hash of leaves [0, 4): the next head would not be consistent.
  const db = openSqliteStore(join(dir, DB_FILE)).rawDatabase();
  db.prepare('UPDATE nodes SET hash = ? WHERE level = 2 AND idx = 0').run(Buffer.alloc(32, 9));
  db.close();
  await log.rotate();
  assert.equal(log.publishedSize(), 4);
  assert.match(log.lastRotationError!, /differs from the in-memory tree|not consistent/);
  assert.equal(hx(parseCosignedTreeHead(log.treeHeadBody()).rootHash), hx(log.committedTreeHead().rootHash));
  assert.equal(log.committedTreeHead().size, 4);
  await log.rotate();
  assert.equal(lines.filter(l => l.includes('ERROR refusing to sign')).length, 1, 'a persisting failure is logged once, not every round');
});
