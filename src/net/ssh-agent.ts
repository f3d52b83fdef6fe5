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
import { ED25519_KEY_TYPE, ed25519KeyBlob, SshReader, sshString, sshUint32 } from '../sigsum/ssh-wire.js';

const FAILURE = 5;
const REQUEST_IDENTITIES = 11;
const IDENTITIES_ANSWER = 12;
const SIGN_REQUEST = 13;
const SIGN_RESPONSE = 14;
const MAX_ANSWER = 256 * 1024;

export class AgentError extends Error {}

const truncated = () => new AgentError('truncated agent answer');

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
      Buffer.concat([
        Buffer.from([SIGN_REQUEST]),
        sshString(ed25519KeyBlob(this.publicKey)),
        sshString(msg),
        sshUint32(0),
      ]),
    );
    if (body[0] === FAILURE)
      throw new AgentError(`the ssh-agent at ${this.socketPath} refused to sign (does it hold the key?)`);
    if (body[0] !== SIGN_RESPONSE) throw new AgentError(`unexpected ssh-agent answer of type ${body[0]}`);
    const blob = new SshReader(new SshReader(body.subarray(1), truncated).bytes(), truncated);
    const type = blob.string();
    const sig = blob.bytes();
    if (type !== ED25519_KEY_TYPE || sig.length !== 64)
      throw new AgentError(`the ssh-agent answered a ${type} signature of ${sig.length} bytes, not Ed25519`);
    return asSignature(new Uint8Array(sig));
  }

  /** Whether the agent holds this signer's key (a startup check). */
  async holdsKey(): Promise<boolean> {
    const body = await this.request(Buffer.from([REQUEST_IDENTITIES]));
    if (body[0] !== IDENTITIES_ANSWER) throw new AgentError(`unexpected ssh-agent answer of type ${body[0]}`);
    const r = new SshReader(body.subarray(1), truncated);
    const want = ed25519KeyBlob(this.publicKey);
    for (let n = r.uint32(), i = 0; i < n; i++) {
      const blob = r.bytes();
      r.bytes(); // comment
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
      sock.write(sshString(msg));
    });
  }
}
