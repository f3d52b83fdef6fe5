// The real sigsum-log process on loopback: create a key and a log with the
// CLI, submit leaves over HTTP until every add-leaf answers 200, and verify
// with the project's own verifier every tree head signature seen, the
// consistency between successive heads, the inclusion of every leaf, and the
// leaves themselves. Then stop with SIGTERM and fsck the data directory.
// (--add-leaf-wait 0: log-go's answers, 202 first; holding is tested in
// test/e2e/hold.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parsePrivateKey } from '../../src/sigsum/keyfile.js';
import { SeedSigner } from '../../src/sigsum/crypto.js';
import { verifyConsistency, verifyInclusion } from '../../src/sigsum/merkle.js';
import { verifyTreeHead, type CosignedTreeHead } from '../../src/sigsum/treehead.js';
import { parseLeaves } from '../../src/sigsum/leaf.js';
import { tempDir, waitFor } from '../support/fixtures.js';
import { runCli, startServer, loopbackServe } from '../support/process.js';
import { addLeaf, getConsistency, getInclusion, getTreeHead, makeLeaf, pool } from '../support/client.js';

const N = 300;

test('submit, wait for 200, verify heads, consistency, inclusion and leaves', async t => {
  const dir = tempDir(t);
  const key = join(dir, 'log.key');
  assert.equal(runCli(['keygen', '-o', key]).status, 0);
  const init = runCli(['init', '--data-dir', join(dir, 'data'), '--key-file', key]);
  assert.equal(init.status, 0, init.stderr);
  const logKey = parsePrivateKey(readFileSync(key, 'utf8')).publicKey;

  const srv = await startServer([
    ...loopbackServe(join(dir, 'data'), key),
    '--interval',
    '200ms',
    '--url-prefix',
    'testonly',
    '--add-leaf-wait',
    '0',
  ]);
  t.after(() => srv.stop('SIGKILL'));
  assert.match(srv.url, /\/testonly$/);

  const heads: CosignedTreeHead[] = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const th = await getTreeHead(srv.url);
      if (heads.length === 0 || heads[heads.length - 1].size !== th.size) heads.push(th);
      await new Promise(r => setTimeout(r, 50));
    }
  })();

  const submitter = new SeedSigner(new Uint8Array(32).fill(0x42));
  const leaves = Array.from({ length: N }, (_, i) => makeLeaf(submitter, `e2e leaf ${i}\n`));
  await pool(leaves, 32, async l => assert.equal(await addLeaf(srv.url, l.body), 202));
  const pending = new Set(leaves.map((_, i) => i));
  await waitFor(
    'every add-leaf to answer 200',
    async () => {
      for (const i of [...pending]) if ((await addLeaf(srv.url, leaves[i].body)) === 200) pending.delete(i);
      return pending.size === 0;
    },
    30_000,
    100,
  );
  await waitFor('the published head to cover every leaf', async () => (await getTreeHead(srv.url)).size === N);
  watching = false;
  await watcher;
  heads.push(await getTreeHead(srv.url));

  for (const th of heads) assert.ok(verifyTreeHead(logKey, th), `signature of head ${th.size}`);
  for (let i = 1; i < heads.length; i++) {
    const [a, b] = [heads[i - 1], heads[i]];
    if (a.size === b.size) continue;
    assert.ok(b.size > a.size, 'heads never shrink');
    const proof = a.size === 0 ? [] : await getConsistency(srv.url, a.size, b.size);
    assert.ok(verifyConsistency(a.size, b.size, a.rootHash, b.rootHash, proof), `consistency ${a.size} -> ${b.size}`);
  }
  const final = heads[heads.length - 1];
  assert.equal(final.size, N);
  const seen = new Set<number>();
  await pool(leaves, 16, async l => {
    const p = await getInclusion(srv.url, final.size, l.leafHash);
    assert.ok(typeof p !== 'number', `inclusion proof: HTTP ${typeof p === 'number' ? p : 'ok'}`);
    assert.ok(verifyInclusion(l.leafHash, p.index, final.size, p.path, final.rootHash));
    seen.add(p.index);
  });
  assert.equal(seen.size, N);
  const served: Uint8Array[] = [];
  for (let start = 0; start < N;) {
    const r = await fetch(`${srv.url}/get-leaves/${start}/${N}`);
    const got = parseLeaves(await r.text());
    served.push(...got);
    start += got.length;
  }
  const mine = new Set(leaves.map(l => Buffer.from(l.leaf).toString('hex')));
  assert.equal(served.length, N);
  for (const l of served) assert.ok(mine.has(Buffer.from(l).toString('hex')));

  assert.equal(await srv.stop('SIGTERM'), 0, srv.stderr());
  const v = runCli(['verify', '--data-dir', join(dir, 'data'), '--key-file', key + '.pub']);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, new RegExp(`^OK: ${N} leaves`));
});

test('without libsodium: one warning at startup, and add-leaf verdicts are unchanged', async t => {
  const dir = tempDir(t);
  const key = join(dir, 'log.key');
  assert.equal(runCli(['keygen', '-o', key]).status, 0);
  assert.equal(runCli(['init', '--data-dir', join(dir, 'data'), '--key-file', key]).status, 0);
  const srv = await startServer([...loopbackServe(join(dir, 'data'), key), '--add-leaf-wait', '0'], 30_000, {
    ...process.env,
    SIGSUM_LOG_NO_SODIUM: '1',
  });
  t.after(() => srv.stop('SIGKILL'));
  const submitter = new SeedSigner(new Uint8Array(32).fill(0x43));
  const good = makeLeaf(submitter, 'no libsodium\n');
  const bad = good.body.replace(/signature=(.)/, (_, c: string) => `signature=${c === '0' ? '1' : '0'}`);
  assert.equal(await addLeaf(srv.url, good.body), 202);
  assert.equal(await addLeaf(srv.url, bad), 403);
  await waitFor('the leaf to be published', async () => (await addLeaf(srv.url, good.body)) === 200);
  assert.equal(await srv.stop('SIGTERM'), 0, srv.stderr());
  const warnings = (srv.stdout() + srv.stderr()).split('\n').filter(l => l.includes('libsodium is not available'));
  assert.equal(warnings.length, 1, srv.stdout() + srv.stderr());
  assert.match(warnings[0], /SIGSUM_LOG_NO_SODIUM=1/);
});
