// The two reference witnesses as processes: sigsum-go's sigsum-witness (key
// file, state file) and litewitness (key in OpenSSH's ssh-agent, the log
// added with witnessctl). Each keeps its state across restart(), on the same
// port, and checks consistency with its own code.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SeedSigner } from '../../src/sigsum/crypto.js';
import { formatPublicKey, parsePublicKey } from '../../src/sigsum/keyfile.js';
import { toHex, type PublicKey } from '../../src/sigsum/types.js';
import { h } from './vectors.js';
import { freePort, writeKey } from './process.js';
import { tool } from './tools.js';
import { fingerprint, OpenSshAgent } from './openssh-agent.js';

const run = promisify(execFile);

export interface RealWitnesses {
  /** Policy lines: "witness sw ...", "witness lw ...". */
  policyLines: string;
  names: string[];
  publicKeys: PublicKey[];
  /** Both stopped (SIGTERM) and started again with their state. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

export async function startRealWitnesses(
  t: { after: (fn: () => unknown) => void },
  bin: string,
  dir: string,
  logKey: PublicKey,
  seedTag = '5a',
): Promise<RealWitnesses> {
  let out = '';
  const procs: ChildProcess[] = [];
  const spawnLogged = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    p.stdout.on('data', d => (out += d));
    p.stderr.on('data', d => (out += d));
    procs.push(p);
    return p;
  };
  const logPub = join(dir, 'witnessed-log.pub');
  writeFileSync(logPub, formatPublicKey(logKey));

  await run(tool(bin, 'sigsum-key'), ['generate', '-o', join(dir, 'sw.key')]);
  const swPub = parsePublicKey(readFileSync(join(dir, 'sw.key.pub'), 'utf8'));
  const swPort = await freePort();
  const startSw = () =>
    spawnLogged(tool(bin, 'sigsum-witness'), [
      '-k',
      join(dir, 'sw.key'),
      '--log-key',
      logPub,
      '--state-file',
      join(dir, 'sw.state'),
      `127.0.0.1:${swPort}`,
    ]);

  const lwKey = writeKey(dir, 'lw.key', h(seedTag.repeat(32)));
  const lwSigner = new SeedSigner(h(seedTag.repeat(32)));
  const agent = await OpenSshAgent.start(dir, 'lw-agent.sock');
  t.after(() => agent.kill());
  await agent.add(lwKey.path);
  await run(tool(bin, 'witnessctl'), ['add-sigsum-log', '-db', join(dir, 'lw.db'), '-key', toHex(logKey)]);
  const lwPort = await freePort();
  const startLw = () =>
    spawnLogged(tool(bin, 'litewitness'), [
      '-db',
      join(dir, 'lw.db'),
      '-key',
      fingerprint(lwSigner.publicKey),
      '-name',
      'example.org/litewitness',
      '-listen',
      `127.0.0.1:${lwPort}`,
      '-ssh-agent',
      agent.socket,
    ]);

  let running = [startSw(), startLw()];
  const stop = async () => {
    await Promise.all(
      running.map(p => {
        if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
        const exited = new Promise(r => p.once('exit', r));
        p.kill('SIGTERM');
        return exited;
      }),
    );
  };
  t.after(() => procs.forEach(p => p.kill('SIGKILL')));
  return {
    policyLines:
      `witness sw ${toHex(swPub)} http://127.0.0.1:${swPort}\n` +
      `witness lw ${toHex(lwSigner.publicKey)} http://127.0.0.1:${lwPort}\n`,
    names: ['sw', 'lw'],
    publicKeys: [swPub, lwSigner.publicKey],
    restart: async () => {
      await stop();
      running = [startSw(), startLw()];
    },
    stop,
    output: () => out,
  };
}
