// A slow, independent Ed25519 verifier that follows Go's crypto/ed25519
// step by step, built on @noble/ed25519's point arithmetic:
//   - S must be canonical (< L);
//   - A is decoded accepting non-canonical y (as filippo.io/edwards25519's
//     SetBytes does), rejecting only encodings that are not on the curve;
//   - k = SHA-512(R || A || M) mod L over the bytes as given;
//   - R' = [S]B - [k]A, cofactorless, and its canonical encoding must equal R.
// Used at run time only for the rare public keys whose encoding OpenSSL might
// decode differently (see crypto.ts), and in tests as a cross-check of the
// OpenSSL fast path.
import * as ed from '@noble/ed25519';
import { createHash } from 'node:crypto';
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
function leToBigint(b) {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--)
        v = (v << 8n) | BigInt(b[i]);
    return v;
}
export function verifyGoSemantics(pub, msg, sig) {
    if (pub.length !== 32 || sig.length !== 64)
        return false;
    if ((sig[63] & 224) !== 0)
        return false;
    const s = leToBigint(sig.subarray(32));
    if (s >= L)
        return false;
    let A;
    try {
        A = ed.Point.fromBytes(pub, true);
    }
    catch {
        return false;
    }
    const h = createHash('sha512').update(sig.subarray(0, 32)).update(pub).update(msg).digest();
    const k = leToBigint(h) % L;
    const sB = s === 0n ? ed.Point.ZERO : ed.Point.BASE.multiply(s, false);
    const kA = k === 0n ? ed.Point.ZERO : A.multiply(k, false);
    const R = sB.subtract(kA).toBytes();
    for (let i = 0; i < 32; i++)
        if (R[i] !== sig[i])
            return false;
    return true;
}
