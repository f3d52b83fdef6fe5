// add-leaf holding (the default): a repeated add-leaf for an accepted leaf
// waits for its publication and answers 200 then, so sigsum-submit finds its
// proof at once instead of sleeping 2 s after a 202. First submissions are
// never held, and at most --add-leaf-max-held requests are. Counts, not
// clocks: the tests assert how many requests were held and answered, and how
// many add-leaf requests sigsum-submit needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toHex } from '../../src/sigsum/types.js';
import { entry, h } from '../support/vectors.js';
import { submitterSigner, tempDir, waitFor } from '../support/fixtures.js';
import { addLeaf, getTreeHead, makeLeaf, pool } from '../support/client.js';
import { ensurePrimary, startServer, writeKey, loopbackServe } from '../support/process.js';
import { requireTools, tool } from '../support/tools.js';

const run = promisify(execFile);
const tools = requireTools();

async function metric(internalUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${internalUrl}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

test('a repeated add-leaf is held until publication; first submissions are never held; at most --add-leaf-max-held are', async t => {
  const dir = tempDir(t);
  const key = writeKey(dir, 'log.key', h(entry('formats.json', 'key-log').private_seed));
  await ensurePrimary(join(dir, 'data'), key.signer);
  const srv = await startServer([
    ...loopbackServe(join(dir, 'data'), key.path),
    '--interval',
    '2s',
    '--add-leaf-wait',
    '60s',
    '--add-leaf-max-held',
    '4',
  ]);
  t.after(() => srv.stop('SIGKILL'));
  for (let attempt = 1; ; attempt++) {
    const burst = Array.from({ length: 12 }, (_, i) => makeLeaf(submitterSigner, `burst ${attempt} ${i}`));
    await pool(burst, 12, async b =>
      assert.equal(await addLeaf(srv.url, b.body), 202, 'a first submission is answered at once'),
    );
    assert.equal(await metric(srv.internalUrl, 'sigsum_log_held_requests'), 0, 'first submissions are never held');
    const before = (await getTreeHead(srv.url)).size;
    // Repeats before the next signing round: 4 are held, the other 8 answered 202 at once.
    const answers: number[] = [];
    const repeats = burst.map(b => addLeaf(srv.url, b.body).then(s => answers.push(s)));
    await waitFor('the repeats not held to be answered', () => answers.length >= 8 || undefined);
    const during = (await getTreeHead(srv.url)).size;
    if (during !== before && attempt < 5) {
      await Promise.all(repeats); // a signing round came in between: the counts are not defined; try again
      continue;
    }
    assert.deepEqual(answers.slice(0, 8), Array<number>(8).fill(202));
    assert.equal(await metric(srv.internalUrl, 'sigsum_log_held_requests'), 4);
    await Promise.all(repeats);
    assert.deepEqual(answers.slice(8), [200, 200, 200, 200], 'the held ones get 200 at publication');
    assert.equal(await metric(srv.internalUrl, 'sigsum_log_held_requests'), 0);
    break;
  }
});

test(
  'sigsum-submit gets a verified proof with two add-leaf requests: no sleep after a 202',
  { skip: tools.skip },
  async t => {
    const bin = tools.dir!;
    const dir = tempDir(t);
    const key = writeKey(dir, 'log.key', h('57'.repeat(32)));
    await ensurePrimary(join(dir, 'data'), key.signer);
    const srv = await startServer([...loopbackServe(join(dir, 'data'), key.path), '--interval', '300ms']);
    t.after(() => srv.stop('SIGKILL'));
    const policy = join(dir, 'policy');
    writeFileSync(policy, `log ${toHex(key.signer.publicKey)} ${srv.url}\nquorum none\n`);
    await run(tool(bin, 'sigsum-key'), ['generate', '-o', join(dir, 'sub.key')]);
    writeFileSync(join(dir, 'msg'), 'held message\n');
    await run(tool(bin, 'sigsum-submit'), ['-k', join(dir, 'sub.key'), '-p', policy, join(dir, 'msg')], {
      timeout: 30_000,
    });
    // sigsum-submit posts once (202), then re-posts and sleeps 2 s after every 202: two requests mean the repeat was held and got 200.
    assert.equal(await metric(srv.internalUrl, 'sigsum_log_go_http_req\\{endpoint="add-leaf"\\}'), 2);
    await run('sh', [
      '-c',
      `"$0" -k "$1" -p "$2" "$3" < "$4"`,
      tool(bin, 'sigsum-verify'),
      join(dir, 'sub.key.pub'),
      policy,
      join(dir, 'msg.proof'),
      join(dir, 'msg'),
    ]);
  },
);
