// Distinct byte-string types of the Sigsum vocabulary (log.md §2.1), so that a
// checksum cannot be passed where a signature or a public key is expected.
// The brands exist only at compile time; at run time every value is a
// Uint8Array of the stated length, checked by the constructors below.

export type Hash = Uint8Array & { readonly __brand: 'Hash' };
export type Signature = Uint8Array & { readonly __brand: 'Signature' };
export type PublicKey = Uint8Array & { readonly __brand: 'PublicKey' };

export const HASH_SIZE = 32;
export const SIGNATURE_SIZE = 64;
export const PUBLIC_KEY_SIZE = 32;

// The only places that give bytes a brand: a length check, as a type predicate.
const isHash = (b: Uint8Array): b is Hash => b.length === HASH_SIZE;
const isSignature = (b: Uint8Array): b is Signature => b.length === SIGNATURE_SIZE;
const isPublicKey = (b: Uint8Array): b is PublicKey => b.length === PUBLIC_KEY_SIZE;

function wrongLength(b: Uint8Array, n: number, what: string): never {
  throw new Error(`${what}: expected ${n} bytes, got ${b.length}`);
}

export const asHash = (b: Uint8Array): Hash => (isHash(b) ? b : wrongLength(b, HASH_SIZE, 'hash'));
export const asSignature = (b: Uint8Array): Signature =>
  isSignature(b) ? b : wrongLength(b, SIGNATURE_SIZE, 'signature');
export const asPublicKey = (b: Uint8Array): PublicKey =>
  isPublicKey(b) ? b : wrongLength(b, PUBLIC_KEY_SIZE, 'public key');

/** Constant-size byte comparison (not constant time; nothing here is secret). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
