// Sigsum proofs (sigsum-go doc/sigsum-proof.md), versions 1 and 2: parsing
// and complete verification (leaf signature, log signature, witness
// cosignatures against a k-of-n quorum, inclusion). Used by our own tests and
// tools to check what the log serves exactly as a verifier would.
import { AsciiParser, ParseError } from './ascii.js';
import { sha256 } from './crypto.js';
import { leafHash, verifyInclusion } from './merkle.js';
import { leafToBytes, verifyLeafSignature } from './leaf.js';
import { parseCosignedTreeHead, verifyCosignature, verifyTreeHead } from './treehead.js';
import { asHash, asSignature, bytesEqual, toHex } from './types.js';
export function parseProof(text) {
    const sections = text.split('\n\n');
    if (sections.length < 2 || sections.length > 3)
        throw new ParseError('a proof has two or three sections separated by empty lines');
    const head = new AsciiParser(sections[0] + '\n');
    const v = head.getValue('version');
    if (v !== '1' && v !== '2')
        throw new ParseError(`unsupported proof version ${JSON.stringify(v)}`);
    const version = v === '1' ? 1 : 2;
    const logKeyHash = asHash(head.getHex('log', 32));
    const leafFields = head.getFields('leaf', version === 1 ? 3 : 2);
    head.getEOF();
    let shortChecksum;
    if (version === 1)
        shortChecksum = hex(leafFields.shift(), 2);
    const leafKeyHash = asHash(hex(leafFields[0], 32));
    const leafSignature = asSignature(hex(leafFields[1], 64));
    const treeHead = parseCosignedTreeHead(sections[1].endsWith('\n') ? sections[1] : sections[1] + '\n');
    let leafIndex = 0;
    const path = [];
    if (sections.length === 3) {
        const p = new AsciiParser(sections[2]);
        leafIndex = p.getSafeInt('leaf_index');
        while (!p.atEnd())
            path.push(asHash(p.getHex('node_hash', 32)));
    }
    else if (treeHead.size > 1) {
        throw new ParseError('missing inclusion proof');
    }
    return { version, logKeyHash, leafKeyHash, leafSignature, shortChecksum, treeHead, leafIndex, path };
}
function hex(s, n) {
    if (s.length !== 2 * n || !/^[0-9a-fA-F]*$/.test(s))
        throw new ParseError(`expected ${n} bytes of hex`);
    return new Uint8Array(Buffer.from(s, 'hex'));
}
/** Verifies a proof for `message` (32 bytes, what the submitter signed). Throws with the reason on failure. */
export function verifyProof(proof, submitter, message, policy) {
    if (!bytesEqual(proof.logKeyHash, sha256(policy.logKey)))
        throw new Error('proof is for another log');
    if (!bytesEqual(proof.leafKeyHash, sha256(submitter)))
        throw new Error('leaf is signed by another key');
    const checksum = sha256(message);
    if (proof.shortChecksum && !bytesEqual(proof.shortChecksum, checksum.subarray(0, 2)))
        throw new Error('short checksum mismatch');
    if (!verifyLeafSignature(submitter, checksum, proof.leafSignature))
        throw new Error('invalid leaf signature');
    const th = proof.treeHead;
    if (th.size === 0)
        throw new Error('tree head of size 0 cannot include a leaf');
    if (!verifyTreeHead(policy.logKey, th))
        throw new Error('invalid log signature on the tree head');
    let cosigned = 0;
    for (const w of policy.witnesses) {
        const c = th.cosignatures.find(c => bytesEqual(c.keyHash, sha256(w)));
        if (c && verifyCosignature(w, policy.logKey, th, c))
            cosigned++;
    }
    if (cosigned < policy.quorum)
        throw new Error(`only ${cosigned} of the required ${policy.quorum} witness cosignatures verify`);
    const lh = leafHash(leafToBytes({ checksum, signature: proof.leafSignature, keyHash: proof.leafKeyHash }));
    if (th.size === 1) {
        if (!bytesEqual(lh, th.rootHash))
            throw new Error('leaf hash is not the root of the size-1 tree');
        return;
    }
    if (!verifyInclusion(lh, proof.leafIndex, th.size, proof.path, th.rootHash)) {
        throw new Error(`invalid inclusion proof (leaf ${toHex(lh)} at index ${proof.leafIndex}, size ${th.size})`);
    }
}
