// The primary's state machine without HTTP: dedup before verify, 'accepted'
// (202) until a signed tree head covers the leaf, then 'included' (200);
// consistency and self-checks before signing; re-signing an unchanged head;
// a failing commit never yields a 200; a clock set back never makes the
// signature time go back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { formatAddLeafRequest, signLeaf } from '../../src/sigsum/leaf.js';
import { sha256 } from '../../src/sigsum/crypto.js';
import { verifyTreeHead, parseCosignedTreeHead } from '../../src/sigsum/treehead.js';
import { DB_FILE } from '../../src/storage/sqlite.js';
import { entry, hx } from '../support/vectors.js';
import { FakeClock, formatsLeaves, logSigner } from '../support/fixtures.js';
import { otherSigner, testPrimary } from '../support/logs.js';

const accepted = { kind: 'accepted' };
const included = { kind: 'included' };

test("'accepted' until committed and signed, 'included' after; the formats.json tree head exactly", async t => {
  const { log, submit } = await testPrimary(t);
  const leaves = formatsLeaves();
  for (const l of leaves) assert.deepEqual(await submit(l.body), accepted);
  assert.equal(log.pendingLeaves(), 5);
  assert.deepEqual(await submit(leaves[0].body), accepted, 'pooled duplicate');
  log.flush();
  assert.equal(log.pendingLeaves(), 0);
  assert.deepEqual(await submit(leaves[0].body), accepted, 'durable but not yet signed');
  assert.equal(log.publishedTreeHead().size, 0);
  await log.rotate();
  assert.equal(log.treeHeadBody(), entry('formats.json', 'tree-head-size-5').ascii);
  for (const l of leaves) assert.deepEqual(await submit(l.body), included);
  assert.ok(verifyTreeHead(logSigner.publicKey, parseCosignedTreeHead(log.treeHeadBody())));
});

test('an invalid signature is refused and stores nothing; duplicates skip the signature check', async t => {
  const verified = { n: 0 };
  const { log, dd, submit } = await testPrimary(t, { verified });
  const good = formatsLeaves()[1].body;
  const bad = good.replace(/signature=(.)/, (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`);
  assert.deepEqual(await submit(bad), { kind: 'bad-signature' });
  assert.equal(log.pendingLeaves(), 0);
  assert.deepEqual(await submit(good), accepted);
  log.flush();
  await log.rotate();
  assert.equal(verified.n, 2);
  // The leaf is known: answered from the index without any Ed25519 work.
  const before = dd.store.size();
  assert.deepEqual(await submit(good), included);
  assert.equal(dd.store.size(), before);
  assert.equal(verified.n, 2);
});

test('the pool applies back-pressure when full', async t => {
  const { submit } = await testPrimary(t);
  const signer = otherSigner(5);
  const results = [];
  for (let i = 0; i < 12; i++) {
    const message = sha256(Buffer.from(`m${i}`));
    results.push(
      (
        await submit(
          formatAddLeafRequest({ message, signature: signLeaf(signer, message), publicKey: signer.publicKey }),
        )
      ).kind,
    );
  }
  assert.deepEqual(results, [...Array<string>(10).fill('accepted'), 'unavailable', 'unavailable']);
});

test('an unchanged head is re-signed only after the resign period', async t => {
  const { log, dd, clock } = await testPrimary(t);
  await log.rotate();
  const first = log.lastSignedAt();
  clock.advance(5_000);
  await log.rotate();
  assert.equal(log.lastSignedAt(), first);
  clock.advance(6_000);
  await log.rotate();
  assert.equal(log.lastSignedAt(), first + 11_000);
  assert.deepEqual(
    dd.state.lastSigning.get(),
    { size: 0, at: first + 11_000 },
    'the re-signature is recorded (status shows its age)',
  );
  assert.equal([...dd.store.treeHeads()].length, 1, 'an unchanged head is not stored twice');
});

test('a clock set back: the signature time never goes back, re-signing goes on, the state is reported once', async t => {
  const clock = new FakeClock();
  const { log, lines } = await testPrimary(t, { clock });
  await log.rotate();
  const first = log.lastSignedAt();
  clock.setWall(first - 3_600_000); // an hour back
  for (let i = 1; i <= 3; i++) {
    clock.advance(11_000);
    await log.rotate();
    assert.equal(log.lastSignedAt(), first + i, `re-signature ${i} is stamped with the previous one + 1 ms`);
  }
  assert.ok(log.clockBehind.active);
  assert.equal(
    lines.filter(l => l.includes('the clock is behind the latest tree head signature')).length,
    1,
    'one line for the state, not one per round',
  );
  clock.setWall(first + 10);
  clock.advance(11_000);
  await log.rotate();
  assert.equal(log.lastSignedAt(), first + 11_010);
  assert.ok(!log.clockBehind.active);
  assert.equal(lines.filter(l => l.includes('the clock is ahead of the latest signature again')).length, 1);
});

test('a failing commit never gives a 200 for its leaves; they are committed and signed once commits work again', async t => {
  let fail = true;
  const { log, dd, submit, sequencer } = await testPrimary(t, {
    writer: store => ({
      append: (leaves, check) => {
        if (fail) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
        return store.append(leaves, check);
      },
    }),
  });
  const leaves = formatsLeaves();
  for (const l of leaves) assert.deepEqual(await submit(l.body), accepted);
  assert.equal(sequencer.flushOnce(), false);
  assert.ok(sequencer.failing.active);
  await log.rotate();
  for (const l of leaves)
    assert.deepEqual(await submit(l.body), accepted, 'still 202: nothing durable, nothing signed');
  assert.equal(dd.store.size(), 0);
  assert.equal(log.committedTreeHead().size, 0);
  fail = false;
  log.flush();
  await log.rotate();
  for (const l of leaves) assert.deepEqual(await submit(l.body), included);
  assert.ok(!sequencer.failing.active);
});

test('the log refuses to sign a tree it cannot re-derive from storage', async t => {
  const { log, dir, lines, submit } = await testPrimary(t);
  for (const l of formatsLeaves().slice(0, 4)) await submit(l.body);
  log.flush();
  await log.rotate();
  assert.equal(log.publishedTreeHead().size, 4);
  await submit(formatsLeaves()[4].body);
  log.flush();
  // Flip the stored hash of leaves [0, 4): the next head would not be consistent.
  const db = new Database(join(dir, DB_FILE));
  db.prepare('UPDATE nodes SET hash = ? WHERE level = 2 AND idx = 0').run(Buffer.alloc(32, 9));
  db.close();
  await log.rotate();
  assert.equal(log.publishedTreeHead().size, 4);
  assert.match(log.signing.message!, /differs from the in-memory tree|not consistent/);
  assert.equal(hx(parseCosignedTreeHead(log.treeHeadBody()).rootHash), hx(log.committedTreeHead().rootHash));
  assert.equal(log.committedTreeHead().size, 4);
  await log.rotate();
  assert.equal(
    lines.filter(l => l.includes('ERROR refusing to sign')).length,
    1,
    'a persisting failure is logged once, not every round',
  );
});
