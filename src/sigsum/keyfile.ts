// Ed25519 key files: OpenSSH private keys ("openssh-key-v1", unencrypted, as
// written by `ssh-keygen -t ed25519` and `sigsum-key generate`), OpenSSH public
// key lines ("ssh-ed25519 AAAA... comment"), and hex public keys. Pure
// functions over strings and bytes; reading files is the caller's business.
import { randomBytes } from 'node:crypto';
import { asPublicKey, type PublicKey } from './types.js';
import { SeedSigner } from './crypto.js';
import { ED25519_KEY_TYPE, ed25519KeyBlob, SshReader, sshString, sshUint32 } from './ssh-wire.js';

const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');

export class KeyFileError extends Error {}

const truncated = () => new KeyFileError('truncated key data');

function parsePublicKeyBlob(blob: Buffer): PublicKey {
  const r = new SshReader(blob, truncated);
  const type = r.string();
  if (type !== ED25519_KEY_TYPE)
    throw new KeyFileError(`unsupported key type ${JSON.stringify(type)}, want ${ED25519_KEY_TYPE}`);
  const pub = r.bytes();
  if (pub.length !== 32 || !r.done()) throw new KeyFileError('malformed ssh-ed25519 public key');
  return asPublicKey(new Uint8Array(pub));
}

/** Parses an OpenSSH public key line, or 64 hex characters (sigsum-key to-hex). */
export function parsePublicKey(text: string): PublicKey {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return asPublicKey(new Uint8Array(Buffer.from(t, 'hex')));
  const fields = t.split(/[ \t]+/);
  if (fields.length < 2 || fields[0] !== ED25519_KEY_TYPE) {
    throw new KeyFileError(`not an ssh-ed25519 public key line nor 64 hex characters`);
  }
  if (!/^[A-Za-z0-9+/]+=*$/.test(fields[1])) throw new KeyFileError('invalid base64 in public key line');
  return parsePublicKeyBlob(Buffer.from(fields[1], 'base64'));
}

export function formatPublicKey(pub: Uint8Array, comment = 'sigsum key'): string {
  return `${ED25519_KEY_TYPE} ${ed25519KeyBlob(pub).toString('base64')}${comment ? ' ' + comment : ''}\n`;
}

/**
 * Parses an unencrypted OpenSSH ed25519 private key and returns a signer.
 * A file holding just 64 hex characters is read as a raw seed (log-go's
 * deprecated key-file form).
 */
export function parsePrivateKey(text: string): SeedSigner {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return new SeedSigner(new Uint8Array(Buffer.from(t, 'hex')));
  const m = /^-----BEGIN OPENSSH PRIVATE KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END OPENSSH PRIVATE KEY-----$/.exec(t);
  if (!m) throw new KeyFileError('not an OpenSSH private key (expected -----BEGIN OPENSSH PRIVATE KEY-----)');
  const raw = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  if (raw.length < MAGIC.length || !raw.subarray(0, MAGIC.length).equals(MAGIC))
    throw new KeyFileError('bad OpenSSH private key magic');
  const r = new SshReader(raw.subarray(MAGIC.length), truncated);
  const cipher = r.string();
  const kdf = r.string();
  r.bytes(); // kdf options
  if (cipher !== 'none' || kdf !== 'none')
    throw new KeyFileError(`encrypted private keys are not supported (cipher ${cipher}); remove the passphrase`);
  const n = r.uint32();
  if (n !== 1) throw new KeyFileError(`expected exactly one key, found ${n}`);
  const pubFromHeader = parsePublicKeyBlob(r.bytes());
  const priv = new SshReader(r.bytes(), truncated);
  if (!r.done()) throw new KeyFileError('trailing data after private key section');
  if (priv.uint32() !== priv.uint32()) throw new KeyFileError('corrupt private key (check integers differ)');
  if (priv.string() !== ED25519_KEY_TYPE) throw new KeyFileError('private key is not ssh-ed25519');
  const pub = priv.bytes();
  const secret = priv.bytes();
  priv.string(); // comment
  const pad = priv.rest();
  for (let i = 0; i < pad.length; i++) if (pad[i] !== i + 1) throw new KeyFileError('corrupt private key padding');
  if (pub.length !== 32 || secret.length !== 64) throw new KeyFileError('malformed ed25519 private key');
  if (!pub.equals(Buffer.from(pubFromHeader)) || !secret.subarray(32).equals(pub))
    throw new KeyFileError('private key does not match its public key');
  const signer = new SeedSigner(new Uint8Array(secret.subarray(0, 32)));
  if (!Buffer.from(signer.publicKey).equals(pub))
    throw new KeyFileError('private key seed does not match its public key');
  return signer;
}

/** Formats a seed as an OpenSSH private key file, like ssh-keygen and sigsum-key. */
export function formatPrivateKey(seed: Uint8Array, comment = ''): string {
  const signer = new SeedSigner(seed);
  const pub = Buffer.from(signer.publicKey);
  const check = randomBytes(4).readUInt32BE(0);
  let section = Buffer.concat([
    sshUint32(check),
    sshUint32(check),
    sshString(ED25519_KEY_TYPE),
    sshString(pub),
    sshString(Buffer.concat([Buffer.from(seed), pub])),
    sshString(comment),
  ]);
  const padLen = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: padLen }, (_, i) => i + 1))]);
  const raw = Buffer.concat([
    MAGIC,
    sshString('none'),
    sshString('none'),
    sshString(''),
    sshUint32(1),
    sshString(ed25519KeyBlob(pub)),
    sshString(section),
  ]);
  const b64 = raw
    .toString('base64')
    .replace(/(.{70})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`;
}
