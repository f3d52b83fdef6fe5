// Promotion: the local checks (key, fsck, the last signed head seen), the
// rule that decides from the other sources' answers (judge), the survey's
// requests against real HTTP peers (a secondary's get-secondary-state, a
// conformant witness whose state the probe must not move), and forced
// promotion with --expect-size/--expect-root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeedSigner, sha256 } from '../../src/sigsum/crypto.js';
import { parsePolicy, type Policy } from '../../src/sigsum/policy.js';
import { formatSecondaryState } from '../../src/sigsum/secondary-state.js';
import { signTreeHeadSync } from '../../src/sigsum/treehead.js';
import { toHex } from '../../src/sigsum/types.js';
import { judge, promoteReplica, type PromoteOptions } from '../../src/primary/promote.js';
import { survey, type Survey } from '../../src/primary/promotion-survey.js';
import { initDataDir } from '../../src/storage/datadir.js';
import { buildApp } from '../../src/http/app.js';
import { listen } from '../../src/http/listener.js';
import { text } from '../../src/http/responses.js';
import { LISTENER } from '../../src/node/defaults.js';
import { Logger } from '../../src/util/logger.js';
import { hx } from '../support/vectors.js';
import { logSigner, tempDir } from '../support/fixtures.js';
import { FakePrimary } from '../support/fake-primary.js';
import { secondarySigner, testSecondary } from '../support/logs.js';
import { TestWitness } from '../support/witness.js';

type T = Parameters<typeof tempDir>[0];

const EMPTY: Survey = { secondaries: [], witnesses: [], oldPrimaries: [] };

function options(logger: Logger, over: Partial<PromoteOptions> = {}): PromoteOptions {
  return { survey: () => Promise.resolve(EMPTY), publishGated: false, now: 5, logger, ...over };
}

async function replicaOf(t: T, fp: FakePrimary) {
  const s = await testSecondary(t, fp.internal.url, { chunk: 30 });
  while (await s.log.pollOnce());
  return { log: s.log, store: s.dd.store, state: s.dd.state };
}

const witnessKeys = [1, 2, 3].map(i => new SeedSigner(sha256(Buffer.from(`promotion witness ${i}`))));
function policy(quorum: string): Policy {
  return parsePolicy(
    `log ${toHex(logSigner.publicKey)}\n` +
      witnessKeys.map((k, i) => `witness w${i + 1} ${toHex(k.publicKey)} http://w${i + 1}.example\n`).join('') +
      `group g ${quorum} w1 w2 w3\nquorum g\n`,
  );
}
const wAnswer = (i: number, size: number): Survey['witnesses'][number] => ({
  name: `w${i}`,
  keyHash: toHex(sha256(witnessKeys[i - 1].publicKey)),
  url: `http://w${i}.example`,
  answer: { ok: true, value: { name: `w${i}`, keyHash: '', url: '', size } },
});
const wSilent = (i: number): Survey['witnesses'][number] => ({
  name: `w${i}`,
  keyHash: toHex(sha256(witnessKeys[i - 1].publicKey)),
  url: `http://w${i}.example`,
  answer: { ok: false, why: 'connect ECONNREFUSED' },
});
const sAnswer = (url: string, replicaSize: number, seenSize?: number, epoch = 0): Survey['secondaries'][number] => ({
  url,
  answer: { ok: true, value: { url, epoch, replicaSize, seenSize } },
});
const sSilent = (url: string): Survey['secondaries'][number] => ({
  url,
  answer: { ok: false, why: 'no complete answer within 5000 ms' },
});

test('judge: every other secondary answered with a smaller or equal tree: promote, epoch above all', () => {
  const v = judge(
    { size: 389, seenSize: 376, epoch: 0 },
    { ...EMPTY, secondaries: [sAnswer('http://s0', 389, 376, 2), sAnswer('http://s2', 100, 90)] },
    undefined,
    false,
  );
  assert.deepEqual([v.fatal, v.refusals], [[], []]);
  assert.equal(v.epoch, 3);
  assert.ok(
    v.heard.some(l => /secondary http:\/\/s0: replica of 389 leaves, last signed head seen 376, epoch 2/.test(l)),
  );
  assert.ok(v.warnings.some(w => /--old-primary-url/.test(w)));
});

test('judge: a secondary that is ahead is named, with "promote it instead"', () => {
  const v = judge(
    { size: 133, seenSize: 117, epoch: 0 },
    { ...EMPTY, secondaries: [sAnswer('http://s0:8081', 389, 376), sAnswer('http://s2', 200)] },
    undefined,
    false,
  );
  assert.equal(v.refusals.length, 1);
  assert.match(
    v.refusals[0],
    /secondary http:\/\/s0:8081 holds a replica of 389 leaves and has seen a signed tree head of size 376, but this replica holds only 133: .*Promote http:\/\/s0:8081 instead/,
  );
  // A secondary that has only seen a larger signed head counts too.
  const seenOnly = judge(
    { size: 133, epoch: 0 },
    { ...EMPTY, secondaries: [sAnswer('http://s0', 120, 150)] },
    undefined,
    false,
  );
  assert.match(seenOnly.refusals[0], /has seen a signed tree head of size 150/);
});

test('judge: a silent secondary without a gating witness policy is "not sure"', () => {
  for (const withPolicy of [false, true]) {
    const v = judge(
      { size: 133, seenSize: 117, epoch: 0 },
      { ...EMPTY, secondaries: [sSilent('http://s0')], witnesses: [wAnswer(1, 100), wAnswer(2, 100), wAnswer(3, 100)] },
      withPolicy ? policy('2') : undefined,
      false, // published without waiting for the quorum: witnesses say nothing certain
    );
    assert.equal(v.refusals.length, 1);
    assert.match(v.refusals[0], /cannot be sure .* no answer from secondaries http:\/\/s0 \(no complete answer/);
    assert.match(v.refusals[0], /--force-promote --expect-size N --expect-root HEX/);
  }
});

test('judge: with a gating policy, witnesses decide when the silent ones cannot form the quorum', () => {
  const survey = (ws: Survey['witnesses']): Survey => ({
    ...EMPTY,
    secondaries: [sSilent('http://s0')],
    witnesses: ws,
  });
  const local = { size: 133, seenSize: 117, epoch: 0 };
  // 2-of-3: one silent witness cannot cosign alone.
  assert.deepEqual(
    judge(local, survey([wAnswer(1, 117), wAnswer(2, 133), wSilent(3)]), policy('2'), true).refusals,
    [],
  );
  // Two silent witnesses could have formed the quorum.
  const two = judge(local, survey([wAnswer(1, 117), wSilent(2), wSilent(3)]), policy('2'), true);
  assert.match(
    two.refusals[0],
    /witnesses that did not answer could form the policy's quorum on their own \(w2 at http:\/\/w2.example \(connect ECONNREFUSED\), w3/,
  );
  // 1-of-3: any silent witness could have cosigned alone.
  assert.equal(
    judge(local, survey([wAnswer(1, 117), wAnswer(2, 117), wSilent(3)]), policy('1'), true).refusals.length,
    1,
  );
  // A witness ahead of the replica.
  const ahead = judge(local, survey([wAnswer(1, 376), wAnswer(2, 117), wAnswer(3, 117)]), policy('2'), true);
  assert.match(
    ahead.refusals[0],
    /witness w1 at http:\/\/w1.example has cosigned a tree of size 376, but this replica holds only 133/,
  );
});

test('judge: an old primary that answers is fatal; one that does not is heard', () => {
  const v = judge(
    { size: 10, seenSize: 10, epoch: 0 },
    {
      ...EMPTY,
      oldPrimaries: [
        { url: 'http://old:6965', answered: 'HTTP 200' },
        { url: 'http://old:6966', why: 'connect ECONNREFUSED' },
      ],
    },
    undefined,
    false,
  );
  assert.equal(v.fatal.length, 1);
  assert.match(
    v.fatal[0],
    /the old primary at http:\/\/old:6965 still answers \(HTTP 200\): two primaries would fork the log/,
  );
  assert.ok(v.heard.some(l => /old primary http:\/\/old:6966 does not answer/.test(l)));
});

test('judge: alone, a node that never saw a signed head must be forced', () => {
  assert.match(
    judge({ size: 0, epoch: 0 }, EMPTY, undefined, false).refusals[0],
    /never seen a tree head signed by the log/,
  );
  assert.deepEqual(judge({ size: 5, seenSize: 5, epoch: 0 }, EMPTY, undefined, false).refusals, []);
});

test('promotion: key, rollback and fork refused (even forced); signs the whole replica; epoch above every answer', async t => {
  const fp = await FakePrimary.start(t, 20);
  FakePrimary.grow(fp.store, 20, 'leaf');
  fp.signAll(); // signed at 40
  const s = await testSecondary(t, fp.internal.url, { chunk: 30 });
  fp.epoch = 4;
  await s.log.pollOnce(); // copies 30, sees the head of size 40
  const { store, state } = { store: s.dd.store, state: s.dd.state };
  assert.equal(store.size(), 30);
  const { logger, lines } = Logger.memory('info');
  await assert.rejects(
    promoteReplica(store, state.seenTreeHead, secondarySigner, options(logger)),
    /--key-file is not this log's key/,
  );
  const forced = { size: 30, root: store.rootAt(30) };
  await assert.rejects(
    promoteReplica(store, state.seenTreeHead, logSigner, options(logger, { force: forced })),
    /holds 30 leaves but the log has signed a tree head of size 40: promoting it would roll the log back, and this cannot be forced/,
  );
  while (await s.log.pollOnce());
  FakePrimary.grow(fp.store, 3, 'leaf'); // copied, never signed by the old primary: kept
  while (await s.log.pollOnce());
  assert.equal(store.size(), 43);
  let shown: number | undefined;
  const res = await promoteReplica(
    store,
    state.seenTreeHead,
    logSigner,
    options(logger, {
      survey: head => {
        shown = head.size;
        return Promise.resolve({ ...EMPTY, secondaries: [sAnswer('http://s2', 40, 40, 6)] });
      },
    }),
  );
  assert.equal(shown, 40, 'the witnesses are shown the last signed head seen, not a new signature');
  assert.equal(res.epoch, 7, 'above the epoch another secondary knows');
  assert.equal(res.treeHead.size, 43, 'the first head covers the whole replica');
  assert.equal(hx(res.treeHead.rootHash), hx(fp.store.root()));
  assert.equal(store.role, 'primary');
  assert.ok(lines.some(l => /promoted this replica to primary epoch=7 tree_size=43/.test(l)));
  await assert.rejects(
    promoteReplica(store, state.seenTreeHead, logSigner, options(logger)),
    /already holds a primary \(epoch 7\); start it without --promote/,
  );

  // A replica that disagrees with the signed head it saw: a fork, never.
  const fp2 = await FakePrimary.start(t, 10);
  const r2 = await replicaOf(t, fp2);
  r2.state.seenTreeHead.set(signTreeHeadSync(logSigner, { size: 10, rootHash: r2.store.rootAt(9) }));
  await assert.rejects(
    promoteReplica(
      r2.store,
      r2.state.seenTreeHead,
      logSigner,
      options(logger, { force: { size: 10, root: r2.store.root() } }),
    ),
    /would fork the log; this cannot be forced/,
  );
});

test('forced promotion: only with the exact size and root; overrides the refusals but not an answering old primary', async t => {
  const { logger, lines } = Logger.memory('info');
  const fresh = await initDataDir(tempDir(t), { role: 'secondary', logPublicKey: logSigner.publicKey, now: 1 });
  t.after(() => fresh.close());
  const behind: Survey = { ...EMPTY, secondaries: [sSilent('http://s0')] };
  const opts = (o: Partial<PromoteOptions>) => options(logger, { survey: () => Promise.resolve(behind), ...o });
  await assert.rejects(
    promoteReplica(fresh.store, fresh.state.seenTreeHead, logSigner, opts({})),
    /cannot be sure that no larger tree head was signed or published/,
  );
  await assert.rejects(
    promoteReplica(
      fresh.store,
      fresh.state.seenTreeHead,
      logSigner,
      opts({ force: { size: 0, root: sha256(Buffer.from('x')) } }),
    ),
    /--expect-size 0 --expect-root [0-9a-f]{64} do not describe this replica: it holds 0 leaves with root e3b0c442/,
  );
  await assert.rejects(
    promoteReplica(
      fresh.store,
      fresh.state.seenTreeHead,
      logSigner,
      opts({
        force: { size: 0, root: fresh.store.root() },
        survey: () => Promise.resolve({ ...behind, oldPrimaries: [{ url: 'http://old', answered: 'HTTP 404' }] }),
      }),
    ),
    /the old primary at http:\/\/old still answers/,
  );
  assert.equal(fresh.store.role, 'secondary', 'nothing changed');
  const res = await promoteReplica(
    fresh.store,
    fresh.state.seenTreeHead,
    logSigner,
    opts({ force: { size: 0, root: fresh.store.root() } }),
  );
  assert.equal(res.treeHead.size, 0);
  assert.ok(lines.some(l => /promotion forced \(--force-promote\) past a refusal/.test(l)));
});

test('survey: asks a secondary and a witness over HTTP; the witness probe leaves the witness state as it was', async t => {
  const fp = await FakePrimary.start(t, 12);
  const { store } = await replicaOf(t, fp);
  const seen = signTreeHeadSync(logSigner, { size: 12, rootHash: store.rootAt(12) });
  const secondaryApp = buildApp(
    [
      {
        pattern: 'GET /get-secondary-state',
        handler: () => text(formatSecondaryState({ epoch: 3, replica: { size: 14, rootHash: store.root() }, seen })),
      },
    ],
    { logger: Logger.memory('error').logger },
  );
  const sec = await listen('127.0.0.1:0', secondaryApp, LISTENER);
  t.after(() => sec.close(0));
  const lying = buildApp(
    [
      {
        pattern: 'GET /get-secondary-state',
        handler: () =>
          text(
            formatSecondaryState({
              epoch: 0,
              replica: { size: 1, rootHash: store.root() },
              seen: { ...seen, size: 99 },
            }),
          ),
      },
    ],
    { logger: Logger.memory('error').logger },
  );
  const liar = await listen('127.0.0.1:0', lying, LISTENER);
  t.after(() => liar.close(0));

  const witnesses = await Promise.all(
    witnessKeys.map(async (k, i) => {
      const w = await new TestWitness({
        name: `w${i + 1}`,
        signer: k,
        logs: i === 2 ? [] : [logSigner.publicKey],
      }).start();
      t.after(() => w.stop());
      return w;
    }),
  );
  const origin = `sigsum.org/v1/tree/${toHex(sha256(logSigner.publicKey))}`;
  witnesses[0].state.set(origin, { size: 12, root: store.rootAt(12) }); // at the probe's size
  witnesses[1].state.set(origin, { size: 7, root: store.rootAt(7) }); // behind it
  const pol = parsePolicy(
    `log ${toHex(logSigner.publicKey)}\n` +
      witnesses.map(w => w.policyLine()).join('') +
      'group g 2 w1 w2 w3\nquorum g\n',
  );
  const s = await survey({
    logKey: logSigner.publicKey,
    secondaries: [
      { url: sec.url, publicKey: secondarySigner.publicKey },
      { url: liar.url, publicKey: secondarySigner.publicKey },
      { url: 'http://127.0.0.1:1', publicKey: secondarySigner.publicKey },
    ],
    policy: pol,
    oldPrimaryUrls: [fp.external.url, 'http://127.0.0.1:1'],
    probeHead: seen,
    timeoutMs: 2000,
  });
  assert.deepEqual(s.secondaries[0].answer, {
    ok: true,
    value: { url: sec.url, epoch: 3, replicaSize: 14, seenSize: 12 },
  });
  assert.deepEqual(s.secondaries[1].answer, {
    ok: false,
    why: 'its last seen tree head does not verify with the log key',
  });
  assert.equal(s.secondaries[2].answer.ok, false);
  assert.deepEqual(
    s.witnesses.map(w => (w.answer.ok ? w.answer.value.size : w.answer.why)),
    [12, 7, 'HTTP 404 "unknown log"'],
  );
  assert.deepEqual(
    witnesses.map(w => w.requests.map(r => r.status)),
    [[422], [409], [404]],
  );
  assert.deepEqual(
    [witnesses[0].cosignedSize(logSigner.publicKey), witnesses[1].cosignedSize(logSigner.publicKey)],
    [12, 7],
    'unchanged',
  );
  assert.equal(s.oldPrimaries[0].answered, 'HTTP 200');
  assert.match(s.oldPrimaries[1].why!, /ECONNREFUSED/);
});
