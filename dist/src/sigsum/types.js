// Distinct byte-string types of the Sigsum vocabulary (log.md §2.1), so that a
// checksum cannot be passed where a signature or a public key is expected.
// The brands exist only at compile time; at run time every value is a
// Uint8Array of the stated length, checked by the constructors below.
export const HASH_SIZE = 32;
export const SIGNATURE_SIZE = 64;
export const PUBLIC_KEY_SIZE = 32;
// The only places that give bytes a brand: a length check, as a type predicate.
const isHash = (b) => b.length === HASH_SIZE;
const isSignature = (b) => b.length === SIGNATURE_SIZE;
const isPublicKey = (b) => b.length === PUBLIC_KEY_SIZE;
function wrongLength(b, n, what) {
    throw new Error(`${what}: expected ${n} bytes, got ${b.length}`);
}
export const asHash = (b) => (isHash(b) ? b : wrongLength(b, HASH_SIZE, 'hash'));
export const asSignature = (b) => isSignature(b) ? b : wrongLength(b, SIGNATURE_SIZE, 'signature');
export const asPublicKey = (b) => isPublicKey(b) ? b : wrongLength(b, PUBLIC_KEY_SIZE, 'public key');
/** Constant-size byte comparison (not constant time; nothing here is secret). */
export function bytesEqual(a, b) {
    if (a.length !== b.length)
        return false;
    for (let i = 0; i < a.length; i++)
        if (a[i] !== b[i])
            return false;
    return true;
}
export function toHex(b) {
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
