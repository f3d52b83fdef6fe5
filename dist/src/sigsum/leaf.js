// Leaves (log.md §2.2.4): checksum ‖ signature ‖ key hash, 128 bytes, and the
// add-leaf request that produces one. The leaf signature covers
// "sigsum.org/v1/tree-leaf\0" ‖ checksum, where checksum = SHA-256(message).
import { AsciiParser, line, ParseError } from './ascii.js';
import { sha256, verify, verifyAsync } from './crypto.js';
import { leafHash } from './merkle.js';
import { asHash, asPublicKey, asSignature } from './types.js';
export const LEAF_SIZE = 128;
const LEAF_NAMESPACE = Buffer.from('sigsum.org/v1/tree-leaf\0', 'latin1');
export function leafSignedData(checksum) {
    return Buffer.concat([LEAF_NAMESPACE, checksum]);
}
export function leafToBytes(leaf) {
    return Buffer.concat([leaf.checksum, leaf.signature, leaf.keyHash]);
}
export function leafFromBytes(b) {
    if (b.length !== LEAF_SIZE)
        throw new Error(`leaf must be ${LEAF_SIZE} bytes, got ${b.length}`);
    return {
        checksum: asHash(b.subarray(0, 32)),
        signature: asSignature(b.subarray(32, 96)),
        keyHash: asHash(b.subarray(96, 128)),
    };
}
/** The get-leaves line: leaf=<checksum> <signature> <key_hash>\n */
export function leafLine(leafBytes) {
    const hex = Buffer.from(leafBytes.buffer, leafBytes.byteOffset, leafBytes.byteLength).toString('hex');
    return `leaf=${hex.slice(0, 64)} ${hex.slice(64, 192)} ${hex.slice(192, 256)}\n`;
}
export function parseLeaves(text) {
    const p = new AsciiParser(text);
    const out = [];
    while (!p.atEnd()) {
        const [c, s, k] = p.getFields('leaf', 3);
        out.push(leafToBytes({
            checksum: asHash(hexField(c, 32)),
            signature: asSignature(hexField(s, 64)),
            keyHash: asHash(hexField(k, 32)),
        }));
    }
    if (out.length === 0)
        throw new ParseError('no leaves');
    return out;
}
function hexField(s, n) {
    // Buffer.from stops at the first character that is not hex, so a short result means bad input.
    const b = s.length === 2 * n ? Buffer.from(s, 'hex') : undefined;
    if (!b || b.length !== n)
        throw new ParseError(`bad hex field of ${n} bytes`);
    return b;
}
export function parseAddLeafRequest(body) {
    const p = typeof body === 'string' ? new AsciiParser(body) : AsciiParser.fromBytes(body);
    const message = asHash(p.getHex('message', 32));
    const signature = asSignature(p.getHex('signature', 64));
    const publicKey = asPublicKey(p.getHex('public_key', 32));
    p.getEOF();
    return { message, signature, publicKey };
}
export function formatAddLeafRequest(r) {
    return line('message', r.message) + line('signature', r.signature) + line('public_key', r.publicKey);
}
/** The leaf an add-leaf request would create, with its leaf hash; no signature check. */
export function leafOfRequest(r) {
    const checksum = sha256(r.message);
    const leaf = Buffer.concat([checksum, r.signature, sha256(r.publicKey)]);
    return { leaf, leafHash: leafHash(leaf), checksum };
}
export function verifyLeafSignature(publicKey, checksum, signature) {
    return verify(publicKey, leafSignedData(checksum), signature);
}
export function verifyLeafSignatureAsync(publicKey, checksum, signature) {
    return verifyAsync(publicKey, leafSignedData(checksum), signature);
}
/** Signs a message the way sigsum-submit does (message = 32 bytes, usually SHA-256 of the data). */
export function signLeaf(signer, message) {
    return signer.sign(leafSignedData(sha256(message)));
}
