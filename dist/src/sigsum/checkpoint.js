// Signed notes (C2SP signed-note, tlog-checkpoint, tlog-cosignature) as the
// Sigsum log uses them: the log's own signature line (key ID type 0x01) on
// its checkpoint, and witnesses' cosignature lines (key ID type 0x04,
// blob = key ID ‖ u64be timestamp ‖ signature).
import { sha256, verify } from './crypto.js';
import { checkpointBody, originForKey, cosignedMessage } from './treehead.js';
import { asSignature } from './types.js';
export const EM_DASH = '\u2014';
export const KEY_TYPE_ED25519 = 0x01;
export const KEY_TYPE_COSIGNATURE = 0x04;
export function keyId(name, type, pub) {
    return sha256(Buffer.concat([Buffer.from(name, 'utf8'), Buffer.from([0x0a, type]), pub])).subarray(0, 4);
}
export function formatSignatureLine(s) {
    return `${EM_DASH} ${s.name} ${Buffer.from(s.blob).toString('base64')}\n`;
}
export class NoteError extends Error {
}
/** Parses one "— <name> <base64>" line (without its newline). */
export function parseSignatureLine(l) {
    const prefix = EM_DASH + ' ';
    if (!l.startsWith(prefix))
        throw new NoteError('signature line must start with an em dash and a space');
    const rest = l.slice(prefix.length);
    const sp = rest.indexOf(' ');
    if (sp <= 0 || rest.indexOf(' ', sp + 1) >= 0)
        throw new NoteError('invalid signature line');
    const name = rest.slice(0, sp);
    const b64 = rest.slice(sp + 1);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0)
        throw new NoteError('illegal base64 data in signature line');
    return { name, blob: new Uint8Array(Buffer.from(b64, 'base64')) };
}
/** The log's checkpoint as a signed note: body, blank line, one signature line. */
export function signCheckpoint(signer, th) {
    const origin = originForKey(signer.publicKey);
    const body = checkpointBody(origin, th);
    const sig = signer.sign(Buffer.from(body, 'utf8'));
    return (body +
        '\n' +
        formatSignatureLine({ name: origin, blob: Buffer.concat([keyId(origin, KEY_TYPE_ED25519, signer.publicKey), sig]) }));
}
/** The signature line of a stored signed tree head (its signature is over the same checkpoint body). */
export function checkpointSignatureLine(pub, signature) {
    const origin = originForKey(pub);
    return formatSignatureLine({ name: origin, blob: Buffer.concat([keyId(origin, KEY_TYPE_ED25519, pub), signature]) });
}
/** Verifies a type 0x01 signature line over a note body for key name `name`. */
export function verifyNoteSignature(body, sigLine, name, pub) {
    const s = parseSignatureLine(sigLine.replace(/\n$/, ''));
    if (s.name !== name || s.blob.length !== 68)
        return false;
    const id = keyId(name, KEY_TYPE_ED25519, pub);
    if (!Buffer.from(s.blob.subarray(0, 4)).equals(Buffer.from(id)))
        return false;
    return verify(pub, Buffer.from(body, 'utf8'), asSignature(s.blob.subarray(4)));
}
/** A cosignature note line from a witness key named `name`. */
export function cosignatureLine(name, witness, origin, th, timestamp) {
    const sig = witness.sign(Buffer.from(cosignedMessage(origin, th, timestamp), 'utf8'));
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(timestamp);
    return formatSignatureLine({
        name,
        blob: Buffer.concat([keyId(name, KEY_TYPE_COSIGNATURE, witness.publicKey), ts, sig]),
    });
}
/** Extracts (timestamp, signature) from a cosignature line blob, or undefined if it is not one for this key. */
export function parseCosignatureBlob(s, witness) {
    if (s.blob.length !== 4 + 8 + 64)
        return undefined;
    const id = keyId(s.name, KEY_TYPE_COSIGNATURE, witness);
    if (!Buffer.from(s.blob.subarray(0, 4)).equals(Buffer.from(id)))
        return undefined;
    const timestamp = Buffer.from(s.blob.subarray(4, 12)).readBigUInt64BE();
    return { timestamp, signature: asSignature(s.blob.subarray(12)) };
}
