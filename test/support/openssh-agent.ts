// OpenSSH's ssh-agent as a test fixture: started in the foreground on a
// socket in a test directory, keys added with ssh-add. litewitness signs
// through it, and so does sigsum-log with a public key as --key-file.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { waitFor } from './fixtures.js';

const run = promisify(execFile);

/** "SHA256:<base64>" as ssh-keygen -l prints it (litewitness's -key flag). */
export function fingerprint(pub: Uint8Array): string {
  const str = (b: Uint8Array) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, Buffer.from(b)]);
  };
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(pub)]);
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

export class OpenSshAgent {
  private proc: ChildProcess | undefined;

  private constructor(readonly socket: string) {}

  /** Starts `ssh-agent -D -a <dir>/<name>` and waits for its socket. */
  static async start(dir: string, name = 'agent.sock'): Promise<OpenSshAgent> {
    const a = new OpenSshAgent(join(dir, name));
    await a.restart();
    return a;
  }

  /** Environment for a process that signs through this agent. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, SSH_AUTH_SOCK: this.socket };
  }

  /** Adds an OpenSSH private key file (mode 0600). */
  async add(keyFile: string): Promise<void> {
    await run('ssh-add', ['-q', keyFile], { env: this.env });
  }

  /** Removes every key (the agent stays up). */
  async removeAll(): Promise<void> {
    await run('ssh-add', ['-D'], { env: this.env });
  }

  /** Kills the agent (its keys are gone with it). */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise(r => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
    this.proc = undefined;
  }

  /** Starts it again on the same socket (empty: add the keys again). */
  async restart(): Promise<void> {
    await this.kill();
    rmSync(this.socket, { force: true }); // a killed agent leaves its socket behind
    const p = spawn('ssh-agent', ['-D', '-a', this.socket], { stdio: 'ignore' });
    this.proc = p;
    await waitFor('ssh-agent socket', () => {
      if (p.exitCode !== null) throw new Error(`ssh-agent exited with ${p.exitCode}`);
      return existsSync(this.socket) || undefined;
    });
  }
}

/** OpenSSH's agent on PATH, or a skip reason for node:test (throws in CI, where .ci/run installs it). */
export function requireOpenSsh(): { skip?: string } {
  const found = (process.env.PATH ?? '')
    .split(':')
    .some(d => d && existsSync(join(d, 'ssh-agent')) && existsSync(join(d, 'ssh-add')));
  if (found) return {};
  const msg = 'OpenSSH ssh-agent not installed (Debian: apt-get install openssh-client)';
  if (process.env.CI) throw new Error(msg);
  return { skip: msg };
}
