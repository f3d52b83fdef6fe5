// Epoch announcements (fencing): a promoted primary tells every secondary its
// epoch, signed with the log key, so that a secondary never again follows or
// signs for a primary of a lower epoch (an old primary that comes back).
//
// The signed message starts with its own namespace line, so it can never be
// taken for a checkpoint body (whose first line is the log's origin) or a
// cosignature/v1 message.
import { AsciiParser, line } from './ascii.js';
import { verify } from './crypto.js';
import { originForKey } from './treehead.js';
import { asSignature } from './types.js';
const NAMESPACE = 'sigsum-log.org/v1/epoch-announcement';
export function epochMessage(logKey, epoch) {
    return Buffer.from(`${NAMESPACE}\n${originForKey(logKey)}\n${epoch}\n`, 'latin1');
}
export async function signEpoch(signer, epoch) {
    return { epoch, signature: await signer.sign(epochMessage(signer.publicKey, epoch)) };
}
export function verifyEpoch(logKey, a) {
    return verify(logKey, epochMessage(logKey, a.epoch), a.signature);
}
export function formatEpochAnnouncement(a) {
    return line('epoch', a.epoch) + line('signature', a.signature);
}
export function parseEpochAnnouncement(text) {
    const p = new AsciiParser(text);
    const epoch = p.getSafeInt('epoch');
    const signature = asSignature(p.getHex('signature', 64));
    p.getEOF();
    return { epoch, signature };
}
