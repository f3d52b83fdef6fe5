// Tree heads (log.md §2.2.2–2.2.3): the signed message is a checkpoint body
// with origin "sigsum.org/v1/tree/<hex key hash>"; the ASCII forms are the
// signed tree head (sth file, get-secondary-tree-head) and the cosigned tree
// head (get-tree-head) with zero or more cosignature lines.
import { AsciiParser, line, ParseError, MAX_INT63 } from './ascii.js';
import { sha256, verify } from './crypto.js';
import { asHash, asSignature, bytesEqual, toHex } from './types.js';
export function originForKey(pub) {
    return 'sigsum.org/v1/tree/' + toHex(sha256(pub));
}
export function checkpointBody(origin, th) {
    return `${origin}\n${th.size}\n${Buffer.from(th.rootHash).toString('base64')}\n`;
}
function treeHeadMessage(pub, th) {
    return Buffer.from(checkpointBody(originForKey(pub), th), 'latin1');
}
/** Signs a tree head with the log's (or a secondary's) key, wherever that key is. */
export async function signTreeHead(signer, th) {
    const signature = await signer.sign(treeHeadMessage(signer.publicKey, th));
    if (!verify(signer.publicKey, treeHeadMessage(signer.publicKey, th), signature))
        throw new Error('the signer returned a tree head signature that does not verify');
    return { size: th.size, rootHash: th.rootHash, signature };
}
/** signTreeHead with a key in memory (tests, tools). */
export function signTreeHeadSync(signer, th) {
    return { size: th.size, rootHash: th.rootHash, signature: signer.sign(treeHeadMessage(signer.publicKey, th)) };
}
export function verifyTreeHead(pub, sth) {
    return verify(pub, treeHeadMessage(pub, sth), sth.signature);
}
/** An unsigned tree head (the primary's internal get-tree-head-unsigned). */
export function formatTreeHead(th) {
    return line('size', th.size) + line('root_hash', th.rootHash);
}
export function parseTreeHead(text) {
    const p = new AsciiParser(text);
    const size = p.getSafeInt('size');
    const rootHash = asHash(p.getHex('root_hash', 32));
    p.getEOF();
    return { size, rootHash };
}
export function formatSignedTreeHead(sth) {
    return line('size', sth.size) + line('root_hash', sth.rootHash) + line('signature', sth.signature);
}
export function formatCosignature(c) {
    return line('cosignature', c.keyHash, c.timestamp, c.signature);
}
export function formatCosignedTreeHead(cth) {
    return formatSignedTreeHead(cth) + cth.cosignatures.map(formatCosignature).join('');
}
function parseSignedPart(p) {
    const size = p.getSafeInt('size');
    const rootHash = asHash(p.getHex('root_hash', 32));
    const signature = asSignature(p.getHex('signature', 64));
    return { size, rootHash, signature };
}
export function parseSignedTreeHead(text) {
    const p = new AsciiParser(text);
    const sth = parseSignedPart(p);
    p.getEOF();
    return sth;
}
/** get-tree-head: rejects duplicate cosignature key hashes, as sigsum-go does. */
export function parseCosignedTreeHead(text) {
    const p = new AsciiParser(text);
    const sth = parseSignedPart(p);
    const cosignatures = [];
    const seen = new Set();
    while (!p.atEnd()) {
        const [kh, ts, sig] = p.getFields('cosignature', 3);
        const c = { keyHash: asHash(hexExact(kh, 32)), timestamp: decimal(ts), signature: asSignature(hexExact(sig, 64)) };
        const id = toHex(c.keyHash);
        if (seen.has(id))
            throw new ParseError(`duplicate cosignature for key hash ${id}`);
        seen.add(id);
        cosignatures.push(c);
    }
    return { ...sth, cosignatures };
}
function hexExact(s, n) {
    if (s.length !== 2 * n || !/^[0-9a-fA-F]*$/.test(s))
        throw new ParseError(`expected ${n} bytes of hex`);
    return new Uint8Array(Buffer.from(s, 'hex'));
}
function decimal(s) {
    if (!/^(0|[1-9][0-9]*)$/.test(s))
        throw new ParseError(`invalid decimal number ${JSON.stringify(s)}`);
    const v = BigInt(s);
    if (v > MAX_INT63)
        throw new ParseError('value out of range');
    return v;
}
/** The cosignature/v1 message a witness signs (C2SP tlog-cosignature). */
export function cosignedMessage(origin, th, timestamp) {
    return `cosignature/v1\ntime ${timestamp}\n${checkpointBody(origin, th)}`;
}
export function verifyCosignature(witness, logKey, th, c) {
    if (!bytesEqual(sha256(witness), c.keyHash))
        return false;
    return verify(witness, Buffer.from(cosignedMessage(originForKey(logKey), th, c.timestamp), 'latin1'), c.signature);
}
export function treeHeadsEqual(a, b) {
    return a.size === b.size && bytesEqual(a.rootHash, b.rootHash);
}
