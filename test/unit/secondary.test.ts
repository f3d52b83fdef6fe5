// The secondary's checks, against a primary the test controls: batches
// checked before they are stored, divergence and rollback detection (nothing
// rewritten), epochs and fencing, log-go (legacy) primaries, and promotion's
// refusals (promotion itself: promotion.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeedSigner } from '../../src/sigsum/crypto.js';
import { signEpoch } from '../../src/sigsum/epoch.js';
import { signTreeHeadSync, verifyTreeHead, formatSignedTreeHead } from '../../src/sigsum/treehead.js';
import { StaleEpoch } from '../../src/secondary/fence.js';
import { Divergence, type SecondaryLog, type ReplicaHeadOutcome } from '../../src/secondary/secondary-log.js';
import { buildApp } from '../../src/http/app.js';
import { listen } from '../../src/http/listener.js';
import { text } from '../../src/http/responses.js';
import { LISTENER } from '../../src/node/defaults.js';
import { Logger } from '../../src/util/logger.js';
import { h, hx } from '../support/vectors.js';
import { FakeClock, logSigner, tempDir } from '../support/fixtures.js';
import { FakePrimary } from '../support/fake-primary.js';
import { fakePeer, trickle } from '../support/http.js';
import { EPOCH_HEADER } from '../../src/sigsum/wire.js';
import { secondarySigner, testSecondary } from '../support/logs.js';

type T = Parameters<typeof tempDir>[0];

async function newSecondary(
  t: T,
  primaryUrl: string,
  opts: { chunk?: number; parallel?: number; logUrl?: string } = {},
) {
  const s = await testSecondary(t, primaryUrl, opts);
  return { log: s.log, store: s.dd.store, state: s.dd.state, lines: s.lines };
}

function signed(r: ReplicaHeadOutcome) {
  assert.equal(r.kind, 'signed');
  return r.head;
}

async function catchUp(log: SecondaryLog): Promise<number> {
  let rounds = 1;
  while (await log.pollOnce()) rounds++;
  return rounds;
}

test('replicates in checked chunks through a primary that clamps ranges; signs its own head', async t => {
  const fp = await FakePrimary.start(t, 57, { maxRange: 7 });
  const { log, store } = await newSecondary(t, fp.internal.url, { chunk: 20, parallel: 3 });
  assert.equal(await catchUp(log), 3);
  assert.equal(store.size(), 57);
  assert.equal(hx(store.root()), hx(fp.store.root()));
  assert.equal(log.publishedTreeHead()?.size, 57);
  assert.equal(log.treeHeadBody(), formatSignedTreeHead(fp.published));
  assert.equal(log.heads.seenTreeHead()!.size, 57);
  const own = signed(await log.signedReplicaHead(0));
  assert.equal(own.size, 57);
  assert.ok(verifyTreeHead(secondarySigner.publicKey, own), 'signed with the secondary key, origin from its key hash');
  assert.ok(!verifyTreeHead(logSigner.publicKey, own));
  // The primary grows and signs only part of it: the secondary copies all, publishes what was signed.
  FakePrimary.grow(fp.store, 10, 'leaf');
  assert.equal(await catchUp(log), 1);
  assert.equal(store.size(), 67);
  assert.equal(log.publishedTreeHead()?.size, 57);
  fp.signAll();
  await log.pollOnce();
  assert.equal(log.publishedTreeHead()?.size, 67);
  assert.equal(store.latestTreeHead()!.size, 67);
});

test('a tampered leaf in a batch is caught before the commit: nothing of the batch is stored', async t => {
  const fp = await FakePrimary.start(t, 50, { maxRange: 10 });
  const { log, store, lines } = await newSecondary(t, fp.internal.url, { chunk: 20 });
  fp.tamper = (i, leaf) => (i === 27 ? Uint8Array.from(leaf, (b, j) => (j === 0 ? b ^ 1 : b)) : leaf);
  await log.pollOnce();
  assert.equal(store.size(), 20);
  await assert.rejects(log.pollOnce(), Divergence);
  assert.equal(store.size(), 20, 'the bad batch [20, 40) was not stored');
  // Through the loop: the node halts and says so.
  log.start();
  await new Promise(r => setImmediate(r));
  await log.stop();
  assert.match(
    log.status() ?? '',
    /replication halted: leaves \[20, 40\) from the primary do not match its own tree head of size 50/,
  );
  assert.ok(lines.some(l => /ERROR REPLICATION HALTED/.test(l)));
  assert.equal(await log.pollOnce(), false, 'a halted secondary copies nothing more');
  assert.equal(store.size(), 20);
});

test('a primary that rewrote an index this replica holds is refused, and nothing is rewritten', async t => {
  const fp = await FakePrimary.start(t, 10);
  const { log, store } = await newSecondary(t, fp.internal.url);
  await catchUp(log);
  const root10 = hx(store.root());
  // Another tree: same first 5 leaves, different from index 5 on, and longer.
  const other = await FakePrimary.newStore(t, 5, 'leaf');
  FakePrimary.grow(other.store, 12, 'forked');
  fp.swap(other);
  await assert.rejects(
    log.pollOnce(),
    /does not extend this replica of size 10: it changed leaves this replica already holds/,
  );
  assert.equal(store.size(), 10);
  assert.equal(hx(store.root()), root10);
  // A primary with fewer leaves than the replica (wrong primary, or it lost leaves).
  fp.swap(await FakePrimary.newStore(t, 4, 'leaf'));
  await assert.rejects(log.pollOnce(), /fewer than the 10 this replica holds/);
  // Same size, different root.
  fp.swap(await FakePrimary.newStore(t, 10, 'other'));
  await assert.rejects(log.pollOnce(), /root at size 10 differs/);
  assert.equal(hx(store.root()), root10);
});

test('tree heads signed by the log are checked: forks, rollbacks and wrong roots halt replication', async t => {
  const fp = await FakePrimary.start(t, 8);
  const { log, store } = await newSecondary(t, fp.internal.url);
  await catchUp(log);
  // A signed head whose root disagrees with the replica at a size it holds.
  fp.committed = signTreeHeadSync(logSigner, { size: 6, rootHash: store.rootAt(5) });
  await assert.rejects(log.pollOnce(), /rolled back/);
  fp.committed = signTreeHeadSync(logSigner, { size: 8, rootHash: store.rootAt(7) });
  await assert.rejects(log.pollOnce(), /two different roots for size 8: a fork/);
  fp.committed = signTreeHeadSync(new SeedSigner(h('07'.repeat(32))), { size: 8, rootHash: store.rootAt(8) });
  await assert.rejects(log.pollOnce(), /does not verify with the log key/);
  FakePrimary.grow(fp.store, 4, 'leaf');
  fp.committed = signTreeHeadSync(logSigner, { size: 12, rootHash: store.rootAt(8) });
  await assert.rejects(
    log.pollOnce(),
    /the log signed root [0-9a-f]+ for size 12, but this replica's root at that size is/,
  );
});

test('a primary with a lower epoch than one already followed is refused; a higher one is recorded', async t => {
  const fp = await FakePrimary.start(t, 5);
  const { log, store } = await newSecondary(t, fp.internal.url);
  fp.epoch = 2;
  await catchUp(log);
  assert.equal(store.epoch, 2);
  FakePrimary.grow(fp.store, 3, 'leaf');
  fp.epoch = 1;
  await assert.rejects(
    log.pollOnce(),
    (e: Error) =>
      e instanceof StaleEpoch &&
      /refusing to follow a primary of epoch 1: this node already knows a primary of epoch 2/.test(e.message),
  );
  assert.equal(store.size(), 5, 'nothing copied from the stale primary');
  fp.epoch = 3;
  await catchUp(log);
  assert.equal(store.size(), 8);
  assert.equal(store.epoch, 3);
});

test('follows a log-go primary: checked up to the published head through the public URL, unchecked beyond', async t => {
  const fp = await FakePrimary.start(t, 30, { maxRange: 8 });
  // A log-go internal API: only get-leaves (our route, without the epoch header or other endpoints).
  const legacy = buildApp(
    [
      {
        pattern: 'GET /get-leaves/{start}/{end}',
        handler: async (_c, p) => {
          const r = await fetch(`${fp.internal.url}/get-leaves/${p.start}/${p.end}`);
          return new Response(await r.text(), { status: r.status });
        },
      },
    ],
    { logger: Logger.memory('error').logger },
  );
  const internal = await listen('127.0.0.1:0', legacy, LISTENER);
  t.after(() => internal.close(0));
  FakePrimary.grow(fp.store, 5, 'unsigned'); // 35 leaves, 30 published
  const { log, store } = await newSecondary(t, internal.url, { logUrl: fp.external.url, chunk: 16 });
  await catchUp(log);
  assert.equal(log.mode, 'legacy');
  assert.equal(store.size(), 35);
  assert.equal(log.publishedTreeHead()?.size, 30);
  assert.equal(hx(store.root()), hx(fp.store.root()));
  // A tampered leaf below the published head is caught through the public proofs.
  const { log: log2, store: store2 } = await newSecondary(t, internal.url, { logUrl: fp.external.url, chunk: 16 });
  fp.tamper = (i, leaf) => (i === 20 ? Uint8Array.from(leaf, (b, j) => (j === 5 ? b ^ 1 : b)) : leaf);
  await log2.pollOnce();
  await assert.rejects(log2.pollOnce(), Divergence);
  assert.equal(store2.size(), 16);
});

test('add-leaf on a secondary and reads before any verified head', async t => {
  const fake = buildApp([{ pattern: 'GET /get-tree-head-unsigned', handler: () => text('garbage') }], {
    logger: Logger.memory('error').logger,
  });
  const srv = await listen('127.0.0.1:0', fake, LISTENER);
  t.after(() => srv.close(0));
  const { log } = await newSecondary(t, srv.url);
  await assert.rejects(log.pollOnce(), /malformed answer/);
  assert.equal(log.treeHeadBody(), undefined, 'no verified tree head yet');
});

test('fencing: a signed epoch announcement is recorded; a fenced secondary refuses older primaries, both ways', async t => {
  const fp = await FakePrimary.start(t, 6);
  const { log, store, lines } = await newSecondary(t, fp.internal.url);
  await catchUp(log);
  assert.equal(signed(await log.signedReplicaHead(0)).size, 6, 'epoch 0: anyone');
  assert.deepEqual(log.announceEpoch(await signEpoch(new SeedSigner(h('07'.repeat(32))), 1)), {
    kind: 'bad-signature',
  });
  assert.deepEqual(log.announceEpoch(await signEpoch(logSigner, 2)), { kind: 'accepted', epoch: 2 });
  assert.equal(store.epoch, 2, 'stored durably');
  assert.deepEqual(log.announceEpoch(await signEpoch(logSigner, 1)), { kind: 'stale', epoch: 2 });
  assert.deepEqual(
    await log.signedReplicaHead(0),
    { kind: 'fenced', epoch: 2 },
    'no head for the old primary (or log-go, which sends no epoch)',
  );
  assert.deepEqual(await log.signedReplicaHead(1), { kind: 'fenced', epoch: 2 });
  await log.signedReplicaHead(0);
  assert.equal(
    lines.filter(l => l.includes('refusing get-secondary-tree-head to a primary of an older epoch')).length,
    2,
    'one line per refused epoch',
  );
  assert.equal(signed(await log.signedReplicaHead(2)).size, 6);
  FakePrimary.grow(fp.store, 2, 'leaf');
  await assert.rejects(log.pollOnce(), StaleEpoch, 'nor is an old primary followed');
  assert.equal(store.size(), 6);
});

test('a trickling primary costs the secondary at most its deadline per request; nothing is stored from it', async t => {
  const fp = await FakePrimary.start(t, 6);
  const { log, store } = await newSecondary(t, fp.internal.url);
  await catchUp(log);
  // The primary now answers every request with its headers at once, then one byte every 200 ms.
  const slow = await fakePeer(t, (req, res) =>
    trickle(res, 'size=6\nroot_hash=' + '00'.repeat(32) + '\n', 200, { [EPOCH_HEADER]: '0' }),
  );
  const { log: stuck, store: stuckStore } = await newSecondary(t, slow);
  await assert.rejects(stuck.pollOnce(), /no complete answer within 2000 ms/);
  assert.equal(stuckStore.size(), 0);
  assert.equal(store.size(), 6);
});

test('a long catch-up says so: progress lines with rate and ETA, and one when caught up', async t => {
  const fp = await FakePrimary.start(t, 60_000);
  const clock = new FakeClock();
  const s = await testSecondary(t, fp.internal.url, { chunk: 8192, parallel: 4, clock });
  while (await s.log.pollOnce()) clock.advance(6000); // each batch "takes" 6 s

  assert.equal(s.dd.store.size(), 60_000);
  const lines = s.lines.filter(l => /catching up|caught up/.test(l));
  assert.match(lines[0], /INFO catching up with the primary replica_size=8192 primary_size=60000/);
  assert.ok(
    lines.some(l => /INFO catching up with the primary: \d+\/60000 leaves \(\d+\/s, ETA \d+s\)/.test(l)),
    lines.join('\n'),
  );
  assert.match(lines.at(-1)!, /INFO caught up with the primary leaves=51808 seconds=\d+ replica_size=60000/);
});
