// Typed node state: the small durable values a node keeps besides its tree,
// each with one owner. Keys and encodings live only here; the composition root
// hands each owner its cells (StateCell<T>), so who writes what is visible in
// the wiring, not a convention.
import { formatCosignedTreeHead, formatSignedTreeHead, parseCosignedTreeHead, parseSignedTreeHead, } from '../sigsum/treehead.js';
function cell(kv, key, codec) {
    return {
        get: () => {
            const s = kv.getState(key);
            return s === undefined ? undefined : codec.decode(s);
        },
        set: (v, durable = true) => kv.setState({ [key]: codec.encode(v) }, durable),
    };
}
/** JSON with a decoder that checks what it reads (a damaged value is an error, not a wrong value). */
function json(revive) {
    return {
        encode: v => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)),
        decode: s => revive(JSON.parse(s)),
    };
}
function num(v, what) {
    if (typeof v !== 'number' || !Number.isFinite(v))
        throw new Error(`stored ${what} is not a number`);
    return v;
}
function obj(v, what) {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw new Error(`stored ${what} is not an object`);
    return Object.fromEntries(Object.entries(v));
}
function reviveWitnesses(raw) {
    const out = {};
    for (const [k, v] of Object.entries(obj(raw, 'witness state'))) {
        const m = obj(v, 'witness state');
        if (typeof m.timestamp !== 'string' || !/^\d+$/.test(m.timestamp))
            throw new Error('stored witness timestamp is not a decimal');
        out[k] = { size: num(m.size, 'witness size'), timestamp: BigInt(m.timestamp) };
    }
    return out;
}
function reviveLastSigning(raw) {
    const o = obj(raw, 'last signing');
    return { size: num(o.size, 'last signing size'), at: num(o.at, 'last signing time') };
}
function reviveScrub(raw) {
    const o = obj(raw, 'scrub cursor');
    if (!Array.isArray(o.peaks) || !o.peaks.every((p) => typeof p === 'string' && /^[0-9a-f]{64}$/.test(p)))
        throw new Error('stored scrub peaks are malformed');
    return {
        position: num(o.position, 'scrub position'),
        peaks: o.peaks,
        passStarted: num(o.passStarted, 'scrub pass start'),
        ...(o.lastComplete === undefined ? {} : { lastComplete: num(o.lastComplete, 'scrub completion') }),
    };
}
export function nodeState(kv) {
    return {
        publishedTreeHead: cell(kv, 'published_tree_head', {
            encode: formatCosignedTreeHead,
            decode: parseCosignedTreeHead,
        }),
        seenTreeHead: cell(kv, 'seen_tree_head', { encode: formatSignedTreeHead, decode: parseSignedTreeHead }),
        witnesses: cell(kv, 'witness_state', json(reviveWitnesses)),
        lastSigning: cell(kv, 'last_signing', json(reviveLastSigning)),
        publishedAt: cell(kv, 'published_at', json(v => num(v, 'publication time'))),
        scrub: cell(kv, 'scrub', json(reviveScrub)),
    };
}
