// Before a promotion signs anything, it asks everyone who may know a larger
// tree than this replica holds (promote.ts decides what the answers mean):
//
//   - every other secondary (get-secondary-state): its replica's size and
//     root, the largest tree head signed by the log key it has seen (checked
//     with the log key here), and the highest primary epoch it knows; of a
//     log-go secondary, its signed replica head (get-secondary-tree-head);
//   - every witness of the policy that has a URL: the size of the latest tree
//     it cosigned for this log, learned with an add-checkpoint request that
//     cannot change its state (below);
//   - the old primary's URLs, if given: any HTTP answer means it still runs.
//
// The witness probe sends a checkpoint the log has already signed (the
// largest signed head this node has seen, or else the replica head signed
// for the probe) with "old <its size>" and a consistency proof of one
// garbage hash. A witness whose latest size differs answers 409 with that
// size (C2SP tlog-witness); one at exactly that size must reject the proof
// (422: for old = new the only valid proof is empty) or, at worst, cosign
// the very tree head it already holds. Neither moves its state.
//
// Every request has one deadline; all run in parallel; nothing here throws
// for a peer's failure (it becomes "did not answer: why").
import { sha256 } from '../sigsum/crypto.js';
import { parseSecondaryState } from '../sigsum/secondary-state.js';
import { parseSignedTreeHead, verifyTreeHead } from '../sigsum/treehead.js';
import { checkpointNote, formatAddCheckpoint, parseTlogSize, TLOG_SIZE_CONTENT_TYPE, } from '../sigsum/witness-protocol.js';
import { ENDPOINT } from '../sigsum/wire.js';
import { firstLine, joinUrl, peerRequest } from '../net/http-client.js';
import { errorMessage } from '../util/errors.js';
const GARBAGE_PROOF = [sha256(Buffer.from('sigsum-log promotion probe: not a consistency proof'))];
export async function survey(o) {
    const [secondaries, witnesses, oldPrimaries] = await Promise.all([
        Promise.all(o.secondaries.map(async (s) => ({ url: s.url, answer: await askSecondary(s, o) }))),
        Promise.all((o.policy?.witnesses ?? [])
            .filter(w => w.url !== undefined)
            .map(async (w) => ({
            name: w.name,
            keyHash: w.keyHash,
            url: w.url,
            answer: await probeWitness(w.name, w.keyHash, w.url, o),
        }))),
        Promise.all(o.oldPrimaryUrls.map(url => pingOldPrimary(url, o.timeoutMs))),
    ]);
    return { secondaries, witnesses, oldPrimaries };
}
async function askSecondary(s, o) {
    const url = s.url;
    let r;
    try {
        r = await peerRequest(joinUrl(url, ENDPOINT.getSecondaryState), { timeoutMs: o.timeoutMs, maxBytes: 4096 });
        if (r.status === 404)
            return await askLegacySecondary(s, o);
    }
    catch (e) {
        return { ok: false, why: errorMessage(e) };
    }
    if (r.status !== 200)
        return { ok: false, why: `HTTP ${r.status} ${JSON.stringify(firstLine(r.text))}` };
    try {
        const st = parseSecondaryState(r.text);
        if (st.seen && !verifyTreeHead(o.logKey, st.seen))
            return { ok: false, why: 'its last seen tree head does not verify with the log key' };
        return { ok: true, value: { url, epoch: st.epoch, replicaSize: st.replica.size, seenSize: st.seen?.size } };
    }
    catch (e) {
        return { ok: false, why: `malformed get-secondary-state answer: ${errorMessage(e)}` };
    }
}
/**
 * A log-go secondary has no get-secondary-state: its signed replica head
 * (get-secondary-tree-head, checked with its configured key) gives the size
 * of its replica; it knows no epochs and keeps no last-seen head.
 */
async function askLegacySecondary(s, o) {
    const r = await peerRequest(joinUrl(s.url, ENDPOINT.getSecondaryTreeHead), {
        timeoutMs: o.timeoutMs,
        maxBytes: 4096,
    });
    if (r.status !== 200)
        return { ok: false, why: `no get-secondary-state, and get-secondary-tree-head: HTTP ${r.status}` };
    try {
        const sth = parseSignedTreeHead(r.text);
        if (!verifyTreeHead(s.publicKey, sth))
            return { ok: false, why: 'its replica head does not verify with the configured secondary key' };
        return { ok: true, value: { url: s.url, epoch: 0, replicaSize: sth.size } };
    }
    catch (e) {
        return { ok: false, why: `malformed get-secondary-tree-head answer: ${errorMessage(e)}` };
    }
}
async function probeWitness(name, keyHash, url, o) {
    const head = o.probeHead;
    const body = formatAddCheckpoint(head.size, GARBAGE_PROOF, checkpointNote(o.logKey, head));
    let r;
    try {
        r = await peerRequest(joinUrl(url, 'add-checkpoint'), {
            method: 'POST',
            body,
            timeoutMs: o.timeoutMs,
            maxBytes: 1 << 16,
            headers: { 'content-type': 'text/plain; charset=utf-8' },
        });
    }
    catch (e) {
        return { ok: false, why: errorMessage(e) };
    }
    const at = (size) => ({ ok: true, value: { name, keyHash, url, size } });
    if (r.status === 409) {
        const media = (r.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
        const size = parseTlogSize(r.text);
        if (media === TLOG_SIZE_CONTENT_TYPE && size !== undefined)
            return at(size);
        return { ok: false, why: 'HTTP 409 without a text/x.tlog.size body' };
    }
    // Its size is the probe's old size: the garbage proof was refused, or the same head cosigned again.
    if (r.status === 422 || r.status === 200)
        return at(head.size);
    return { ok: false, why: `HTTP ${r.status} ${JSON.stringify(firstLine(r.text))}` };
}
async function pingOldPrimary(url, timeoutMs) {
    try {
        const r = await peerRequest(joinUrl(url, ENDPOINT.getTreeHead), { timeoutMs, maxBytes: 4096 });
        return { url, answered: `HTTP ${r.status}` };
    }
    catch (e) {
        return { url, why: errorMessage(e) };
    }
}
