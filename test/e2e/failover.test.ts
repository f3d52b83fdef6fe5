// Failover that never rolls back or forks the log, with real processes: a
// checker records every 200 and every published tree head seen on any node
// and, at the end, verifies each 200 leaf is in the final log and each head
// is consistent with the final head.
//   1. a stale secondary (down while the log grew through the other one) is
//      not promoted: refused while the old primary answers, refused naming
//      the secondary that is ahead, refused when that one does not answer,
//      refused when forced with the wrong root; a promotion killed -9 while
//      it asks changes nothing; the secondary that is ahead is promoted;
//   2. an old primary revived after a promotion, with a witness policy, while
//      one secondary still follows it: it publishes nothing, answers no 200,
//      and knows itself superseded; the promoted primary carries on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeedSigner } from '../../src/sigsum/crypto.js';
import { DB_FILE, openSqliteStore } from '../../src/storage/sqlite.js';
import { h } from '../support/vectors.js';
import { waitFor } from '../support/fixtures.js';
import { BIN } from '../support/process.js';
import { Cluster, internalUrl, LogChecker, publicUrl, type ClusterNode } from '../support/cluster.js';
import { TestWitness } from '../support/witness.js';

const role = (n: ClusterNode) => {
  const st = openSqliteStore(join(n.dir, DB_FILE), true);
  try {
    return `${st.role} epoch ${st.epoch}`;
  } finally {
    st.close();
  }
};

/** Waits until at least `n` more leaves were answered 200. */
const more = (checker: LogChecker, n: number, what: string) => {
  const goal = checker.accepted.length + n;
  return waitFor(what, () => checker.accepted.length >= goal || undefined, 60_000, 50);
};

test('a stale secondary is never promoted; the one that is ahead is, and nothing that got 200 is lost', async () => {
  const c = new Cluster('300ms');
  const [p, s0, s1] = [await c.node('p'), await c.node('s0', '21'), await c.node('s1', '22')];
  await c.startSecondary(s0, p);
  await c.startSecondary(s1, p);
  await c.startPrimary(p, [s0, s1], ['--replication-quorum', '1']);
  const checker = new LogChecker();
  let stream = checker.stream(c, () => p);
  await more(checker, 10, 'leaves accepted with both secondaries');
  await c.stop(s1);
  await more(checker, 15, 'leaves accepted through s0 alone');

  const promoteS1 = (extra: string[] = []) =>
    c.startPrimary(s1, [s0], ['--promote', '--old-primary-url', internalUrl(p), ...extra]);
  await assert.rejects(promoteS1(), /the old primary at http:\S+ still answers \(HTTP \d+\): two primaries/);
  await c.stop(p, 'SIGKILL');
  await stream.stop();

  const s1Size = (() => {
    const st = openSqliteStore(join(s1.dir, DB_FILE), true);
    try {
      return { size: st.size(), root: Buffer.from(st.root()).toString('hex') };
    } finally {
      st.close();
    }
  })();
  const s0Url = internalUrl(s0).replace(/[.]/g, '\\.');
  await assert.rejects(
    promoteS1(),
    new RegExp(
      `secondary ${s0Url} holds a replica of \\d+ leaves and has seen a signed tree head of size \\d+, but this replica holds only ${s1Size.size}: promoting this node would roll the log back\\. Promote ${s0Url} instead`,
    ),
  );
  await c.stop(s0);
  await assert.rejects(
    promoteS1(),
    /cannot be sure that no larger tree head was signed or published: no answer from secondaries/,
  );
  await assert.rejects(
    promoteS1(['--force-promote', '--expect-size', String(s1Size.size), '--expect-root', '00'.repeat(32)]),
    new RegExp(`do not describe this replica: it holds ${s1Size.size} leaves with root ${s1Size.root}`),
  );
  assert.equal(role(s1), 'secondary epoch 0', 'every refusal left the replica as it was');

  // A promotion killed -9 while it waits for a secondary that never answers: nothing changed.
  const hanging = createServer((sock: Socket) => sock.on('error', () => {}));
  await new Promise<void>(r => hanging.listen(0, '127.0.0.1', r));
  const hangingUrl = `http://127.0.0.1:${(hanging.address() as { port: number }).port}`;
  const args = c.primaryArgs(
    s0,
    [],
    ['--promote', '--secondary-url', hangingUrl, '--secondary-pubkey-file', s1.key.pub, '--timeout', '60s'],
  );
  const killed = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  killed.stderr.on('data', d => (err += d));
  await waitFor('the promotion to ask its sources', () => /promotion: asking/.test(err) || undefined);
  killed.kill('SIGKILL');
  await new Promise(r => killed.once('exit', r));
  hanging.close();
  assert.equal(role(s0), 'secondary epoch 0');

  // The secondary that is ahead: promoted, the other one asked while it still follows the dead primary.
  await c.startSecondary(s1, p);
  await c.startPrimary(s0, [s1], ['--promote', '--old-primary-url', internalUrl(p), '--replication-quorum', '1']);
  assert.match(s0.proc!.stderr(), /promotion: secondary http:\S+: replica of \d+ leaves/);
  assert.match(s0.proc!.stderr(), /promoted this replica to primary epoch=1/);
  await c.stop(s1);
  await c.startSecondary(s1, s0);
  stream = checker.stream(c, () => s0);
  await more(checker, 5, 'leaves accepted by the promoted primary');
  await stream.stop();
  const final = await checker.verify(s0);
  assert.ok(final.size >= checker.accepted.length);
  for (const n of [s0, s1]) await c.stop(n);
});

test('an old primary revived after a promotion, with a witness policy, publishes nothing and answers no 200', async t => {
  const c = new Cluster('300ms');
  const [p, s0, s1, s2] = [
    await c.node('p'),
    await c.node('s0', '31'),
    await c.node('s1', '32'),
    await c.node('s2', '33'),
  ];
  const ws: TestWitness[] = [];
  for (let i = 0; i < 3; i++) {
    const w = await new TestWitness({
      name: `witness.example/revival${i}`,
      signer: new SeedSigner(h(`7${i}`.repeat(32))),
      logs: [c.logKey.signer.publicKey],
    }).start();
    t.after(() => w.stop());
    ws.push(w);
  }
  const policy = join(c.dir, 'policy');
  writeFileSync(
    policy,
    ws.map(w => w.policyLine()).join('') + `group g 2 ${ws.map(w => w.policyName).join(' ')}\nquorum g\n`,
  );
  const config = ['--replication-quorum', '1', '--policy-file', policy];
  for (const s of [s0, s1, s2]) await c.startSecondary(s, p);
  await c.startPrimary(p, [s0, s1, s2], config);
  const checker = new LogChecker();
  let stream = checker.stream(c, () => p);
  await more(checker, 10, 'cosigned leaves from the first primary');
  await c.stop(p, 'SIGKILL');
  await stream.stop();

  // s1 is down during the promotion (it never hears the announcement); the witnesses answer for it.
  await c.stop(s1);
  await c.stop(s0);
  await c.startPrimary(s0, [s1, s2], ['--promote', '--old-primary-url', internalUrl(p), ...config]);
  assert.match(s0.proc!.stderr(), /promotion: witness \S+ at \S+: latest cosigned size \d+/);
  await c.stop(s2);
  await c.startSecondary(s2, s0);
  stream = checker.stream(c, () => s0);
  await more(checker, 8, 'cosigned leaves from the promoted primary');
  const promotedSize = (await checker.head(s0))!.size;

  // The old primary comes back, and s1 follows it (not re-pointed yet). s2, fenced at epoch 1, would
  // refuse it too; it is left out so that only the witnesses stand in the way (quorum 1 through s1).
  await c.startPrimary(p, [s0, s1], config);
  await c.startSecondary(s1, p);
  const revivedHead = await checker.head(p);
  assert.ok(revivedHead && revivedHead.size < promotedSize);
  await waitFor('the old primary to know it is superseded', () => /superseded/.test(p.proc!.stderr()) || undefined);
  assert.match(p.proc!.stderr(), /witness has seen a larger tree than this log signed/);
  const statuses = new Set<number>();
  for (let i = 0; i < 10; i++) {
    statuses.add(await checker.addLeaf(p, c.fresh('to the revived primary')));
    await checker.head(p);
    await new Promise(r => setTimeout(r, 150));
  }
  assert.ok(!statuses.has(200), `no 200 from the revived old primary: ${[...statuses].join(',')}`);
  assert.equal((await checker.head(p))!.size, revivedHead.size, 'it published nothing new');
  const health = await fetch(`${internalUrl(p)}/health`);
  assert.equal(health.status, 503);
  assert.match(await health.text(), /superseded/);
  assert.doesNotMatch(
    await (await fetch(`${publicUrl(p)}/`)).text(),
    /http:\/\/127/,
    'no internal URL on the info page',
  );
  await stream.stop();
  await c.stop(p);

  const final = await checker.verify(s0);
  assert.ok(final.size >= promotedSize);
  assert.ok(
    ws.every(w => w.cosignedSize(c.logKey.signer.publicKey) >= promotedSize),
    'witnesses never went back',
  );
  for (const n of [s0, s1, s2]) await c.stop(n);
});
