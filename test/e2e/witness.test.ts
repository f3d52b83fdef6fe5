// Witness cosigning with real processes:
//   1. our log + three test witnesses under a 2-of-3 policy: sigsum-submit
//      gets proofs with that policy and sigsum-verify accepts them; one
//      witness down, publication goes on; two down, it waits, and resumes
//      when they return;
//   2. the real witnesses among the reference tools (sigsum-witness and
//      litewitness) cosign our heads, also after a restart of our log and of
//      theirs;
//   3. after a failover (kill -9 primary, --promote the secondary) the
//      witnesses cosign the promoted primary's heads: they see one
//      consistent log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SeedSigner, sha256 } from '../../src/sigsum/crypto.js';
import { parsePrivateKey } from '../../src/sigsum/keyfile.js';
import { verifyCosignature, type CosignedTreeHead } from '../../src/sigsum/treehead.js';
import { toHex, type PublicKey } from '../../src/sigsum/types.js';
import { entry, h, hx } from '../support/vectors.js';
import { submitterSigner, tempDir, waitFor } from '../support/fixtures.js';
import { addLeaf, getTreeHead, makeLeaf } from '../support/client.js';
import {
  ensurePrimary,
  ensureReplica,
  freePort,
  startServer,
  writeKey,
  type ServerProcess,
  loopbackServe,
} from '../support/process.js';
import { requireTools, tool } from '../support/tools.js';
import { startRealWitnesses } from '../support/real-witnesses.js';
import { requireOpenSsh } from '../support/openssh-agent.js';
import { TestWitness } from '../support/witness.js';

const run = promisify(execFile);
const tools = requireTools();
const realWitnesses = { skip: tools.skip ?? requireOpenSsh().skip };
type T = Parameters<typeof tempDir>[0];

function cosignedBy(th: CosignedTreeHead, logKey: PublicKey, witnesses: PublicKey[]): number {
  return witnesses.filter(w =>
    th.cosignatures.some(c => hx(c.keyHash) === toHex(sha256(w)) && verifyCosignature(w, logKey, th, c)),
  ).length;
}

async function startLog(t: T, dir: string, key: string, policy: string, extra: string[] = []): Promise<ServerProcess> {
  await ensurePrimary(join(dir, 'data'), parsePrivateKey(readFileSync(key, 'utf8')));
  const srv = await startServer([
    ...loopbackServe(join(dir, 'data'), key),
    '--interval',
    '250ms',
    '--policy-file',
    policy,
    '--witness-timeout',
    '1s',
    ...extra,
  ]);
  t.after(() => srv.stop('SIGKILL'));
  return srv;
}

test(
  '2 of 3 test witnesses: sigsum-submit and sigsum-verify with the quorum; one down goes on; two down waits',
  { skip: tools.skip },
  async t => {
    const bin = tools.dir!;
    const dir = tempDir(t);
    const logKey = writeKey(dir, 'log.key', h(entry('formats.json', 'key-log').private_seed));
    const ws: TestWitness[] = [];
    for (let i = 0; i < 3; i++) {
      const w = await new TestWitness({
        name: `witness.example/e2e${i}`,
        signer: new SeedSigner(h(`4${i}`.repeat(32))),
        logs: [logKey.signer.publicKey],
      }).start();
      t.after(() => w.stop());
      ws.push(w);
    }
    const witnessLines =
      ws.map(w => w.policyLine()).join('') +
      `group two-of-three 2 ${ws.map(w => w.policyName).join(' ')}\nquorum two-of-three\n`;
    const logPolicy = join(dir, 'log-policy');
    writeFileSync(logPolicy, witnessLines);
    const srv = await startLog(t, dir, logKey.path, logPolicy);
    assert.match(srv.stderr(), /publication="after the witness quorum \\"two-of-three\\""/);

    const clientPolicy = join(dir, 'policy');
    writeFileSync(clientPolicy, `log ${toHex(logKey.signer.publicKey)} ${srv.url}\n${witnessLines}`);
    const subKey = join(dir, 'submitter.key');
    await run(tool(bin, 'sigsum-key'), ['generate', '-o', subKey]);
    const submitAndVerify = async (name: string) => {
      const f = join(dir, name);
      writeFileSync(f, `${name}\n`);
      await run(tool(bin, 'sigsum-submit'), ['-k', subKey, '-p', clientPolicy, f], { timeout: 60_000 });
      const r = await run('sh', [
        '-c',
        `"$0" -k "$1" -p "$2" "$3" < "$4"`,
        tool(bin, 'sigsum-verify'),
        subKey + '.pub',
        clientPolicy,
        f + '.proof',
        f,
      ]);
      assert.equal(r.stderr, '');
      return readFileSync(f + '.proof', 'utf8');
    };
    const proof = await submitAndVerify('all-up');
    assert.ok((proof.match(/^cosignature=/gm) ?? []).length >= 2);
    // A stricter client policy (all three) fails only if fewer than three cosigned.
    const th = await getTreeHead(srv.url);
    assert.ok(
      cosignedBy(
        th,
        logKey.signer.publicKey,
        ws.map(w => w.publicKey),
      ) >= 2,
    );

    await ws[0].stop();
    await submitAndVerify('one-down');

    await ws[1].stop();
    const held = makeLeaf(submitterSigner, 'two witnesses down');
    const before = (await getTreeHead(srv.url)).size;
    assert.equal(await addLeaf(srv.url, held.body), 202);
    await waitFor('the leaf to be signed (the remaining witness cosigns it)', () =>
      ws[2].cosignedSize(logKey.signer.publicKey) > before ? true : undefined,
    );
    for (let round = 0; round < 4; round++) {
      // Signed, cosigned by one witness only: never published, and never a 200 (with a witness policy, 200 means published).
      assert.equal(await addLeaf(srv.url, held.body), 202, 'no 200 without the quorum');
      assert.equal((await getTreeHead(srv.url)).size, before, 'no publication without the quorum');
      await new Promise(r => setTimeout(r, 250));
    }
    await ws[0].start();
    await ws[1].start();
    const after = await waitFor('publication to resume', async () => {
      const x = await getTreeHead(srv.url);
      return x.size > before ? x : undefined;
    });
    assert.ok(
      cosignedBy(
        after,
        logKey.signer.publicKey,
        ws.map(w => w.publicKey),
      ) >= 2,
    );
    assert.equal(await addLeaf(srv.url, held.body), 200, 'published now');
    await submitAndVerify('after-recovery');
    // At least one WARNING per witness that went down, none repeated per retry (retries log at DEBUG).
    const failing = srv.stderr().match(/WARNING witness failing /g)?.length ?? 0;
    assert.ok(failing >= 2 && failing <= 4, srv.stderr());
    assert.ok((srv.stderr().match(/INFO witness cosigning again/g)?.length ?? 0) >= 2);
  },
);

test('sigsum-witness and litewitness cosign our log, across restarts of both', realWitnesses, async t => {
  const dir = tempDir(t);
  const logKey = writeKey(dir, 'log.key', h('51'.repeat(32)));
  const real = await startRealWitnesses(t, tools.dir!, dir, logKey.signer.publicKey);
  const [swPub, lwPub] = real.publicKeys;
  const policy = join(dir, 'policy');
  writeFileSync(policy, real.policyLines + 'group both all sw lw\nquorum both\n');
  let srv = await startLog(t, dir, logKey.path, policy);

  const cosignedHead = async (minSize: number) =>
    waitFor(
      `a head of size >= ${minSize} cosigned by both`,
      async () => {
        const th = await getTreeHead(srv.url);
        return th.size >= minSize && cosignedBy(th, logKey.signer.publicKey, [swPub, lwPub]) === 2 ? th : undefined;
      },
      30_000,
      100,
    );
  const submit = async (tag: string, n: number) => {
    const leaves = Array.from({ length: n }, (_, i) => makeLeaf(submitterSigner, `${tag} ${i}`));
    for (const l of leaves) await addLeaf(srv.url, l.body);
    for (const l of leaves) await waitFor('200', async () => (await addLeaf(srv.url, l.body)) === 200);
  };
  await submit('first', 3);
  await cosignedHead(3);

  // Our log restarts: the witnesses' sizes are remembered, cosigning goes on.
  await srv.stop('SIGTERM');
  srv = await startLog(t, dir, logKey.path, policy);
  await submit('after log restart', 2);
  await cosignedHead(5);
  assert.doesNotMatch(srv.stderr(), /witness failing/);

  // Their restart: both keep their state and cosign the next heads.
  await real.restart();
  await submit('after witness restart', 2);
  const th = await cosignedHead(7);
  assert.equal(th.cosignatures.length, 2);
  assert.ok(existsSync(join(dir, 'sw.state')));
});

for (const kind of ['test witnesses', 'sigsum-witness and litewitness'] as const)
  test(
    `after a failover the witnesses (${kind}) cosign the promoted primary: one consistent log`,
    kind === 'test witnesses' ? {} : realWitnesses,
    async t => failoverCosigning(t, kind),
  );

async function failoverCosigning(t: T, kind: 'test witnesses' | 'sigsum-witness and litewitness'): Promise<void> {
  const dir = tempDir(t);
  const logKey = writeKey(dir, 'log.key', h('52'.repeat(32)));
  const secKey = writeKey(dir, 'sec.key', h('53'.repeat(32)));
  const ws: TestWitness[] = [];
  let policyLines: string;
  let names: string[];
  let witnessKeys: PublicKey[];
  if (kind === 'test witnesses') {
    for (let i = 0; i < 2; i++) {
      const w = await new TestWitness({
        name: `witness.example/fo${i}`,
        signer: new SeedSigner(h(`6${i}`.repeat(32))),
        logs: [logKey.signer.publicKey],
      }).start();
      t.after(() => w.stop());
      ws.push(w);
    }
    policyLines = ws.map(w => w.policyLine()).join('');
    names = ws.map(w => w.policyName);
    witnessKeys = ws.map(w => w.publicKey);
  } else {
    const real = await startRealWitnesses(t, tools.dir!, dir, logKey.signer.publicKey, '5b');
    policyLines = real.policyLines;
    names = real.names;
    witnessKeys = real.publicKeys;
  }
  const policy = join(dir, 'policy');
  writeFileSync(policy, policyLines + `group both all ${names.join(' ')}\nquorum both\n`);
  const [pExt, pInt, sExt, sInt] = await Promise.all([1, 2, 3, 4].map(() => freePort()));
  const secArgs = [
    '--data-dir',
    join(dir, 'sec'),
    '--external-endpoint',
    `127.0.0.1:${sExt}`,
    '--internal-endpoint',
    `127.0.0.1:${sInt}`,
  ];
  await ensureReplica(join(dir, 'sec'), logKey.signer.publicKey);
  await ensurePrimary(join(dir, 'pri'), logKey.signer);
  let sec = await startServer([
    '--role',
    'secondary',
    ...secArgs,
    '--key-file',
    secKey.path,
    '--log-pubkey-file',
    logKey.pub,
    '--primary-url',
    `http://127.0.0.1:${pInt}`,
    '--interval',
    '100ms',
  ]);
  t.after(() => sec.stop('SIGKILL'));
  const primary = await startServer([
    '--data-dir',
    join(dir, 'pri'),
    '--key-file',
    logKey.path,
    '--external-endpoint',
    `127.0.0.1:${pExt}`,
    '--internal-endpoint',
    `127.0.0.1:${pInt}`,
    '--interval',
    '250ms',
    '--policy-file',
    policy,
    '--secondary-url',
    `http://127.0.0.1:${sInt}`,
    '--secondary-pubkey-file',
    secKey.pub,
  ]);
  t.after(() => primary.stop('SIGKILL'));
  const leaves = Array.from({ length: 6 }, (_, i) => makeLeaf(submitterSigner, `before failover ${i}`));
  for (const l of leaves) await addLeaf(primary.url, l.body);
  for (const l of leaves) await waitFor('200', async () => (await addLeaf(primary.url, l.body)) === 200);
  const old = await waitFor('a cosigned head of size 6', async () => {
    const th = await getTreeHead(primary.url);
    return th.size === 6 && cosignedBy(th, logKey.signer.publicKey, witnessKeys) === 2 ? th : undefined;
  });
  await waitFor(
    'the secondary to serve that head',
    async () => (await fetch(`${sec.url}/get-tree-head`)).status === 200 && (await getTreeHead(sec.url)).size === 6,
  );
  await primary.stop('SIGKILL');
  await sec.stop('SIGTERM');
  for (const w of ws) w.requests.length = 0;
  sec = await startServer([
    '--role',
    'primary',
    '--promote',
    ...secArgs,
    '--key-file',
    logKey.path,
    '--interval',
    '250ms',
    '--policy-file',
    policy,
  ]);
  // Until the witnesses cosign its own head, the promoted node serves the last cosigned head it saw as a secondary.
  assert.equal(hx((await getTreeHead(sec.url)).rootHash), hx(old.rootHash));
  const more = makeLeaf(submitterSigner, 'after failover');
  await waitFor('200 from the promoted primary', async () => (await addLeaf(sec.url, more.body)) === 200);
  const th = await waitFor('a cosigned head from the promoted primary', async () => {
    const x = await getTreeHead(sec.url);
    return x.size === 7 && cosignedBy(x, logKey.signer.publicKey, witnessKeys) === 2 ? x : undefined;
  });
  assert.ok(th);
  // The promotion asked each witness its size with a probe that changed nothing (422: the garbage proof
  // for 6 -> 6 was refused), then the promoted node, which did not know their sizes, got one 409 and
  // sent a consistency proof from 6 that they accepted.
  for (const w of ws) {
    assert.deepEqual(
      w.requests.slice(0, 3).map(r => [r.old, r.status]),
      [
        [6, 422],
        [0, 409],
        [6, 200],
      ],
    );
    assert.equal(w.state.get(`sigsum.org/v1/tree/${toHex(sha256(logKey.signer.publicKey))}`)?.size, 7);
  }
  assert.match(sec.stderr(), /promotion: witness \S+ at \S+: latest cosigned size 6/);
}
