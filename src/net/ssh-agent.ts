// Signing through an SSH agent (draft-miller-ssh-agent), as sigsum-go and
// log-go do when the key file holds only a public key: the private key stays
// in the agent (OpenSSH's ssh-agent, sigsum-agent in front of a YubiHSM, ...),
// reached over the Unix socket named by SSH_AUTH_SOCK.
//
// One connection, opened on first use and again after any failure; one
// request at a time; every request has a deadline and a cap on the answer's
// size. An agent that is gone, refuses, or answers garbage makes sign() throw
// an AgentError (the signing round fails and says so once; it is retried the
// next round), never hang. Signatures are checked by the caller (treehead.ts
// verifies every head it signs).
import { connect, type Socket } from 'node:net';
import type { Signer } from '../sigsum/crypto.js';
import { asSignature, bytesEqual, type PublicKey, type Signature } from '../sigsum/types.js';
import { errorMessage } from '../util/errors.js';

const FAILURE = 5;
const REQUEST_IDENTITIES = 11;
const IDENTITIES_ANSWER = 12;
const SIGN_REQUEST = 13;
const SIGN_RESPONSE = 14;
const MAX_ANSWER = 256 * 1024;

export class AgentError extends Error {}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
const str = (b: Uint8Array | string) => {
  const data = typeof b === 'string' ? Buffer.from(b) : Buffer.from(b);
  return Buffer.concat([u32(data.length), data]);
};

/** The SSH wire blob of an Ed25519 public key. */
export function sshKeyBlob(pub: Uint8Array): Buffer {
  return Buffer.concat([str('ssh-ed25519'), str(pub)]);
}

/** Reads SSH wire strings from a message body. */
class Reader {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  u32(): number {
    if (this.at + 4 > this.b.length) throw new AgentError('truncated agent answer');
    const v = this.b.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  string(): Buffer {
    const n = this.u32();
    if (this.at + n > this.b.length) throw new AgentError('truncated agent answer');
    const v = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
}

export class AgentSigner implements Signer {
  private sock: Socket | undefined; // owned by request(); replaced after any failure
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly publicKey: PublicKey,
    /** The agent's socket (SSH_AUTH_SOCK). */
    readonly socketPath: string,
    private readonly timeoutMs = 5000,
  ) {}

  async sign(msg: Uint8Array): Promise<Signature> {
    const body = await this.request(
      Buffer.concat([Buffer.from([SIGN_REQUEST]), str(sshKeyBlob(this.publicKey)), str(msg), u32(0)]),
    );
    if (body[0] === FAILURE)
      throw new AgentError(`the ssh-agent at ${this.socketPath} refused to sign (does it hold the key?)`);
    if (body[0] !== SIGN_RESPONSE) throw new AgentError(`unexpected ssh-agent answer of type ${body[0]}`);
    const blob = new Reader(new Reader(body.subarray(1)).string());
    const type = blob.string().toString('latin1');
    const sig = blob.string();
    if (type !== 'ssh-ed25519' || sig.length !== 64)
      throw new AgentError(`the ssh-agent answered a ${type} signature of ${sig.length} bytes, not Ed25519`);
    return asSignature(new Uint8Array(sig));
  }

  /** Whether the agent holds this signer's key (a startup check). */
  async holdsKey(): Promise<boolean> {
    const body = await this.request(Buffer.from([REQUEST_IDENTITIES]));
    if (body[0] !== IDENTITIES_ANSWER) throw new AgentError(`unexpected ssh-agent answer of type ${body[0]}`);
    const r = new Reader(body.subarray(1));
    const want = sshKeyBlob(this.publicKey);
    for (let n = r.u32(), i = 0; i < n; i++) {
      const blob = r.string();
      r.string(); // comment
      if (bytesEqual(blob, want)) return true;
    }
    return false;
  }

  close(): void {
    this.sock?.destroy();
    this.sock = undefined;
  }

  /** One request/answer, after the ones before it; the answer's body (type byte first). */
  private request(msg: Buffer): Promise<Buffer> {
    const run = () => this.exchange(msg);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private exchange(msg: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let sock = this.sock;
      if (!sock || sock.destroyed) {
        const fresh = connect(this.socketPath);
        fresh.on('error', () => {}); // reported by the request in progress, if any
        fresh.unref(); // an idle agent connection never keeps the process alive
        fresh.once('close', () => this.sock === fresh && (this.sock = undefined));
        sock = this.sock = fresh;
      }
      let buf = Buffer.alloc(0);
      const finish = (e?: Error, body?: Buffer) => {
        clearTimeout(timer);
        sock.off('data', onData);
        sock.off('error', onError);
        sock.off('close', onClose);
        if (e) {
          sock.destroy();
          if (this.sock === sock) this.sock = undefined;
          reject(new AgentError(`ssh-agent at ${this.socketPath}: ${e.message}`));
        } else resolve(body!);
      };
      const onData = (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 4) return;
        const n = buf.readUInt32BE(0);
        if (n === 0 || n > MAX_ANSWER) return finish(new Error(`answer of ${n} bytes`));
        if (buf.length < 4 + n) return;
        if (buf.length > 4 + n) return finish(new Error('more data than one answer'));
        finish(undefined, buf.subarray(4));
      };
      const onError = (e: Error) => finish(new Error(errorMessage(e)));
      const onClose = () => finish(new Error('the agent closed the connection'));
      const timer = setTimeout(() => finish(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      sock.on('data', onData);
      sock.on('error', onError);
      sock.on('close', onClose);
      sock.write(str(msg));
    });
  }
}
