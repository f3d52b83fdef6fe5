// Runs the real sigsum-log command (bin/sigsum-log.js) as a child process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPrivateKey, formatPublicKey } from '../../src/sigsum/keyfile.js';
import { SeedSigner } from '../../src/sigsum/crypto.js';
import { holdsLog, initDataDir } from '../../src/storage/datadir.js';
import type { PublicKey } from '../../src/sigsum/types.js';

export const BIN = fileURLToPath(new URL('../../bin/sigsum-log.js', import.meta.url));

export function runCli(
  args: string[],
  opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    input: opts.input,
    env: opts.env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface ServerProcess {
  proc: ChildProcess;
  /** Public base URL including the prefix, without a trailing slash. */
  url: string;
  internalUrl: string;
  stdout: () => string;
  stderr: () => string;
  /** Sends a signal and resolves with the exit code (or signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Starts "sigsum-log serve ARGS" and resolves once it prints its URLs. */
export function startServer(
  args: string[],
  timeoutMs = 30_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  proc.stderr.on('data', d => (err += d));
  const exited = new Promise<number | string>(res => proc.on('exit', (code, sig) => res(code ?? sig ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, timeoutMs);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before starting\nstdout: ${out}\nstderr: ${err}`));
    };
    proc.on('exit', early);
    proc.stdout.on('data', d => {
      out += d;
      const m = /(?:primary|secondary) serving (http:\/\/\S+?)\/? \(internal (http:\/\/\S+?)\/?\)/.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.off('exit', early);
        resolve({
          proc,
          url: m[1],
          internalUrl: m[2],
          stdout: () => out,
          stderr: () => err,
          stop: (signal = 'SIGTERM') => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
            return exited;
          },
        });
      }
    });
  });
}

/** `serve` flags for a node of `dataDir` and `keyFile` listening on free loopback ports, followed by `extra`. */
export function loopbackServe(dataDir: string, keyFile: string, ...extra: string[]): string[] {
  return [
    '--data-dir',
    dataDir,
    '--key-file',
    keyFile,
    '--external-endpoint',
    '127.0.0.1:0',
    '--internal-endpoint',
    '127.0.0.1:0',
    ...extra,
  ];
}

/** A TCP port that was free a moment ago (for processes that must know each other's addresses up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Writes `<dir>/<name>` (OpenSSH private key) and `<name>.pub` for `seed`. */
export function writeKey(
  dir: string,
  name: string,
  seed: Uint8Array,
): { path: string; pub: string; signer: SeedSigner } {
  const path = join(dir, name);
  const signer = new SeedSigner(seed);
  writeFileSync(path, formatPrivateKey(seed), { mode: 0o600 });
  writeFileSync(path + '.pub', formatPublicKey(signer.publicKey));
  return { path, pub: path + '.pub', signer };
}

/** Creates an empty log in `dir` with the log key `signer`, unless it holds one (what `sigsum-log init` does). */
export async function ensurePrimary(dir: string, signer: SeedSigner): Promise<void> {
  if (!holdsLog(dir))
    (await initDataDir(dir, { role: 'primary', logPublicKey: signer.publicKey, signer, now: Date.now() })).close();
}

/** Creates an empty replica of the log with key `logKey` in `dir`, unless it holds one (`sigsum-log init --role secondary`). */
export async function ensureReplica(dir: string, logKey: PublicKey): Promise<void> {
  if (!holdsLog(dir)) (await initDataDir(dir, { role: 'secondary', logPublicKey: logKey, now: Date.now() })).close();
}
