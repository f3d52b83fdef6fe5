// get-secondary-state: what a secondary tells a promotion probe (our own
// internal API): the highest primary epoch it knows, its replica's size and
// root, and the largest tree head signed by the log key that it has seen
// (verifiable by the prober with the log key).
import { AsciiParser, line } from './ascii.js';
import { asHash, asSignature } from './types.js';
export function formatSecondaryState(s) {
    let out = line('epoch', s.epoch) + line('replica_size', s.replica.size) + line('replica_root_hash', s.replica.rootHash);
    if (s.seen)
        out +=
            line('seen_size', s.seen.size) +
                line('seen_root_hash', s.seen.rootHash) +
                line('seen_signature', s.seen.signature);
    return out;
}
export function parseSecondaryState(text) {
    const p = new AsciiParser(text);
    const epoch = p.getSafeInt('epoch');
    const replica = { size: p.getSafeInt('replica_size'), rootHash: asHash(p.getHex('replica_root_hash', 32)) };
    let seen;
    if (!p.atEnd())
        seen = {
            size: p.getSafeInt('seen_size'),
            rootHash: asHash(p.getHex('seen_root_hash', 32)),
            signature: asSignature(p.getHex('seen_signature', 64)),
        };
    p.getEOF();
    return { epoch, replica, seen };
}
