// Replication and failover with real processes on loopback: a primary and two
// secondaries. Steps run in order and share the nodes:
//   1. quorum all: a leaf is 200 only once both replicas hold it; one
//      secondary down stops growth (202), its return resumes it;
//   2. --replication-quorum 1: one secondary down does not stop growth, both
//      down does, and their return resumes it with no operator action;
//   3. failover: under a stream of submissions the primary is killed -9, the
//      most advanced secondary is promoted with --promote, the other follows
//      it; every leaf that got 200 is at the same index, the new head is
//      consistent with the old one, and submissions reach 200 again;
//   4. the old primary (lower epoch) is refused by a secondary that followed
//      the promoted one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { CosignedTreeHead } from '../../src/sigsum/treehead.js';
import { verifyConsistency } from '../../src/sigsum/merkle.js';
import { DB_FILE, openSqliteStore } from '../../src/storage/sqlite.js';
import { waitFor } from '../support/fixtures.js';
import { addLeaf, getConsistency, getInclusion, getTreeHead, type TestLeaf } from '../support/client.js';
import { Cluster, internalUrl, publicUrl, type ClusterNode as Node } from '../support/cluster.js';

const cluster = new Cluster('300ms');
const nodes = {
  p: await cluster.node('p'),
  s1: await cluster.node('s1', '11'),
  s2: await cluster.node('s2', '12'),
};
const startSecondary = (n: Node, primary: Node) => cluster.startSecondary(n, primary);
const startPrimary = (n: Node, secondaries: Node[], extra: string[] = []) =>
  cluster.startPrimary(n, secondaries, extra);
const stop = (n: Node, signal?: NodeJS.Signals) => cluster.stop(n, signal);
const replicaSize = (n: Node) => cluster.replicaSize(n);
const fresh = (tag: string) => cluster.fresh(tag);

async function until200(url: string, leaf: TestLeaf, what: string): Promise<void> {
  await waitFor(`${what}: 200`, async () => (await addLeaf(url, leaf.body)) === 200, 20_000, 50);
}

/** Asserting that something does NOT happen needs a time bound: several signing intervals. */
async function stays202(url: string, leaf: TestLeaf): Promise<void> {
  const until = Date.now() + 4 * 300;
  while (Date.now() < until) {
    assert.equal(await addLeaf(url, leaf.body), 202);
    await new Promise(r => setTimeout(r, 100));
  }
}

test('quorum all: 200 only once both secondaries hold the leaf; a secondary down holds growth back', async () => {
  await startSecondary(nodes.s1, nodes.p);
  await startSecondary(nodes.s2, nodes.p);
  await startPrimary(nodes.p, [nodes.s1, nodes.s2]);
  assert.match(nodes.p.proc!.stderr(), /primary started .*secondaries=2 replication_quorum=2/);
  const p = publicUrl(nodes.p);
  const leaves = Array.from({ length: 12 }, () => fresh('quorum-all'));
  await Promise.all(leaves.map(l => addLeaf(p, l.body)));
  for (const l of leaves) {
    await until200(p, l, 'quorum-all leaf');
    const index = await waitFor('inclusion proof', async () => {
      const th = await getTreeHead(p);
      const r = th.size > 0 ? await getInclusion(p, Math.max(th.size, 2), l.leafHash) : 404;
      return typeof r === 'number' ? undefined : r.index;
    });
    for (const s of [nodes.s1, nodes.s2])
      assert.ok((await replicaSize(s)) > index, `${s.name} holds leaf ${index} once it is 200`);
  }

  await stop(nodes.s2);
  const held = fresh('s2 down');
  assert.equal(await addLeaf(p, held.body), 202);
  await waitFor('s1 to replicate the held leaf', async () => (await replicaSize(nodes.s1)) >= 13);
  await stays202(p, held);
  assert.equal((await getTreeHead(p)).size, 12);
  await startSecondary(nodes.s2, nodes.p);
  await until200(p, held, 'held leaf after s2 returned');
});

test('--replication-quorum 1: one secondary down does not stop growth, both down does, their return resumes it', async () => {
  await stop(nodes.p);
  await startPrimary(nodes.p, [nodes.s1, nodes.s2], ['--replication-quorum', '1']);
  const p = publicUrl(nodes.p);
  await stop(nodes.s1);
  await until200(p, fresh('s1 down'), 'with s1 down');
  await stop(nodes.s2);
  const held = fresh('both down');
  assert.equal(await addLeaf(p, held.body), 202);
  await stays202(p, held);
  await startSecondary(nodes.s1, nodes.p);
  await startSecondary(nodes.s2, nodes.p);
  await until200(p, held, 'after both returned');
  await waitFor(
    'both replicas to catch up',
    async () => (await replicaSize(nodes.s1)) === (await replicaSize(nodes.s2)) && (await replicaSize(nodes.s1)) >= 15,
  );
});

test('failover: kill -9 the primary under load, promote a secondary, nothing that got 200 is lost', async () => {
  await stop(nodes.p);
  await startPrimary(nodes.p, [nodes.s1, nodes.s2]);
  const p = publicUrl(nodes.p);
  const accepted: TestLeaf[] = [];
  let lastHead: CosignedTreeHead = await getTreeHead(p);
  let running = true;
  const submitter = async (w: number) => {
    while (running) {
      const l = fresh(`stream ${w}`);
      for (let tries = 0; running && tries < 100; tries++) {
        const status = await addLeaf(p, l.body).catch(() => 0);
        if (status === 200) {
          accepted.push(l);
          break;
        }
        await new Promise(r => setTimeout(r, 30));
      }
    }
  };
  const heads = (async () => {
    while (running) {
      const th = await getTreeHead(p).catch(() => undefined);
      if (th && th.size >= lastHead.size) lastHead = th;
      await new Promise(r => setTimeout(r, 50));
    }
  })();
  const workers = [0, 1, 2, 3].map(submitter);
  await waitFor('some leaves accepted under load', () => accepted.length >= 20 || undefined, 30_000);
  await stop(nodes.p, 'SIGKILL');
  running = false;
  await Promise.all([...workers, heads]);

  // Promote the secondary with the larger replica; the other follows it.
  const [s1, s2] = [await replicaSize(nodes.s1), await replicaSize(nodes.s2)];
  const [promoted, follower] = s1 >= s2 ? [nodes.s1, nodes.s2] : [nodes.s2, nodes.s1];
  await stop(promoted);
  // Starting the replica as primary without --promote is refused with advice.
  await assert.rejects(startPrimary(promoted, [follower]), /holds a secondary's replica.*--promote/s);
  // The other secondary still runs (following the dead primary): the promotion asks it, and the dead primary.
  await startPrimary(promoted, [follower], ['--promote', '--old-primary-url', internalUrl(nodes.p)]);
  assert.match(promoted.proc!.stderr(), /promoted this replica to primary epoch=1/);
  assert.match(promoted.proc!.stderr(), /promotion: secondary http:\S+: replica of \d+ leaves/);
  await stop(follower);
  await startSecondary(follower, promoted);
  const np = publicUrl(promoted);

  const first = await getTreeHead(np);
  assert.ok(first.size >= lastHead.size, `new head ${first.size} >= last published ${lastHead.size}`);
  if (first.size > lastHead.size && lastHead.size > 0) {
    assert.ok(
      verifyConsistency(
        lastHead.size,
        first.size,
        lastHead.rootHash,
        first.rootHash,
        await getConsistency(np, lastHead.size, first.size),
      ),
    );
  } else if (first.size === lastHead.size) {
    assert.deepEqual(first.rootHash, lastHead.rootHash);
  }
  const old = openSqliteStore(join(nodes.p.dir, DB_FILE), true);
  try {
    for (const l of accepted) {
      const oldIndex = old.leafIndex(l.leafHash);
      assert.notEqual(oldIndex, undefined);
      const r = await getInclusion(np, first.size, l.leafHash);
      assert.notEqual(typeof r, 'number', `leaf ${oldIndex} that got 200 is in the new primary's first head`);
      assert.equal((r as { index: number }).index, oldIndex);
    }
  } finally {
    old.close();
  }
  const after1 = fresh('after failover');
  await until200(np, after1, 'submission to the promoted primary');
  assert.ok((await replicaSize(follower)) > first.size);
  nodes.p.proc = undefined;
  (nodes as Record<string, Node>).promoted = promoted;
  (nodes as Record<string, Node>).follower = follower;
});

test('a secondary that followed the promoted primary refuses the old one (lower epoch)', async () => {
  const { promoted, follower } = nodes as unknown as Record<string, Node>;
  assert.ok(promoted && follower, 'failover step ran');
  await startPrimary(nodes.p, []); // the old primary comes back, alone
  const before = await replicaSize(follower);
  await stop(follower);
  await startSecondary(follower, nodes.p);
  await waitFor(
    'the refusal',
    () =>
      /refusing to follow a primary of epoch 0: this node already knows a primary of epoch 1/.test(
        follower.proc!.stderr(),
      ) || undefined,
  );
  assert.equal(await replicaSize(follower), before);
  await stop(nodes.p);
  await stop(follower);
  await stop(promoted);
});
