// add-leaf holding (the default): a repeated add-leaf for an accepted leaf
// waits for its publication and answers 200 then, so sigsum-submit finds its
// proof at once instead of sleeping 2 s after a 202. First submissions are
// never held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toHex } from '../../src/sigsum/types.js';
import { entry, h } from '../helpers/vectors.js';
import { submitterSigner, tempDir } from '../helpers/fixtures.js';
import { addLeaf, getInclusion, getTreeHead, makeLeaf, pool } from '../helpers/client.js';
import { startServer, writeKey } from '../helpers/process.js';
import { requireTools, tool } from '../helpers/tools.js';

const run = promisify(execFile);
const tools = requireTools();

test('a repeated add-leaf is held until publication; first submissions are never held; the bound', async t => {
  const dir = tempDir(t);
  const key = writeKey(dir, 'log.key', h(entry('formats.json', 'key-log').private_seed));
  const srv = await startServer(['--data-dir', join(dir, 'data'), '--init-if-missing', '--key-file', key.path, '--external-endpoint', '127.0.0.1:0', '--internal-endpoint', '127.0.0.1:0', '--interval', '300ms', '--add-leaf-max-held', '4']);
  t.after(() => srv.stop('SIGKILL'));
  for (const name of ['held 1', 'held 2']) {
    const l = makeLeaf(submitterSigner, name);
    assert.equal(await addLeaf(srv.url, l.body), 202, 'a first submission is answered at once');
    const started = Date.now();
    assert.equal(await addLeaf(srv.url, l.body), 200, 'the repeat waits for publication');
    assert.ok(Date.now() - started < 1300, 'within interval + 1 s');
    const th = await getTreeHead(srv.url);
    if (th.size >= 2) assert.notEqual(typeof (await getInclusion(srv.url, th.size, l.leafHash)), 'number', 'the proof is there at once');
    else assert.equal(Buffer.from(th.rootHash).toString('hex'), Buffer.from(l.leafHash).toString('hex'), 'a tree of one leaf: its root is the leaf hash');
  }

  // A burst of new leaves: all answered at once; then at most 4 repeats are held, the others answered 202 at once.
  const burst = Array.from({ length: 50 }, (_, i) => makeLeaf(submitterSigner, `burst ${i}`));
  const started = Date.now();
  await pool(burst, 16, async b => assert.equal(await addLeaf(srv.url, b.body), 202));
  assert.ok(Date.now() - started < 300 * 4, 'nothing was held');
  // Before the next round signs them: 4 repeats wait, the rest get 202 at once.
  const repeats = await Promise.all(burst.slice(0, 12).map(async b => ({ status: await addLeaf(srv.url, b.body) })));
  const twoHundreds = repeats.filter(r => r.status === 200).length;
  assert.ok(twoHundreds >= 4 && repeats.every(r => r.status === 200 || r.status === 202), JSON.stringify(repeats));
});

test('sigsum-submit gets a verified proof without sleeping after a 202', { skip: tools.skip }, async t => {
  const bin = tools.dir!;
  const dir = tempDir(t);
  const key = writeKey(dir, 'log.key', h('57'.repeat(32)));
  const srv = await startServer(['--data-dir', join(dir, 'data'), '--init-if-missing', '--key-file', key.path, '--external-endpoint', '127.0.0.1:0', '--internal-endpoint', '127.0.0.1:0', '--interval', '300ms']);
  t.after(() => srv.stop('SIGKILL'));
  const policy = join(dir, 'policy');
  writeFileSync(policy, `log ${toHex(key.signer.publicKey)} ${srv.url}\nquorum none\n`);
  await run(tool(bin, 'sigsum-key'), ['generate', '-o', join(dir, 'sub.key')]);
  writeFileSync(join(dir, 'msg'), 'held message\n');
  const started = Date.now();
  await run(tool(bin, 'sigsum-submit'), ['-k', join(dir, 'sub.key'), '-p', policy, join(dir, 'msg')], { timeout: 30_000 });
  const took = Date.now() - started;
  assert.ok(took < 1800, `sigsum-submit took ${took} ms; after a 202 it would sleep 2 s`);
  await run('sh', ['-c', `"$0" -k "$1" -p "$2" "$3" < "$4"`, tool(bin, 'sigsum-verify'), join(dir, 'sub.key.pub'), policy, join(dir, 'msg.proof'), join(dir, 'msg')]);
});
