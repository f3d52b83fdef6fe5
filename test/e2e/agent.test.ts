// The log key only in OpenSSH's ssh-agent (--key-file names the public key):
// sigsum-submit and sigsum-verify against that log; the agent killed and
// restarted under load: no crash, no 200 lost, signing resumes; the startup
// checks (no SSH_AUTH_SOCK, a key the agent does not hold).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toHex } from '../../src/sigsum/types.js';
import { ensurePrimary, runCli, startServer, writeKey } from '../support/process.js';
import { tempDir, waitFor } from '../support/fixtures.js';
import { h } from '../support/vectors.js';
import { OpenSshAgent, requireOpenSsh } from '../support/openssh-agent.js';
import { requireTools, tool } from '../support/tools.js';
import { Cluster, LogChecker, publicUrl } from '../support/cluster.js';

const run = promisify(execFile);
const tools = requireTools();
const ssh = requireOpenSsh();
const endpoints = ['--external-endpoint', '127.0.0.1:0', '--internal-endpoint', '127.0.0.1:0'];

test(
  'startup: a public key without an agent, or with an agent that lacks the key, is refused clearly',
  { skip: ssh.skip },
  async t => {
    const dir = tempDir(t);
    const key = writeKey(dir, 'log.key', h('71'.repeat(32)));
    await ensurePrimary(join(dir, 'data'), key.signer);
    const noAgent = runCli(['serve', '--data-dir', join(dir, 'data'), '--key-file', key.pub, ...endpoints], {
      env: { ...process.env, SSH_AUTH_SOCK: '' },
    });
    assert.equal(noAgent.status, 1, noAgent.stderr + noAgent.stdout);
    assert.match(
      noAgent.stderr,
      /--key-file .*log\.key\.pub is a public key: its private key must be in an ssh-agent, but SSH_AUTH_SOCK is not set/,
    );
    const agent = await OpenSshAgent.start(dir);
    t.after(() => agent.kill());
    const empty = runCli(['serve', '--data-dir', join(dir, 'data'), '--key-file', key.pub, ...endpoints], {
      env: agent.env,
    });
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /the ssh-agent at .* does not hold this key \(ssh-add the private key/);
    // keygen tells how to move a key into an agent.
    assert.match(runCli(['keygen', '-o', join(dir, 'k2')]).stdout, /ssh-add .*k2, then give --key-file .*k2\.pub/);
  },
);

test(
  'a log whose key is only in ssh-agent: sigsum-submit and sigsum-verify; the agent lost and back under load',
  { skip: tools.skip ?? ssh.skip },
  async t => {
    const c = new Cluster('300ms');
    const [p, s] = [await c.node('p'), await c.node('s', '72')];
    const agent = await OpenSshAgent.start(c.dir);
    t.after(() => agent.kill());
    await agent.add(c.logKey.path);
    await c.startSecondary(s, p);
    await ensurePrimary(p.dir, c.logKey.signer);
    // The primary gets only the public key and the agent's socket.
    p.proc = await startServer(
      c.primaryArgs(p, [s]).map(a => (a === c.logKey.path ? c.logKey.pub : a)),
      30_000,
      agent.env,
    );
    assert.match(p.proc.stderr(), /primary started/);

    // sigsum-submit and sigsum-verify, with a policy naming this log.
    const bin = tools.dir!;
    const policy = join(c.dir, 'policy');
    writeFileSync(policy, `log ${toHex(c.logKey.signer.publicKey)} ${publicUrl(p)}\nquorum none\n`);
    await run(tool(bin, 'sigsum-key'), ['generate', '-o', join(c.dir, 'submit.key')]);
    const msg = join(c.dir, 'msg');
    writeFileSync(msg, 'signed through an agent\n');
    await run(tool(bin, 'sigsum-submit'), ['-k', join(c.dir, 'submit.key'), '-p', policy, msg], { timeout: 60_000 });
    await run('sh', [
      '-c',
      `"$0" -k "$1" -p "$2" "$3.proof" < "$3"`,
      tool(bin, 'sigsum-verify'),
      join(c.dir, 'submit.key.pub'),
      policy,
      msg,
    ]);

    const checker = new LogChecker();
    const stream = checker.stream(c, () => p, 3);
    await waitFor('200s while the agent signs', () => checker.accepted.length >= 10 || undefined, 30_000);
    await agent.kill();
    await waitFor(
      'the signing failure to be reported',
      () => /ERROR refusing to sign a new tree head .*error=.*ssh-agent/.test(p.proc!.stderr()) || undefined,
      15_000,
    );
    const stalled = checker.accepted.length;
    await new Promise(r => setTimeout(r, 1500)); // several rounds without the agent
    assert.ok(checker.accepted.length <= stalled + 3, 'hardly any 200 without signatures (only leaves already signed)');
    await agent.restart();
    await agent.add(c.logKey.path);
    await waitFor('signing to resume', () => checker.accepted.length >= stalled + 10 || undefined, 30_000);
    await stream.stop();
    assert.equal(p.proc.stderr().match(/refusing to sign a new tree head/g)?.length, 1, 'one line when it started');
    assert.match(p.proc.stderr(), /signing tree heads again/);
    assert.equal(p.proc.proc.exitCode, null, 'no crash');
    await checker.verify(p);
    await c.stop(p);
    await c.stop(s);
  },
);
