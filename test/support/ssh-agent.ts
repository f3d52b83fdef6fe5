// A minimal SSH agent (the agent protocol of draft-miller-ssh-agent) holding
// Ed25519 keys, for litewitness in the tests: it answers "request
// identities" and "sign request", nothing else. Keeps the suite independent
// of an OpenSSH installation.
import { createServer, type Server } from 'node:net';
import { createHash } from 'node:crypto';
import type { SyncSigner } from '../../src/sigsum/crypto.js';

const REQUEST_IDENTITIES = 11;
const IDENTITIES_ANSWER = 12;
const SIGN_REQUEST = 13;
const SIGN_RESPONSE = 14;
const FAILURE = 5;

function str(b: Uint8Array | string): Buffer {
  const data = typeof b === 'string' ? Buffer.from(b) : Buffer.from(b);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

function frame(type: number, payload: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(payload.length + 1);
  return Buffer.concat([len, Buffer.from([type]), payload]);
}

/** The SSH public key blob of an Ed25519 key. */
export function keyBlob(pub: Uint8Array): Buffer {
  return Buffer.concat([str('ssh-ed25519'), str(pub)]);
}

/** "SHA256:<base64>" as ssh-keygen -l prints it (litewitness's -key flag). */
export function fingerprint(pub: Uint8Array): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob(pub)).digest('base64').replace(/=+$/, '');
}

export class TestSshAgent {
  private server: Server | undefined;

  constructor(private readonly keys: SyncSigner[]) {}

  listen(path: string): Promise<void> {
    this.server = createServer(sock => {
      let buf = Buffer.alloc(0);
      sock.on('data', d => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
          const n = buf.readUInt32BE(0);
          const msg = buf.subarray(4, 4 + n);
          buf = buf.subarray(4 + n);
          sock.write(this.answer(msg));
        }
      });
      sock.on('error', () => sock.destroy());
    });
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(path, () => resolve());
    });
  }

  private answer(msg: Buffer): Buffer {
    if (msg[0] === REQUEST_IDENTITIES) {
      const count = Buffer.alloc(4);
      count.writeUInt32BE(this.keys.length);
      return frame(
        IDENTITIES_ANSWER,
        Buffer.concat([count, ...this.keys.flatMap(k => [str(keyBlob(k.publicKey)), str('test key')])]),
      );
    }
    if (msg[0] === SIGN_REQUEST) {
      const blobLen = msg.readUInt32BE(1);
      const blob = msg.subarray(5, 5 + blobLen);
      const dataLen = msg.readUInt32BE(5 + blobLen);
      const data = msg.subarray(9 + blobLen, 9 + blobLen + dataLen);
      const key = this.keys.find(k => keyBlob(k.publicKey).equals(blob));
      if (!key) return frame(FAILURE, Buffer.alloc(0));
      return frame(SIGN_RESPONSE, str(Buffer.concat([str('ssh-ed25519'), str(key.sign(data))])));
    }
    return frame(FAILURE, Buffer.alloc(0));
  }

  close(): Promise<void> {
    return new Promise(r => (this.server ? this.server.close(() => r()) : r()));
  }
}
