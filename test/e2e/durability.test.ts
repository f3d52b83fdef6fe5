// kill -9 during a burst of submissions, then restart: every leaf that got a
// 200 is still there at the same index, the tree head never shrank and stays
// consistent with what was published before the crash, and the data
// directory passes a full verify. Also: a second server on the same data
// directory is refused while the first runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parsePrivateKey } from '../../src/sigsum/keyfile.js';
import { SeedSigner } from '../../src/sigsum/crypto.js';
import { verifyConsistency, verifyInclusion } from '../../src/sigsum/merkle.js';
import { verifyTreeHead, type CosignedTreeHead } from '../../src/sigsum/treehead.js';
import { tempDir, waitFor } from '../support/fixtures.js';
import { runCli, startServer, loopbackServe } from '../support/process.js';
import { addLeaf, getConsistency, getInclusion, getTreeHead, makeLeaf, type TestLeaf } from '../support/client.js';

test('kill -9 during a burst loses no leaf that got 200 and never rolls back', async t => {
  const dir = tempDir(t);
  const key = join(dir, 'log.key');
  const data = join(dir, 'data');
  assert.equal(runCli(['keygen', '-o', key]).status, 0);
  assert.equal(runCli(['init', '--data-dir', data, '--key-file', key]).status, 0);
  const logKey = parsePrivateKey(readFileSync(key, 'utf8')).publicKey;
  const args = [...loopbackServe(data, key), '--interval', '100ms', '--add-leaf-wait', '0'];
  const srv = await startServer(args);
  t.after(() => srv.stop('SIGKILL'));

  const second = runCli(['serve', ...args]);
  assert.equal(second.status, 1);
  assert.match(second.stderr, /data directory .* is in use by another sigsum-log process \(pid \d+\)/);

  const submitter = new SeedSigner(new Uint8Array(32).fill(7));
  const committed = new Map<string, { leaf: TestLeaf; index?: number }>();
  let latest: CosignedTreeHead = await getTreeHead(srv.url);
  let alive = true;
  let counter = 0;
  const worker = async () => {
    while (alive) {
      const leaf = makeLeaf(submitter, `burst ${counter++}\n`);
      try {
        let status = await addLeaf(srv.url, leaf.body);
        while (alive && status === 202) {
          await new Promise(r => setTimeout(r, 20));
          status = await addLeaf(srv.url, leaf.body);
        }
        if (status !== 200) continue;
        const entry: { leaf: TestLeaf; index?: number } = { leaf };
        committed.set(Buffer.from(leaf.leafHash).toString('hex'), entry);
        const th = await getTreeHead(srv.url);
        if (th.size > latest.size) latest = th;
        const p = await getInclusion(srv.url, th.size, leaf.leafHash);
        if (typeof p !== 'number') entry.index = p.index;
      } catch {
        return; // the server is gone
      }
    }
  };
  const workers = Array.from({ length: 24 }, worker);
  await waitFor('a few hundred committed leaves', () => committed.size >= 300, 60_000, 20);
  srv.proc.kill('SIGKILL');
  alive = false;
  await Promise.all(workers);
  assert.equal(await srv.stop(), 'SIGKILL');

  const again = await startServer(args);
  t.after(() => again.stop('SIGKILL'));
  const th = await getTreeHead(again.url);
  assert.ok(verifyTreeHead(logKey, th));
  assert.ok(th.size >= latest.size, `head shrank from ${latest.size} to ${th.size}`);
  if (th.size > latest.size && latest.size > 0) {
    assert.ok(
      verifyConsistency(
        latest.size,
        th.size,
        latest.rootHash,
        th.rootHash,
        await getConsistency(again.url, latest.size, th.size),
      ),
    );
  } else {
    assert.deepEqual(th.rootHash, latest.rootHash);
  }
  let withIndex = 0;
  for (const { leaf, index } of committed.values()) {
    const p = await getInclusion(again.url, th.size, leaf.leafHash);
    assert.ok(
      typeof p !== 'number',
      `a leaf answered 200 before the crash is missing (HTTP ${typeof p === 'number' ? p : 'ok'})`,
    );
    assert.ok(verifyInclusion(leaf.leafHash, p.index, th.size, p.path, th.rootHash));
    if (index !== undefined) {
      assert.equal(p.index, index);
      withIndex++;
    }
  }
  assert.ok(withIndex > 0);
  // The log keeps working after the crash.
  const more = makeLeaf(submitter, 'after the crash\n');
  assert.equal(await addLeaf(again.url, more.body), 202);
  await waitFor('the new leaf to be committed', async () => (await addLeaf(again.url, more.body)) === 200);
  assert.equal(await again.stop('SIGTERM'), 0);
  const v = runCli(['verify', '--data-dir', data]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
});
