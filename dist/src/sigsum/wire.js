// Wire-level names shared by this project's HTTP server and its clients
// (secondary -> primary, primary -> secondary, promotion probes): endpoint
// names, headers, long-poll parameters, size caps, and the parser for lists
// of hashes. log.md's public endpoint names are here too, so a client and the
// server can never disagree about a path.
import { AsciiParser, ParseError } from './ascii.js';
import { asHash } from './types.js';
/** Endpoint names of log.md v1 and of the internal APIs. */
export const ENDPOINT = {
    getTreeHead: 'get-tree-head',
    getInclusionProof: 'get-inclusion-proof',
    getConsistencyProof: 'get-consistency-proof',
    getLeaves: 'get-leaves',
    addLeaf: 'add-leaf',
    /** log-go's secondary endpoint: the replica's head signed with the secondary's key. */
    getSecondaryTreeHead: 'get-secondary-tree-head',
    /** Our primary's internal API: size and root of the whole local tree. */
    getTreeHeadUnsigned: 'get-tree-head-unsigned',
    /** Our primary's internal API: the latest head it signed (maybe not published yet). */
    getTreeHeadSigned: 'get-tree-head-signed',
    /** Our secondary's internal API: the largest log-signed head it has seen and its epoch (promotion probes). */
    getSecondaryState: 'get-secondary-state',
    /** Our secondary's internal API: a promoted primary announces its epoch here (fencing). */
    announceEpoch: 'announce-epoch',
};
/** The primary's promotion epoch, on every internal answer and on the primary's requests to secondaries. */
export const EPOCH_HEADER = 'sigsum-log-epoch';
/** Set on a get-tree-head-unsigned answer that waited (long poll). */
export const LONG_POLL_HEADER = 'sigsum-log-long-poll';
/** Query parameter of get-tree-head-unsigned: answer once the tree holds more than this many leaves. */
export const WAIT_BEYOND_PARAM = 'wait-beyond';
/** Longest a long poll is held by the primary. */
export const LONG_POLL_MS = 1000;
/** The submit-token request header (log.md §3.5). */
export const SUBMIT_TOKEN_HEADER = 'sigsum-token';
/** Largest add-leaf request body accepted (a valid one is about 290 bytes). */
export const MAX_ADD_LEAF_BODY = 4096;
/** Most hashes in an inclusion or consistency proof (sigsum-go's client limit). */
export const MAX_PROOF_HASHES = 63;
/** Parses "<key>=<hex hash>\n" lines (proofs), at most MAX_PROOF_HASHES of them. */
export function parseHashLines(text, key = 'node_hash') {
    const p = new AsciiParser(text);
    const out = [];
    while (!p.atEnd()) {
        if (out.length >= MAX_PROOF_HASHES)
            throw new ParseError(`more than ${MAX_PROOF_HASHES} ${key} lines`);
        out.push(asHash(p.getHex(key, 32)));
    }
    return out;
}
