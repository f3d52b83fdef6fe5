// Witness cosigning: the add-checkpoint wire format against sigsum-go's
// vectors, the client against the test witness (409 resync, every failure
// kind, timestamp sanity, persisted sizes) and publication gated by the
// policy's quorum through the PrimaryLog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeedSigner, sha256 } from '../../src/sigsum/crypto.js';
import { parseSignatureLine } from '../../src/sigsum/checkpoint.js';
import {
  findCosignature,
  formatAddCheckpoint,
  parseAddCheckpoint,
  parseTlogSize,
} from '../../src/sigsum/witness-protocol.js';
import { parsePolicy } from '../../src/sigsum/policy.js';
import { signTreeHeadSync, verifyCosignature } from '../../src/sigsum/treehead.js';
import { WITNESS_MAX_FUTURE_MS, WitnessClient, WitnessError } from '../../src/witness/witness-client.js';
import { PrimaryLog } from '../../src/primary/primary-log.js';
import { initDataDir } from '../../src/storage/datadir.js';
import { testPrimary } from '../support/logs.js';
import { toHex } from '../../src/sigsum/types.js';
import { entry, h, hx } from '../support/vectors.js';
import { FakeClock, logSigner, submitterSigner, tempDir, waitFor } from '../support/fixtures.js';
import { makeLeaf } from '../support/client.js';
import { fakePeer, trickle } from '../support/http.js';
import { TestWitness } from '../support/witness.js';

type T = Parameters<typeof tempDir>[0];

test('add-checkpoint request and cosignature lines match sigsum-go', () => {
  const v = entry('sigsum-go.json', 'add-checkpoint-request');
  const parsed = parseAddCheckpoint(v.body);
  assert.equal(parsed.oldSize, 3);
  assert.equal(parsed.origin, 'example.org/log');
  assert.equal(parsed.size, 5);
  const checkpoint = v.body.slice(v.body.indexOf('\n\n') + 2);
  assert.equal(formatAddCheckpoint(3, parsed.proof, checkpoint), v.body);
  assert.throws(() => parseAddCheckpoint(v.body.replace('old 3', 'old -3')), /first line|invalid old size/);
  assert.throws(() => parseAddCheckpoint(v.body.replace('\n\nexample', '\nexample')), /proof line|blank/);
  assert.equal(parseTlogSize('17\n'), 17);
  assert.equal(parseTlogSize('017\n'), undefined);
  assert.equal(parseTlogSize('17'), undefined);

  const c = entry('sigsum-go.json', 'witness-cosignature-line');
  const pub = h(c.witness_public_key) as never;
  const found = findCosignature([parseSignatureLine(c.line)], pub);
  assert.equal(found?.timestamp, 1234n);
  assert.equal(hx(found.signature), c.signature);
  assert.equal(findCosignature([parseSignatureLine(c.other_lines_in_test.wrong_key_id)], pub), undefined);
  assert.equal(findCosignature([parseSignatureLine(c.other_lines_in_test.wrong_key_name)], pub), undefined);
  assert.equal(
    findCosignature(
      [parseSignatureLine(c.other_lines_in_test.wrong_blob_size_ignored), parseSignatureLine(c.line)],
      pub,
    )?.timestamp,
    1234n,
  );
});

const witnessKeys = [1, 2, 3].map(i => new SeedSigner(h(`3${i}`.repeat(32))));
const NOW = 1_800_000_000; // seconds

async function witnesses(t: T, n = 3): Promise<TestWitness[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const w = await new TestWitness({
      name: `witness.example/w${i + 1}`,
      signer: witnessKeys[i],
      logs: [logSigner.publicKey],
      now: () => NOW,
    }).start();
    t.after(() => w.stop());
    out.push(w);
  }
  return out;
}

async function logWith(
  t: T,
  dir: string,
  policyText: string | undefined,
  gate = true,
  clock = new FakeClock(NOW * 1000),
) {
  const p = await testPrimary(t, {
    dir,
    clock,
    maxPool: 100,
    witnesses: policyText ? { policy: parsePolicy(policyText), gate, timeoutMs: 500 } : undefined,
  });
  return { log: p.log, lines: p.lines, dd: p.dd, submit: p.submit, clock };
}

async function grow(
  p: { log: PrimaryLog; submit: (b: string) => Promise<unknown> },
  n: number,
  tag: string,
): Promise<void> {
  for (let i = 0; i < n; i++) await p.submit(makeLeaf(submitterSigner, `${tag} ${i}`).body);
  p.log.flush();
  await p.log.rotate();
}

test('the client: first cosignature, proofs from the cosigned size, 409 resync once, strict answers', async t => {
  const [w] = await witnesses(t, 1);
  const dd = await initDataDir(tempDir(t), {
    role: 'primary',
    logPublicKey: logSigner.publicKey,
    signer: logSigner,
    now: NOW * 1000,
  });
  t.after(() => dd.close());
  const store = dd.store;
  const clientFor = (witness: TestWitness) =>
    new WitnessClient(
      { name: witness.opts.name, publicKey: witness.publicKey, keyHash: '', url: witness.url },
      logSigner.publicKey,
      store,
      {
        timeoutMs: 500,
        maxFutureSkewMs: WITNESS_MAX_FUTURE_MS,
        clock: new FakeClock(NOW * 1000),
      },
    );
  const client = clientFor(w);
  const add = (n: number, tag: string) => {
    store.append(
      Array.from({ length: n }, (_, i) => makeLeaf(submitterSigner, `${tag} ${i}`)).map(l => ({
        leaf: l.leaf,
        leafHash: l.leafHash,
      })),
    );
    return signTreeHeadSync(logSigner, { size: store.size(), rootHash: store.root() });
  };
  const mem = { size: 0, timestamp: 0n };
  const sth5 = add(5, 'a');
  const c5 = await client.cosign(sth5, mem);
  assert.ok(verifyCosignature(w.publicKey, logSigner.publicKey, sth5, c5));
  assert.deepEqual(mem, { size: 5, timestamp: BigInt(NOW) });
  const sth9 = add(4, 'b');
  await client.cosign(sth9, mem);
  assert.deepEqual(
    w.requests.map(r => [r.old, r.size, r.status]),
    [
      [0, 5, 200],
      [5, 9, 200],
    ],
  );
  // A log that forgot the witness's size (e.g. state lost): one 409, then success.
  const forgetful = { size: 0, timestamp: 0n };
  const sth12 = add(3, 'c');
  await client.cosign(sth12, forgetful);
  assert.deepEqual(
    w.requests.slice(2).map(r => [r.old, r.size, r.status]),
    [
      [0, 12, 409],
      [9, 12, 200],
    ],
  );
  // The same head again (a refresh) is fine.
  await client.cosign(sth12, forgetful);
  // A witness that has cosigned more than this head: a rollback or fork, never "fixed" by retrying.
  await assert.rejects(
    client.cosign(sth9, { size: 12, timestamp: 0n }),
    (e: Error) => e instanceof WitnessError && e.alarming && /larger than this log's tree head/.test(e.message),
  );

  const failures: [TestWitness['mode'], RegExp][] = [
    ['garbage', /malformed answer/],
    ['wrong-key', /invalid cosignature/],
    ['future', /more than 24 h ahead of this node's clock/],
    ['always-409', /HTTP 409 again after resyncing/],
  ];
  for (const [mode, re] of failures) {
    w.mode = mode;
    await assert.rejects(client.cosign(sth12, { ...forgetful }), re, mode);
  }
  w.mode = 'other-types-first';
  w.state.clear();
  assert.ok(await client.cosign(sth12, { size: 0, timestamp: 0n }));
  w.mode = 'ok';
  // Older than its previous one (the witness's clock was set back): accepted, the skew reported.
  const setBack = { size: 12, timestamp: BigInt(NOW + 3600) };
  assert.ok(await client.cosign(sth12, setBack));
  assert.equal(setBack.timestamp, BigInt(NOW + 3600), 'the remembered timestamp never goes back');
  assert.equal(client.lastSkewSeconds, 0);
  const stranger = await new TestWitness({
    name: 'w/x',
    signer: witnessKeys[2],
    logs: [submitterSigner.publicKey],
  }).start();
  t.after(() => stranger.stop());
  await assert.rejects(clientFor(stranger).cosign(sth12, { size: 0, timestamp: 0n }), /HTTP 404/);
  w.delayMs = 1000;
  await assert.rejects(client.cosign(sth12, { size: 12, timestamp: 0n }), /no complete answer within 500 ms/);
  w.delayMs = 0;
  await w.stop();
  await assert.rejects(client.cosign(sth12, { size: 12, timestamp: 0n }), /ECONNREFUSED|other side closed/);
});

test('2-of-3 quorum: published once two witnesses cosigned; one down goes on; two down holds; recovery; restart keeps sizes', async t => {
  const ws = await witnesses(t);
  const policy = `log ${toHex(logSigner.publicKey)}\n${ws.map(w => w.policyLine()).join('')}group q 2 ${ws.map(w => w.policyName).join(' ')}\nquorum q\n`;
  const dir = tempDir(t);
  const first = await logWith(t, dir, policy);
  const { log, lines } = first;
  await grow(first, 4, 'first');
  assert.equal(log.committedTreeHead().size, 4);
  const published = await waitFor(
    'publication of size 4',
    () => (log.publishedTreeHead().size === 4 && log.publishedTreeHead().cosignatures.length === 3) || undefined,
  );
  assert.ok(published);
  for (const c of log.publishedTreeHead().cosignatures) {
    const w = ws.find(x => hx(c.keyHash) === toHex(sha256(x.publicKey)));
    assert.ok(w && verifyCosignature(w.publicKey, logSigner.publicKey, log.publishedTreeHead(), c));
  }
  assert.match(
    log.treeHeadBody(),
    /^size=4\nroot_hash=[0-9a-f]{64}\nsignature=[0-9a-f]{128}\n(cosignature=[0-9a-f]{64} 1800000000 [0-9a-f]{128}\n){3}$/,
  );

  await ws[0].stop();
  await grow(first, 2, 'one down');
  await waitFor('publication of size 6 with one witness down', () => log.publishedTreeHead().size === 6 || undefined);
  assert.equal(log.publishedTreeHead().cosignatures.length, 2);

  await ws[1].stop();
  await grow(first, 2, 'two down');
  assert.equal(log.committedTreeHead().size, 8);
  await waitFor(
    'the remaining witness to cosign 8',
    () => ws[2].state.get(`sigsum.org/v1/tree/${entry('formats.json', 'key-log').key_hash}`)?.size === 8 || undefined,
  );
  await log.rotate();
  assert.equal(log.publishedTreeHead().size, 6, 'not published without a quorum');
  assert.equal(
    (await first.submit(makeLeaf(submitterSigner, 'two down 0').body)).kind,
    'accepted',
    'with a witness policy, 200 only once a published head covers the leaf',
  );
  const failing = lines.filter(l => /WARNING witness failing/.test(l)).length;
  assert.ok(failing >= 2, 'at least one line per witness that started failing');

  await ws[0].start();
  await ws[1].start();
  // The next round (an unpublished head is re-offered every round) reaches them again.
  await waitFor('publication after recovery', async () => {
    await log.rotate();
    return log.publishedTreeHead().size === 8 || undefined;
  });
  assert.ok(lines.some(l => /INFO witness cosigning again/.test(l)));
  assert.equal(
    lines.filter(l => /WARNING witness failing/.test(l)).length,
    failing,
    'retries are not logged at INFO or above',
  );
  assert.equal(
    (await first.submit(makeLeaf(submitterSigner, 'two down 0').body)).kind,
    'included',
    'published now: 200',
  );
  const published8 = log.treeHeadBody();
  await log.finish(performance.now() + 2000);
  await log.cosigner!.stop();
  first.dd.close();

  // Restart: the same cosigned head is served, and no witness needs a 409 round trip.
  for (const w of ws) w.requests.length = 0;
  const again = await logWith(t, dir, policy);
  assert.equal(again.log.treeHeadBody(), published8);
  await grow(again, 1, 'after restart');
  await waitFor('publication after restart', () => again.log.publishedTreeHead().size === 9 || undefined);
  await again.log.finish(performance.now() + 2000);
  await again.log.cosigner!.stop();
  for (const w of ws)
    assert.ok(
      w.requests.every(r => r.status === 200),
      `${w.opts.name}: ${JSON.stringify(w.requests)}`,
    );
});

test("publish-without-quorum (log-go's behaviour) and quorum none publish at once", async t => {
  const ws = await witnesses(t, 1);
  await ws[0].stop();
  const policy = `${ws[0].policyLine()}quorum ${ws[0].policyName}\n`;
  const open = await logWith(t, tempDir(t), policy, false);
  await grow(open, 2, 'x');
  assert.equal(open.log.publishedTreeHead().size, 2);
  assert.equal(open.log.publishedTreeHead().cosignatures.length, 0);
  await open.log.cosigner!.stop();
  const none = await logWith(t, tempDir(t), `${ws[0].policyLine()}quorum none\n`);
  await grow(none, 2, 'y');
  assert.equal(none.log.publishedTreeHead().size, 2);
  await none.log.cosigner!.stop();
  await assert.rejects(
    logWith(t, tempDir(t), `witness w ${toHex(witnessKeys[0].publicKey)}\nquorum w\n`),
    /cannot be met by the witnesses that have a URL/,
  );
});

test("clocks: the log's clock an hour behind the witnesses' and then set back: publication goes on, each state one line", async t => {
  const ws = await witnesses(t, 2); // their clock: NOW
  const policy = `log ${toHex(logSigner.publicKey)}\n${ws.map(w => w.policyLine()).join('')}group q all ${ws.map(w => w.policyName).join(' ')}\nquorum q\n`;
  const clock = new FakeClock((NOW - 3600) * 1000); // an hour behind the witnesses
  const p = await logWith(t, tempDir(t), policy, true, clock);
  for (let round = 0; round < 5; round++) {
    await grow(p, 1, `behind ${round}`);
    await waitFor(`publication of size ${round + 1}`, () => p.log.publishedTreeHead().size === round + 1 || undefined);
    clock.advance(1000);
  }
  assert.equal(p.log.cosigner!.statuses()[0].skewSeconds, 3600 - 4);
  assert.equal(p.lines.filter(l => /witness clock differs from this node's/.test(l)).length, 2, 'one line per witness');
  // The log's clock is set back another hour: signatures keep a time that never goes back, publication goes on.
  const before = p.log.lastSignedAt();
  clock.setWall(clock.now() - 3_600_000);
  for (let round = 5; round < 8; round++) {
    await grow(p, 1, `set back ${round}`);
    await waitFor(`publication of size ${round + 1}`, () => p.log.publishedTreeHead().size === round + 1 || undefined);
    clock.advance(1000);
  }
  assert.ok(p.log.lastSignedAt() > before, 'the signing time never went back');
  assert.ok(p.log.clockBehind.active);
  assert.equal(p.lines.filter(l => /the clock is behind the latest tree head signature/.test(l)).length, 1);
  assert.equal(
    p.lines.filter(l => /witness clock differs from this node's/.test(l)).length,
    2,
    'still one per witness',
  );
  assert.equal((await p.submit(makeLeaf(submitterSigner, 'set back 7 0').body)).kind, 'included');
  await p.log.finish(performance.now() + 2000);
  await p.log.cosigner!.stop();
});

test('a trickling witness costs at most its deadline; the other witnesses publish without it', async t => {
  const ws = await witnesses(t, 2);
  const tricklerKey = witnessKeys[2];
  const url = await fakePeer(t, (_req, res) => trickle(res, 'cosignature/v1 ' + 'x'.repeat(200) + '\n', 200));
  const policy =
    `log ${toHex(logSigner.publicKey)}\n${ws.map(w => w.policyLine()).join('')}` +
    `witness slow ${toHex(tricklerKey.publicKey)} ${url}\ngroup q 2 ${ws.map(w => w.policyName).join(' ')} slow\nquorum q\n`;
  const p = await logWith(t, tempDir(t), policy);
  await grow(p, 2, 'trickled');
  await waitFor('publication without the trickling witness', () => p.log.publishedTreeHead().size === 2 || undefined);
  assert.equal(p.log.publishedTreeHead().cosignatures.length, 2);
  const slow = () => p.log.cosigner!.statuses().find(s => s.name === 'slow')!;
  await waitFor('the trickling witness to hit its deadline', () => slow().ok === false || undefined, 5000);
  assert.match(slow().error!, /no complete answer within 500 ms/);
  await grow(p, 1, 'again');
  await waitFor('the next publication', () => p.log.publishedTreeHead().size === 3 || undefined);
  assert.equal(p.lines.filter(l => /witness failing .*witness=slow/.test(l)).length, 1, 'one line, not one per round');
  await p.log.finish(performance.now() + 2000);
  await p.log.cosigner!.stop();
});
