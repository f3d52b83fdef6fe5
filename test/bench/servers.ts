// Starting the servers under test as real processes: our sigsum-log (primary
// and secondary) and log-go's sigsum-log-primary / sigsum-log-secondary
// (in-memory backend), on loopback ports chosen here.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parsePrivateKey, parsePublicKey } from '../../src/sigsum/keyfile.js';
import { ensurePrimary, ensureReplica, freePort } from '../support/process.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './http-load.js';

export const BIN = fileURLToPath(new URL('../../bin/sigsum-log.js', import.meta.url));

export interface Proc {
  name: string;
  proc: ChildProcess;
  pid: number;
  external: string;
  internal: string;
  /** ms from spawn until it answered. */
  startupMs: number;
  output(): string;
  stop(): Promise<void>;
}

export { freePort };

async function launch(
  name: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  external: string,
  internal: string,
  readyUrl: string,
  timeoutMs = 120_000,
): Promise<Proc> {
  const started = performance.now();
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', d => (out = (out + d).slice(-20000)));
  proc.stderr.on('data', d => (out = (out + d).slice(-20000)));
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited: ${out}`);
    const ok = await fetch(readyUrl).then(
      r => r.status < 500,
      () => false,
    );
    if (ok) break;
    if (performance.now() > deadline) throw new Error(`${name} did not start: ${out}`);
    await sleep(20);
  }
  return {
    name,
    proc,
    pid: proc.pid!,
    external,
    internal,
    startupMs: performance.now() - started,
    output: () => out,
    stop: async () => {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      const exited = new Promise(r => proc.once('exit', r));
      const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** What every server under test is started with. */
interface ServerOptions {
  role: 'primary' | 'secondary';
  keyFile: string;
  interval: string;
  extra?: string[];
  /** Ports to use (e.g. known to a peer in advance); free ones otherwise. */
  external?: number;
  internal?: number;
}

export interface OursOptions extends ServerOptions {
  dataDir: string;
}

export interface LogGoOptions extends ServerOptions {
  bin: string;
  dir: string;
}

async function ports(o: ServerOptions): Promise<[number, number]> {
  return [o.external ?? (await freePort()), o.internal ?? (await freePort())];
}

export async function startOurs(o: OursOptions): Promise<Proc> {
  const [ext, int] = await ports(o);
  // As "sigsum-log init" would: a log with the key file's key, or a replica of the log whose public key follows --log-pubkey-file.
  if (o.role === 'primary') await ensurePrimary(o.dataDir, parsePrivateKey(readFileSync(o.keyFile, 'utf8')));
  else
    await ensureReplica(
      o.dataDir,
      parsePublicKey(readFileSync(o.extra![o.extra!.indexOf('--log-pubkey-file') + 1], 'utf8')),
    );
  const args = [
    BIN,
    'serve',
    '--role',
    o.role,
    '--data-dir',
    o.dataDir,
    '--key-file',
    o.keyFile,
    '--external-endpoint',
    `127.0.0.1:${ext}`,
    '--internal-endpoint',
    `127.0.0.1:${int}`,
    '--interval',
    o.interval,
    '--log-level',
    'warning',
    ...(o.extra ?? []),
  ];
  return launch(
    `ours-${o.role}`,
    process.execPath,
    args,
    process.env,
    `http://127.0.0.1:${ext}`,
    `http://127.0.0.1:${int}`,
    `http://127.0.0.1:${int}/metrics`,
  );
}

export async function startLogGo(o: LogGoOptions): Promise<Proc> {
  const [ext, int] = await ports(o);
  const env = { ...process.env, GODEBUG: 'httpmuxgo121=0', SIGSUM_LOGSERVER_CONFIG: join(o.dir, 'no-config.toml') };
  const args = [
    '--backend=ephemeral',
    `--interval=${o.interval}`,
    `--key-file=${o.keyFile}`,
    `--external-endpoint=127.0.0.1:${ext}`,
    `--internal-endpoint=127.0.0.1:${int}`,
    '--log-level=warning',
    ...(o.extra ?? []),
  ];
  if (o.role === 'primary') {
    const sth = join(o.dir, `sth-${ext}`);
    writeFileSync(sth + '.startup', 'startup=empty');
    args.push(`--sth-file=${sth}`);
  }
  const cmd = join(o.bin, o.role === 'primary' ? 'sigsum-log-primary' : 'sigsum-log-secondary');
  const ready =
    o.role === 'primary' ? `http://127.0.0.1:${ext}/get-tree-head` : `http://127.0.0.1:${int}/get-secondary-tree-head`;
  return launch(`log-go-${o.role}`, cmd, args, env, `http://127.0.0.1:${ext}`, `http://127.0.0.1:${int}`, ready);
}
