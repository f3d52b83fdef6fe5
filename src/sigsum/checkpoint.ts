// Signed notes (C2SP signed-note, tlog-checkpoint, tlog-cosignature) as the
// Sigsum log uses them: the log's own signature line (key ID type 0x01) on
// its checkpoint, and witnesses' cosignature lines (key ID type 0x04,
// blob = key ID ‖ u64be timestamp ‖ signature).
import { sha256, verify, type SyncSigner } from './crypto.js';
import { checkpointBody, originForKey, type TreeHead, cosignedMessage } from './treehead.js';
import { asSignature, type PublicKey, type Signature } from './types.js';

export const EM_DASH = '\u2014';
export const KEY_TYPE_ED25519 = 0x01;
export const KEY_TYPE_COSIGNATURE = 0x04;

export function keyId(name: string, type: number, pub: PublicKey): Uint8Array {
  return sha256(Buffer.concat([Buffer.from(name, 'utf8'), Buffer.from([0x0a, type]), pub])).subarray(0, 4);
}

export interface NoteSignature {
  name: string;
  blob: Uint8Array; // key id ‖ signature (or key id ‖ timestamp ‖ signature)
}

export function formatSignatureLine(s: NoteSignature): string {
  return `${EM_DASH} ${s.name} ${Buffer.from(s.blob).toString('base64')}\n`;
}

export class NoteError extends Error {}

/** Parses one "— <name> <base64>" line (without its newline). */
export function parseSignatureLine(l: string): NoteSignature {
  const prefix = EM_DASH + ' ';
  if (!l.startsWith(prefix)) throw new NoteError('signature line must start with an em dash and a space');
  const rest = l.slice(prefix.length);
  const sp = rest.indexOf(' ');
  if (sp <= 0 || rest.indexOf(' ', sp + 1) >= 0) throw new NoteError('invalid signature line');
  const name = rest.slice(0, sp);
  const b64 = rest.slice(sp + 1);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0)
    throw new NoteError('illegal base64 data in signature line');
  return { name, blob: new Uint8Array(Buffer.from(b64, 'base64')) };
}

/** The log's checkpoint as a signed note: body, blank line, one signature line. */
export function signCheckpoint(signer: SyncSigner, th: TreeHead): string {
  const origin = originForKey(signer.publicKey);
  const body = checkpointBody(origin, th);
  const sig = signer.sign(Buffer.from(body, 'utf8'));
  return (
    body +
    '\n' +
    formatSignatureLine({ name: origin, blob: Buffer.concat([keyId(origin, KEY_TYPE_ED25519, signer.publicKey), sig]) })
  );
}

/** The signature line of a stored signed tree head (its signature is over the same checkpoint body). */
export function checkpointSignatureLine(pub: PublicKey, signature: Signature): string {
  const origin = originForKey(pub);
  return formatSignatureLine({ name: origin, blob: Buffer.concat([keyId(origin, KEY_TYPE_ED25519, pub), signature]) });
}

/** Verifies a type 0x01 signature line over a note body for key name `name`. */
export function verifyNoteSignature(body: string, sigLine: string, name: string, pub: PublicKey): boolean {
  const s = parseSignatureLine(sigLine.replace(/\n$/, ''));
  if (s.name !== name || s.blob.length !== 68) return false;
  const id = keyId(name, KEY_TYPE_ED25519, pub);
  if (!Buffer.from(s.blob.subarray(0, 4)).equals(Buffer.from(id))) return false;
  return verify(pub, Buffer.from(body, 'utf8'), asSignature(s.blob.subarray(4)));
}

/** A cosignature note line from a witness key named `name`. */
export function cosignatureLine(
  name: string,
  witness: SyncSigner,
  origin: string,
  th: TreeHead,
  timestamp: bigint,
): string {
  const sig = witness.sign(Buffer.from(cosignedMessage(origin, th, timestamp), 'utf8'));
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(timestamp);
  return formatSignatureLine({
    name,
    blob: Buffer.concat([keyId(name, KEY_TYPE_COSIGNATURE, witness.publicKey), ts, sig]),
  });
}

/** Extracts (timestamp, signature) from a cosignature line blob, or undefined if it is not one for this key. */
export function parseCosignatureBlob(
  s: NoteSignature,
  witness: PublicKey,
): { timestamp: bigint; signature: Signature } | undefined {
  if (s.blob.length !== 4 + 8 + 64) return undefined;
  const id = keyId(s.name, KEY_TYPE_COSIGNATURE, witness);
  if (!Buffer.from(s.blob.subarray(0, 4)).equals(Buffer.from(id))) return undefined;
  const timestamp = Buffer.from(s.blob.subarray(4, 12)).readBigUInt64BE();
  return { timestamp, signature: asSignature(s.blob.subarray(12)) };
}
