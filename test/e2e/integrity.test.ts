// The node and its data directory, with real processes:
//   1. one writer: a second node on the same data directory is refused (the
//      lock is held on log.db itself; there is no lock file to delete);
//   2. the data directory vanishes under load (rm -rf): within seconds no
//      further 200, /health not ready with the reason, one ERROR line, and
//      reads of what was published go on;
//   3. SIGTERM with a secondary under load: add-leaf stops, the pool is
//      committed and signed while the secondary still replicates, and after
//      exit the signed head covers every stored leaf.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DB_FILE, openSqliteStore } from '../../src/storage/sqlite.js';
import { submitterSigner, tempDir, waitFor } from '../support/fixtures.js';
import { BIN, ensurePrimary, loopbackServe, runCli, startServer, writeKey } from '../support/process.js';
import { execFile } from 'node:child_process';
import { entry, h } from '../support/vectors.js';
import { getTreeHead, makeLeaf } from '../support/client.js';
import { rawRequest } from '../support/http.js';
import { toHex } from '../../src/sigsum/types.js';
import { Cluster, LogChecker } from '../support/cluster.js';

test('one writer per data directory: a second node is refused, whatever files are deleted', async t => {
  const dir = tempDir(t);
  const key = writeKey(dir, 'log.key', h(entry('formats.json', 'key-log').private_seed));
  const data = join(dir, 'data');
  await ensurePrimary(data, key.signer);
  const srv = await startServer(loopbackServe(data, key.path));
  t.after(() => srv.stop('SIGKILL'));
  // The pid file is only for `status`; deleting it (and anything else but log.db) lets nobody in.
  for (const f of readdirSync(data).filter(f => !f.startsWith(DB_FILE))) rmSync(join(data, f));
  const second = runCli(['serve', ...loopbackServe(data, key.path)]);
  assert.equal(second.status, 1);
  assert.match(
    second.stderr,
    /data directory .* is in use by another sigsum-log process(?: \(pid \d+\))?; refusing to open it twice/,
  );
  assert.equal(await srv.stop(), 0);
});

test('a data directory that vanishes under load: no further 200, /health says why, reads go on', async t => {
  const c = new Cluster('200ms');
  const p = await c.node('p');
  await c.startPrimary(p, []);
  const checker = new LogChecker();
  const stream = checker.stream(c, () => p, 2);
  await waitFor('some 200s', () => checker.accepted.length >= 10 || undefined, 30_000);
  rmSync(p.dir, { recursive: true, force: true });
  await waitFor('/health to say the storage is gone', async () => {
    const r = await fetch(`http://127.0.0.1:${p.int}/health`);
    return r.status === 503 && /storage unusable/.test(await r.text()) ? true : undefined;
  });
  const acceptedAtLoss = checker.accepted.length;
  await new Promise(r => setTimeout(r, 1500)); // several signing intervals with the stream going on
  await stream.stop();
  // At most the leaves in flight when the loss was noticed; none after it.
  const late = checker.accepted.length - acceptedAtLoss;
  assert.equal(late, 0, `${late} leaves answered 200 after the data directory was gone`);
  const status = await fetch(`http://127.0.0.1:${p.ext}/add-leaf`, { method: 'POST', body: c.fresh('after').body });
  assert.equal(status.status, 503);
  assert.equal((await getTreeHead(`http://127.0.0.1:${p.ext}`)).size >= 10, true, 'the published head is still served');
  assert.equal(p.proc!.stderr().match(/ERROR STORAGE GONE/g)?.length, 1);
  await c.stop(p);
  t.diagnostic(`accepted before the loss: ${acceptedAtLoss}`);
});

for (const trial of [1, 2])
  test(`SIGTERM with a secondary under load signs every committed leaf (trial ${trial})`, async t => {
    const c = new Cluster('300ms');
    const [p, s] = [await c.node('p'), await c.node('s', '41')];
    await c.startSecondary(s, p);
    await c.startPrimary(p, [s]);
    const checker = new LogChecker();
    const stream = checker.stream(c, () => p, 4);
    await waitFor('leaves accepted', () => checker.accepted.length >= 20 + 10 * trial || undefined, 30_000);
    const started = performance.now();
    const code = await p.proc!.stop('SIGTERM');
    const seconds = (performance.now() - started) / 1000;
    await stream.stop();
    assert.equal(code, 0, p.proc!.stderr());
    assert.match(p.proc!.stderr(), /primary stopped/);
    assert.doesNotMatch(p.proc!.stderr(), /left unsigned/);
    const store = openSqliteStore(join(p.dir, DB_FILE), true);
    try {
      assert.equal(store.latestTreeHead()!.size, store.size(), 'the signed head covers every stored leaf');
    } finally {
      store.close();
    }
    assert.ok(seconds < 10, `exit took ${seconds.toFixed(1)} s (bound 5 s, with margin for a loaded machine)`);
    t.diagnostic(`exit after SIGTERM: ${seconds.toFixed(2)} s`);
    await c.stop(s);
  });

test('shutdown is bounded whatever the peers do: a witness and a secondary that never answer', async t => {
  const dir = tempDir(t);
  const key = writeKey(dir, 'log.key', h(entry('formats.json', 'key-log').private_seed));
  const sink = createServer(sock => sock.on('error', () => {})); // accepts, reads, never answers
  await new Promise<void>(r => sink.listen(0, '127.0.0.1', r));
  t.after(() => sink.close());
  const url = `http://127.0.0.1:${(sink.address() as { port: number }).port}`;
  const wKey = writeKey(dir, 'w.key', h('61'.repeat(32)));
  writeFileSync(join(dir, 'policy'), `witness stuck ${toHex(wKey.signer.publicKey)} ${url}\nquorum stuck\n`);
  const sKey = writeKey(dir, 's.key', h('62'.repeat(32)));
  await ensurePrimary(join(dir, 'data'), key.signer);
  const srv = await startServer([
    ...loopbackServe(join(dir, 'data'), key.path),
    '--policy-file',
    join(dir, 'policy'),
    '--witness-timeout',
    '60s',
    '--timeout',
    '60s',
    '--secondary-url',
    url,
    '--secondary-pubkey-file',
    sKey.pub,
    '--interval',
    '200ms',
  ]);
  for (let i = 0; i < 5; i++)
    await rawRequest(srv.url, 'POST', '/add-leaf', makeLeaf(submitterSigner, `stuck ${i}`).body);
  await new Promise(r => setTimeout(r, 600)); // a few rounds: requests to both peers are in flight
  const started = performance.now();
  const code = await srv.stop('SIGTERM');
  const seconds = (performance.now() - started) / 1000;
  assert.equal(code, 0, srv.stderr());
  assert.match(srv.stderr(), /left unsigned .*unsigned=5/);
  assert.ok(seconds < 10, `exit took ${seconds.toFixed(1)} s (bound 5 s)`);
  t.diagnostic(`exit after SIGTERM with stuck peers: ${seconds.toFixed(2)} s`);
});

test('backup of a log under load: a consistent copy, verified, that a node can open', async t => {
  const c = new Cluster('200ms');
  const p = await c.node('p');
  await c.startPrimary(p, []);
  const checker = new LogChecker();
  const stream = checker.stream(c, () => p, 3);
  await waitFor('some 200s', () => checker.accepted.length >= 30 || undefined, 30_000);
  const out = join(c.dir, 'backup', 'log.db');
  mkdirSync(join(c.dir, 'backup'));
  const before = checker.accepted.length;
  // Asynchronously, so the submissions go on while it copies.
  const b = await new Promise<{ status: number; stdout: string; stderr: string }>(resolve =>
    execFile(process.execPath, [BIN, 'backup', '--data-dir', p.dir, '--output', out], (e, stdout, stderr) =>
      resolve({ status: e ? Number(e.code ?? 1) : 0, stdout, stderr }),
    ),
  );
  const during = checker.accepted.length;
  assert.ok(during > before, 'submissions went on during the backup');
  await waitFor('more 200s after the backup', () => checker.accepted.length >= during + 10 || undefined, 30_000);
  await stream.stop();
  assert.equal(b.status, 0, b.stdout + b.stderr);
  assert.match(
    b.stdout,
    /^OK: .*log\.db holds (\d+) leaves and \d+ signed tree heads \(role primary, epoch 0\), verified\n$/,
  );
  assert.equal(runCli(['backup', '--data-dir', p.dir, '--output', out]).status, 1, 'never overwrites');
  const v = runCli(['verify', '--data-dir', join(c.dir, 'backup')]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  const copied = Number(/holds (\d+) leaves/.exec(b.stdout)![1]);
  assert.ok(copied >= 30, `${copied} leaves in the copy`);
  await c.stop(p);
  t.diagnostic(`copied ${copied} leaves while the log grew to ${checker.accepted.length}`);
});
