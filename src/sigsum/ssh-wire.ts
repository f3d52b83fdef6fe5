// The SSH wire encoding (RFC 4251 §5) shared by OpenSSH key files
// (keyfile.ts) and the ssh-agent protocol (src/net/ssh-agent.ts): uint32
// big-endian, length-prefixed strings, and the Ed25519 public key blob.
// Every read is bounds-checked and reports truncation through the caller's
// error type.

export const ED25519_KEY_TYPE = 'ssh-ed25519';

export function sshUint32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

/** A length-prefixed string; text is encoded as latin1 (SSH names are ASCII). */
export function sshString(v: Uint8Array | string): Buffer {
  const b = typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.from(v);
  return Buffer.concat([sshUint32(b.length), b]);
}

/** The SSH wire blob of an Ed25519 public key: string "ssh-ed25519", string key. */
export function ed25519KeyBlob(pub: Uint8Array): Buffer {
  return Buffer.concat([sshString(ED25519_KEY_TYPE), sshString(pub)]);
}

/** Reads SSH wire values from a buffer; `truncated()` makes the error thrown when data runs out. */
export class SshReader {
  private pos = 0;

  constructor(
    private readonly b: Buffer,
    private readonly truncated: () => Error,
  ) {}

  uint32(): number {
    if (this.pos + 4 > this.b.length) throw this.truncated();
    const v = this.b.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  bytes(): Buffer {
    const n = this.uint32();
    if (this.pos + n > this.b.length) throw this.truncated();
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  string(): string {
    return this.bytes().toString('latin1');
  }

  rest(): Buffer {
    return this.b.subarray(this.pos);
  }

  done(): boolean {
    return this.pos === this.b.length;
  }
}
