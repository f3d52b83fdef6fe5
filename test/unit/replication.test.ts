// The primary's replication check: which secondary answers count, the quorum
// arithmetic, one log line per state change, a round decided as soon as the
// quorum is (a trickling peer costs nothing then, and at most its deadline
// otherwise), and add-leaf's 202 -> 200 as a real in-process secondary
// catches up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { SeedSigner } from '../../src/sigsum/crypto.js';
import { signEpoch } from '../../src/sigsum/epoch.js';
import { formatSignedTreeHead, signTreeHeadSync } from '../../src/sigsum/treehead.js';
import { Replication } from '../../src/primary/replication.js';
import { Logger } from '../../src/util/logger.js';
import { h } from '../support/vectors.js';
import { FakeClock, logSigner, tempDir } from '../support/fixtures.js';
import { FakePrimary } from '../support/fake-primary.js';
import { makeLeaf } from '../support/client.js';
import { servePrimary, serveSecondary, testPrimary, testSecondary } from '../support/logs.js';
import { fakePeer, trickle } from '../support/http.js';
import { freePort } from '../support/process.js';

const keys = [1, 2, 3, 4, 5, 6, 7].map(i => new SeedSigner(h(String(i).padStart(2, '0').repeat(32))));
type T = Parameters<typeof tempDir>[0];

/** A fake secondary answering get-secondary-tree-head with `answer` (undefined: never answer). */
function fakeSecondary(t: T, answer: (res: ServerResponse) => void): Promise<string> {
  return fakePeer(t, (req, res) => (req.url !== '/get-secondary-tree-head' ? res.writeHead(404).end() : answer(res)));
}

test('which secondary answers count, and the quorum-th largest size', async t => {
  const fp = await FakePrimary.start(t, 20);
  const store = fp.store;
  const sth = (k: SeedSigner, size: number, rootSize = size) =>
    formatSignedTreeHead(signTreeHeadSync(k, { size, rootHash: store.rootAt(rootSize) }));
  const fixed = (body: string) => (res: ServerResponse) => res.writeHead(200).end(body);
  const good15 = { url: await fakeSecondary(t, fixed(sth(keys[0], 15))), publicKey: keys[0].publicKey };
  const good10 = { url: await fakeSecondary(t, fixed(sth(keys[1], 10))), publicKey: keys[1].publicKey };
  const badSig = { url: await fakeSecondary(t, fixed(sth(keys[6], 18))), publicKey: keys[2].publicKey };
  const ahead = {
    url: await fakeSecondary(
      t,
      fixed(formatSignedTreeHead(signTreeHeadSync(keys[3], { size: 25, rootHash: store.rootAt(20) }))),
    ),
    publicKey: keys[3].publicKey,
  };
  const inconsistent = { url: await fakeSecondary(t, fixed(sth(keys[4], 12, 11))), publicKey: keys[4].publicKey };
  const silent = { url: await fakeSecondary(t, () => {}), publicKey: keys[5].publicKey };
  const down = { url: `http://127.0.0.1:${await freePort()}`, publicKey: keys[6].publicKey };
  const { logger, lines } = Logger.memory('info');
  const mk = (secs: (typeof good15)[], quorum: number) =>
    new Replication(secs, store, { quorum, timeoutMs: 300, epoch: 0, clock: new FakeClock(), logger });

  assert.equal(await mk([good15, good10], 1).replicatedSize(20), 15);
  assert.equal(await mk([good15, good10], 2).replicatedSize(20), 10);
  const zoo = mk([good15, badSig, ahead, inconsistent, silent, down], 1);
  lines.length = 0;
  assert.equal(await zoo.replicatedSize(20), 15);
  // Let the slow ones reach their deadline before looking at the statuses.
  await new Promise(r => setTimeout(r, 350));
  const st = zoo.statuses();
  assert.deepEqual(
    st.map(s => s.ok),
    [true, false, false, false, false, false],
  );
  assert.match(st[1].error!, /signature does not verify with the configured secondary key/);
  assert.match(st[2].error!, /secondary is ahead of the primary \(25 > 20 leaves\)/);
  // A replica ahead of its primary: the primary lost leaves (a restored backup) or another primary runs.
  assert.deepEqual(zoo.superseded, { epoch: 0, secondary: ahead.url, aheadBy: 5 });
  assert.ok(lines.some(l => /ERROR a secondary holds more leaves than this primary/.test(l)));
  assert.match(st[3].error!, /secondary tree of size 12 is inconsistent with the primary's/);
  assert.match(st[4].error!, /no complete answer within 300 ms/);
  assert.match(st[5].error!, /ECONNREFUSED/);
  assert.equal(lines.filter(l => /WARNING secondary does not count/.test(l)).length, 5);
  assert.equal(await zoo.replicatedSize(20), 15);
  await new Promise(r => setTimeout(r, 350));
  assert.equal(
    lines.filter(l => /WARNING secondary does not count/.test(l)).length,
    5,
    'no new line while nothing changes',
  );
  assert.equal(await mk([good15, badSig, ahead], 2).replicatedSize(20), 0);

  assert.throws(() => mk([good15, good10], 3), /quorum 3 must be between 1 and the number of secondaries \(2\)/);
  assert.throws(() => mk([good15, { ...good10, publicKey: keys[0].publicKey }], 1), /configured twice/);
});

test('a trickling secondary: the round decides as soon as the quorum is decided, and the peer costs at most its deadline', async t => {
  const fp = await FakePrimary.start(t, 20);
  const body = (k: SeedSigner, size: number) =>
    formatSignedTreeHead(signTreeHeadSync(k, { size, rootHash: fp.store.rootAt(size) }));
  const honest = {
    url: await fakeSecondary(t, res => res.writeHead(200).end(body(keys[0], 20))),
    publicKey: keys[0].publicKey,
  };
  const trickling = {
    url: await fakeSecondary(t, res => trickle(res, body(keys[1], 20), 200)),
    publicKey: keys[1].publicKey,
  };
  const { logger } = Logger.memory('info');
  const clock = new FakeClock();
  // Quorum 1 of 2: the honest answer at the full local size decides; the trickler is not waited for.
  const one = new Replication([honest, trickling], fp.store, { quorum: 1, timeoutMs: 1500, epoch: 0, clock, logger });
  assert.equal(await one.replicatedSize(20), 20);
  const [h1, h2] = one.statuses();
  assert.ok(h1.ok);
  assert.ok(
    !h2.ok && h2.error === undefined,
    'decided while the trickling peer was still sending (neither answered nor timed out)',
  );
  // Quorum 2 of 2: the trickler is needed; its deadline ends the round with it counted as 0.
  const both = new Replication([honest, trickling], fp.store, { quorum: 2, timeoutMs: 500, epoch: 0, clock, logger });
  assert.equal(await both.replicatedSize(20), 0);
  assert.match(both.statuses()[1].error!, /no complete answer within 500 ms/);
});

test("add-leaf answers 'accepted' until the secondary holds the leaf, then 'included'", async t => {
  const { logger, lines } = Logger.memory('info');
  const clock = new FakeClock();
  const ref: { current?: Replication } = {};
  const p = await testPrimary(t, { clock, maxPool: 100, replication: ref });
  const pInternal = await servePrimary(t, p.log, p.dd.store);
  const s = await testSecondary(t, pInternal.url, { signer: keys[0], chunk: 100, parallel: 2, clock });
  const sInternal = await serveSecondary(t, s.log, s.dd.store);
  const replication = (ref.current = new Replication(
    [{ url: sInternal.url, publicKey: keys[0].publicKey }],
    p.dd.store,
    {
      quorum: 1,
      timeoutMs: 1000,
      epoch: 0,
      clock,
      logger,
    },
  ));

  const leaves = Array.from({ length: 5 }, (_, i) => makeLeaf(keys[1], `replicated ${i}`));
  for (const l of leaves) assert.equal((await p.submit(l.body)).kind, 'accepted');
  p.log.flush();
  await p.log.rotate();
  assert.equal(p.log.committedTreeHead().size, 0, 'nothing signed before the secondary holds it');
  assert.equal((await p.submit(leaves[0].body)).kind, 'accepted');
  await s.log.pollOnce();
  assert.equal(s.dd.store.size(), 5);
  await p.log.rotate();
  assert.equal(p.log.committedTreeHead().size, 5);
  for (const l of leaves) assert.equal((await p.submit(l.body)).kind, 'included');
  await s.log.pollOnce();
  assert.equal(s.log.publishedTreeHead()?.size, 5, 'the secondary serves the published head once it holds it');

  // The secondary goes away: the head stays, one error line, then recovery.
  await sInternal.close(0);
  const more = makeLeaf(keys[1], 'while the secondary is away');
  assert.equal((await p.submit(more.body)).kind, 'accepted');
  p.log.flush();
  await p.log.rotate();
  await p.log.rotate();
  assert.equal(p.log.committedTreeHead().size, 5);
  assert.equal((await p.submit(more.body)).kind, 'accepted');
  assert.equal(lines.filter(l => /secondary does not count/.test(l)).length, 1);
  assert.deepEqual(
    replication.statuses().map(x => [x.ok, x.size]),
    [[false, 5]],
  );
});

test('a primary that a fenced secondary refuses (higher epoch) is superseded: it signs nothing more and accepts no leaf', async t => {
  const { logger, lines } = Logger.memory('info');
  const clock = new FakeClock();
  const ref: { current?: Replication } = {};
  const p = await testPrimary(t, { clock, maxPool: 100, replication: ref });
  const pInternal = await servePrimary(t, p.log, p.dd.store);
  // Two secondaries, quorum 1: one fenced by a promoted primary (epoch 1), one still following this old primary.
  const fenced = await testSecondary(t, pInternal.url, { signer: keys[4], clock });
  const follower = await testSecondary(t, pInternal.url, { signer: keys[5], clock });
  assert.equal(fenced.log.announceEpoch(await signEpoch(logSigner, 1)).kind, 'accepted');
  const urls = [
    (await serveSecondary(t, fenced.log, fenced.dd.store)).url,
    (await serveSecondary(t, follower.log, follower.dd.store)).url,
  ];
  ref.current = new Replication(
    urls.map((url, i) => ({ url, publicKey: keys[4 + i].publicKey })),
    p.dd.store,
    { quorum: 1, timeoutMs: 1000, epoch: 0, clock, logger },
  );
  const leaf = makeLeaf(keys[2], 'after the promotion elsewhere');
  assert.equal((await p.submit(leaf.body)).kind, 'accepted');
  p.log.flush();
  await follower.log.pollOnce();
  assert.equal(follower.dd.store.size(), 1, 'the unfenced secondary holds the leaf: quorum 1 would be reached');
  await p.log.rotate();
  assert.equal(p.log.committedTreeHead().size, 0, 'nothing signed');
  assert.ok(p.log.superseded.active);
  assert.match(p.log.superseded.message!, /follows a primary of epoch 1 \(this one: 0\)/);
  assert.equal((await p.submit(makeLeaf(keys[2], 'another').body)).kind, 'unavailable');
  await p.log.rotate();
  assert.equal(p.log.committedTreeHead().size, 0);
  assert.equal(lines.filter(l => /superseded/.test(l)).length, 1, 'one line from replication');
  assert.equal(p.lines.filter(l => /superseded/.test(l)).length, 1, 'one state line from the log, not one per round');
});
