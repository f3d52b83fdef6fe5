// Interoperability with the real Sigsum clients (sigsum-go, from Debian):
// sigsum-submit collects proofs for 50 messages from our log, sigsum-verify
// accepts every one of them (and rejects a proof for the wrong message), and
// sigsum-monitor follows the log and reports every leaf of the submitter key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sha256 } from '../../src/sigsum/crypto.js';
import { parsePrivateKey } from '../../src/sigsum/keyfile.js';
import { parseProof, verifyProof } from '../../src/sigsum/proof.js';
import { toHex } from '../../src/sigsum/types.js';
import { tempDir, waitFor } from '../support/fixtures.js';
import { runCli, startServer, loopbackServe } from '../support/process.js';
import { requireTools, tool } from '../support/tools.js';

const run = promisify(execFile);
const tools = requireTools();
const N = 50;

test('sigsum-submit, sigsum-verify and sigsum-monitor against our log', { skip: tools.skip }, async t => {
  const bin = tools.dir!;
  const dir = tempDir(t);
  const logKeyFile = join(dir, 'log.key');
  runCli(['keygen', '-o', logKeyFile]);
  assert.equal(runCli(['init', '--data-dir', join(dir, 'data'), '--key-file', logKeyFile]).status, 0);
  const srv = await startServer([
    ...loopbackServe(join(dir, 'data'), logKeyFile),
    '--interval',
    '250ms',
    '--url-prefix',
    'interop',
  ]);
  t.after(() => srv.stop('SIGKILL'));

  const logKey = parsePrivateKey(readFileSync(logKeyFile, 'utf8')).publicKey;
  const policy = join(dir, 'policy');
  writeFileSync(policy, `log ${toHex(logKey)} ${srv.url}\nquorum none\n`);
  const subKey = join(dir, 'submitter.key');
  await run(tool(bin, 'sigsum-key'), ['generate', '-o', subKey]);
  const files = Array.from({ length: N }, (_, i) => {
    const f = join(dir, `msg-${i}`);
    writeFileSync(f, `interop message ${i}\n`);
    return f;
  });
  await run(tool(bin, 'sigsum-submit'), ['-k', subKey, '-p', policy, ...files], { timeout: 120_000 });

  const submitter = parsePrivateKey(readFileSync(subKey, 'utf8')).publicKey;
  for (const f of files) {
    const r = await run('sh', [
      '-c',
      `"$0" -k "$1" -p "$2" "$3" < "$4"`,
      tool(bin, 'sigsum-verify'),
      subKey + '.pub',
      policy,
      f + '.proof',
      f,
    ]);
    assert.equal(r.stderr, '');
    // Our own verifier agrees.
    verifyProof(parseProof(readFileSync(f + '.proof', 'utf8')), submitter, sha256(readFileSync(f)), {
      logKey,
      witnesses: [],
      quorum: 0,
    });
  }
  await assert.rejects(
    run('sh', [
      '-c',
      `"$0" -k "$1" -p "$2" "$3" < "$4"`,
      tool(bin, 'sigsum-verify'),
      subKey + '.pub',
      policy,
      files[0] + '.proof',
      files[1],
    ]),
  );

  // sigsum-monitor reports every leaf of the submitter key, with the checksums we expect.
  const want = new Set(files.map(f => toHex(sha256(sha256(readFileSync(f))))));
  const mon = spawn(tool(bin, 'sigsum-monitor'), ['-p', policy, '-i', '1s', subKey + '.pub'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => mon.kill('SIGKILL'));
  let out = '';
  mon.stdout.on('data', d => (out += d));
  const keyHash = toHex(sha256(submitter));
  await waitFor(
    'sigsum-monitor to report all leaves',
    () => {
      const seen = [...out.matchAll(/index (\d+) keyhash ([0-9a-f]{64}) checksum ([0-9a-f]{64})/g)]
        .filter(m => m[2] === keyHash)
        .map(m => m[3]);
      return seen.length >= N && [...want].every(c => seen.includes(c));
    },
    60_000,
    100,
  );
  mon.kill('SIGTERM');
});
