// SHA-256 and Ed25519 for the whole project.
//
// Verification must give exactly the verdicts of Go's crypto/ed25519, which
// every sigsum-go client uses: reject S >= L, decode A accepting non-canonical
// y encodings, compute R' = [S]B - [k]A cofactorless and compare its canonical
// encoding with the R bytes of the signature. OpenSSL (node:crypto) follows the
// same equation but may decode the handful of special public-key encodings
// (y >= p, or x = 0 with the sign bit set) differently, so keys of that shape
// go through a slow reference implementation of Go's algorithm instead
// (ed25519-ref.ts); every other key goes through OpenSSL with a cached KeyObject.
// In front of both, libsodium (when it loads) as an accept-only fast path:
// about twice as fast as OpenSSL 3.0 here, and never more permissive than Go.
import * as nodeCrypto from 'node:crypto';
import { asHash, asPublicKey, asSignature, type Hash, type PublicKey, type Signature } from './types.js';
import { verifyGoSemantics } from './ed25519-ref.js';
import { sodium } from './sodium.js';

export function sha256(...parts: Uint8Array[]): Hash {
  if (parts.length === 1) return asHash(nodeCrypto.hash('sha256', parts[0], 'buffer'));
  const h = nodeCrypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return asHash(h.digest());
}

const P = (1n << 255n) - 19n;
// Group order L, little-endian bytes, for the canonical-S check.
const L_BYTES = Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex');

/** True iff the little-endian scalar s (32 bytes) is < L. */
export function isCanonicalScalar(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i] < L_BYTES[i]) return true;
    if (s[i] > L_BYTES[i]) return false;
  }
  return false; // equal to L
}

function leToBigint(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

/** Keys whose decoding OpenSSL and Go might disagree on: y >= p, or x = 0 with the sign bit set. */
export function isSpecialPublicKeyEncoding(pub: Uint8Array): boolean {
  const sign = pub[31] >> 7;
  const yb = Uint8Array.from(pub);
  yb[31] &= 0x7f;
  const y = leToBigint(yb);
  if (y >= P) return true;
  return sign === 1 && (y === 1n || y === P - 1n);
}

interface CachedKey {
  key: nodeCrypto.KeyObject | undefined; // undefined: use the reference path
}

const KEY_CACHE_MAX = 16384;
const keyCache = new Map<string, CachedKey>();

function cachedKey(pub: PublicKey): CachedKey {
  const id = Buffer.from(pub.buffer, pub.byteOffset, pub.byteLength).toString('latin1');
  let entry = keyCache.get(id);
  if (entry) {
    // Refresh LRU position.
    keyCache.delete(id);
    keyCache.set(id, entry);
    return entry;
  }
  let key: nodeCrypto.KeyObject | undefined;
  if (!isSpecialPublicKeyEncoding(pub)) {
    try {
      key = nodeCrypto.createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pub).toString('base64url') },
        format: 'jwk',
      });
    } catch {
      key = undefined;
    }
  }
  entry = { key };
  const oldest = keyCache.keys().next();
  if (keyCache.size >= KEY_CACHE_MAX && !oldest.done) keyCache.delete(oldest.value);
  keyCache.set(id, entry);
  return entry;
}

function precheck(pub: Uint8Array, sig: Uint8Array): boolean {
  return pub.length === 32 && sig.length === 64 && isCanonicalScalar(sig.subarray(32));
}

/**
 * libsodium's verdict, used only when it accepts: libsodium runs the same
 * cofactorless equation as Go and only adds rejections (non-canonical or
 * small-order A, small-order R, S >= L), so "libsodium accepts" implies "Go
 * accepts". Everything it rejects goes to the path above for Go's verdict.
 * False when libsodium is not loaded.
 */
export function sodiumAccepts(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (!sodium) return false;
  try {
    return sodium.crypto_sign_verify_detached(sig, msg, pub);
  } catch {
    return false;
  }
}

/** Ed25519 verification with Go crypto/ed25519 verdicts (synchronous). */
export function verify(pub: PublicKey, msg: Uint8Array, sig: Signature): boolean {
  if (!precheck(pub, sig)) return false;
  if (sodiumAccepts(pub, msg, sig)) return true;
  const { key } = cachedKey(pub);
  if (!key) return verifyGoSemantics(pub, msg, sig);
  try {
    return nodeCrypto.verify(null, msg, key, sig);
  } catch {
    return false;
  }
}

/** As verify, but the OpenSSL work runs on libuv's thread pool, off the event loop. */
export function verifyAsync(pub: PublicKey, msg: Uint8Array, sig: Signature): Promise<boolean> {
  if (!precheck(pub, sig)) return Promise.resolve(false);
  const { key } = cachedKey(pub);
  if (!key) return Promise.resolve(verifyGoSemantics(pub, msg, sig));
  return new Promise(resolve => {
    try {
      nodeCrypto.verify(null, msg, key, sig, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}

/**
 * Something that signs with the log's (or a secondary's) key: a key in
 * memory, or an ssh-agent holding it (src/net/ssh-agent.ts). Callers await
 * the result; an agent may fail or be slow.
 */
export interface Signer {
  readonly publicKey: PublicKey;
  sign(msg: Uint8Array): Signature | Promise<Signature>;
}

/** A signer whose key is in this process (tests, test witnesses, key files). */
export interface SyncSigner extends Signer {
  sign(msg: Uint8Array): Signature;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A signer over a 32-byte Ed25519 seed, held as an OpenSSL KeyObject. */
export class SeedSigner implements SyncSigner {
  readonly publicKey: PublicKey;
  private readonly key: nodeCrypto.KeyObject;
  constructor(seed: Uint8Array) {
    if (seed.length !== 32) throw new Error('Ed25519 seed must be 32 bytes');
    this.key = nodeCrypto.createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
    const jwk = nodeCrypto.createPublicKey(this.key).export({ format: 'jwk' });
    this.publicKey = asPublicKey(new Uint8Array(Buffer.from(String(jwk.x), 'base64url')));
  }
  sign(msg: Uint8Array): Signature {
    return asSignature(new Uint8Array(nodeCrypto.sign(null, msg, this.key)));
  }
}

export function randomSeed(): Uint8Array {
  return new Uint8Array(nodeCrypto.randomBytes(32));
}
