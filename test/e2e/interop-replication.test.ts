// Replication across implementations, with log-go's own binaries (in-memory
// backend): the migration path from log-go.
//   1. our secondary replicates a log-go primary, and the log-go primary
//      advances using our secondary's signed tree head;
//   2. the log-go primary is lost; our secondary is promoted with --promote
//      and continues the log-go log (its first head is consistent with the
//      last one log-go published);
//   3. our (promoted) primary advances using a log-go secondary.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyConsistency } from '../../src/sigsum/merkle.js';
import { entry, h, hx } from '../support/vectors.js';
import { submitterSigner, waitFor } from '../support/fixtures.js';
import { addLeaf, getConsistency, getInclusion, getTreeHead, makeLeaf, type TestLeaf } from '../support/client.js';
import { ensureReplica, freePort, startServer, writeKey, type ServerProcess } from '../support/process.js';
import { requireTools, tool } from '../support/tools.js';

const tools = requireTools();
const dir = mkdtempSync(join(tmpdir(), 'sigsum-log-interop-repl-'));
const procs: (ChildProcess | ServerProcess)[] = [];
after(async () => {
  for (const p of procs) {
    if ('stop' in p) await p.stop('SIGKILL');
    else p.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

function logGo(
  bin: 'sigsum-log-primary' | 'sigsum-log-secondary',
  args: string[],
): ChildProcess & { output: () => string } {
  let out = '';
  const p = spawn(tool(tools.dir!, bin), ['--backend=ephemeral', '--interval=300ms', '--log-level=debug', ...args], {
    env: { ...process.env, GODEBUG: 'httpmuxgo121=0', SIGSUM_LOGSERVER_CONFIG: join(dir, 'no-config.toml') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  p.stderr.on('data', d => (out += d));
  procs.push(p);
  return Object.assign(p, { output: () => out });
}

async function until200(url: string, l: TestLeaf): Promise<void> {
  await waitFor(`200 from ${url}`, async () => (await addLeaf(url, l.body).catch(() => 0)) === 200, 30_000, 50);
}

test(
  'log-go primary <-> our secondary, promotion of our secondary, our primary <-> log-go secondary',
  { skip: tools.skip },
  async () => {
    const logKey = writeKey(dir, 'log.key', h(entry('formats.json', 'key-log').private_seed));
    const ours = writeKey(dir, 'ours.key', h('21'.repeat(32)));
    const theirs = writeKey(dir, 'theirs.key', h('22'.repeat(32)));
    const [lgExt, lgInt, osExt, osInt, lsExt, lsInt] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => freePort()));

    // 1. A log-go primary whose secondary is ours.
    writeFileSync(join(dir, 'sth.startup'), 'startup=empty');
    const primary = logGo('sigsum-log-primary', [
      `--key-file=${logKey.path}`,
      `--sth-file=${join(dir, 'sth')}`,
      `--external-endpoint=127.0.0.1:${lgExt}`,
      `--internal-endpoint=127.0.0.1:${lgInt}`,
      `--secondary-url=http://127.0.0.1:${osInt}`,
      `--secondary-pubkey-file=${ours.pub}`,
    ]);
    const lg = `http://127.0.0.1:${lgExt}`;
    const secondaryArgs = [
      '--data-dir',
      join(dir, 'ours'),
      '--external-endpoint',
      `127.0.0.1:${osExt}`,
      '--internal-endpoint',
      `127.0.0.1:${osInt}`,
    ];
    await ensureReplica(join(dir, 'ours'), logKey.signer.publicKey);
    let secondary = await startServer([
      '--role',
      'secondary',
      ...secondaryArgs,
      '--key-file',
      ours.path,
      '--log-pubkey-file',
      logKey.pub,
      '--primary-url',
      `http://127.0.0.1:${lgInt}`,
      '--log-url',
      lg,
      '--interval',
      '100ms',
    ]);
    procs.push(secondary);
    await waitFor(
      'log-go primary to answer',
      async () => (await fetch(`${lg}/get-tree-head`).catch(() => undefined))?.status === 200,
    );
    const first = Array.from({ length: 8 }, (_, i) => makeLeaf(submitterSigner, `log-go era ${i}`));
    for (const l of first) assert.ok([200, 202].includes(await addLeaf(lg, l.body)));
    for (const l of first) await until200(lg, l);
    const lgHead = await waitFor('log-go to publish 8 leaves', async () => {
      const th = await getTreeHead(lg);
      return th.size === 8 ? th : undefined;
    });
    // Our secondary serves the head log-go published, from its own replica.
    const os = `http://127.0.0.1:${osExt}`;
    await waitFor(
      'our secondary to publish the same head',
      async () => (await fetch(`${os}/get-tree-head`)).status === 200 && (await getTreeHead(os)).size === 8,
    );
    const mirrored = await getTreeHead(os);
    assert.equal(hx(mirrored.rootHash), hx(lgHead.rootHash));
    const ourProof = await getInclusion(os, 8, first[3].leafHash);
    assert.notEqual(typeof ourProof, 'number');
    assert.deepEqual(
      ourProof,
      await getInclusion(lg, 8, first[3].leafHash),
      'the replica serves the same proofs as log-go',
    );
    assert.equal((await fetch(`${os}/add-leaf`, { method: 'POST', body: first[0].body })).status, 404);

    // 2. log-go's primary is lost; our secondary becomes the primary of the same log.
    const unsigned = makeLeaf(submitterSigner, 'sent just before the crash');
    await addLeaf(lg, unsigned.body);
    primary.kill('SIGKILL');
    await secondary.stop('SIGTERM');
    const lsUrl = `http://127.0.0.1:${lsInt}`;
    // A log-go secondary for the new primary, started first: the promotion asks it (get-secondary-tree-head).
    const lsec = logGo('sigsum-log-secondary', [
      `--key-file=${theirs.path}`,
      `--external-endpoint=127.0.0.1:${lsExt}`,
      `--internal-endpoint=127.0.0.1:${lsInt}`,
      `--primary-url=http://127.0.0.1:${osInt}`,
    ]);
    await waitFor(
      'the log-go secondary to answer',
      async () =>
        (await fetch(`${lsUrl}/get-secondary-tree-head`).then(
          r => r.status,
          () => 0,
        )) === 200 || undefined,
    );
    secondary = await startServer([
      '--role',
      'primary',
      '--promote',
      ...secondaryArgs,
      '--key-file',
      logKey.path,
      '--interval',
      '300ms',
      '--secondary-url',
      lsUrl,
      '--secondary-pubkey-file',
      theirs.pub,
    ]);
    procs.push(secondary);
    assert.match(secondary.stderr(), /promoted this replica to primary epoch=1/);
    assert.match(secondary.stderr(), /promotion: secondary http:\S+: replica of 0 leaves, last signed head seen none/);
    const promotedHead = await getTreeHead(os);
    assert.ok(promotedHead.size >= 8);
    if (promotedHead.size > 8) {
      assert.ok(
        verifyConsistency(
          8,
          promotedHead.size,
          lgHead.rootHash,
          promotedHead.rootHash,
          await getConsistency(os, 8, promotedHead.size),
        ),
      );
    } else {
      assert.equal(hx(promotedHead.rootHash), hx(lgHead.rootHash));
    }

    // 3. The log-go secondary replicates our primary; our primary signs what it holds.
    const later = Array.from({ length: 5 }, (_, i) => makeLeaf(submitterSigner, `after promotion ${i}`));
    for (const l of later) await addLeaf(os, l.body);
    for (const l of later) await until200(os, l);
    const finalHead = await getTreeHead(os);
    assert.ok(finalHead.size >= promotedHead.size + 5);
    assert.ok(
      verifyConsistency(
        8,
        finalHead.size,
        lgHead.rootHash,
        finalHead.rootHash,
        await getConsistency(os, 8, finalHead.size),
      ),
    );
    assert.match(secondary.stderr(), /secondary is replicating/);
    assert.ok(lsec.exitCode === null, 'the log-go secondary is still running');
  },
);
