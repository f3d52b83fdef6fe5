import { parseDecimal, ParseError, decodeHexSized, hashLines, line } from '../sigsum/ascii.js';
import { leafLine, parseAddLeafRequest } from '../sigsum/leaf.js';
import { parseSubmitHeader } from '../sigsum/token.js';
import { asHash } from '../sigsum/types.js';
import { ENDPOINT, MAX_ADD_LEAF_BODY, SUBMIT_TOKEN_HEADER } from '../sigsum/wire.js';
import { ApiError, apiError, empty200, goRedirect, text } from './responses.js';
import { readBody } from './body.js';
import { errorMessage } from '../util/errors.js';
export function int63(s) {
    try {
        return parseDecimal(s);
    }
    catch (e) {
        throw new ApiError(400, errorMessage(e));
    }
}
function hash(s) {
    try {
        return asHash(decodeHexSized(s, 32));
    }
    catch (e) {
        throw new ApiError(400, errorMessage(e));
    }
}
export const badRequest = () => apiError(400, 'Bad Request');
/** The head reads are bounded by, or a 503 before there is one. */
export function headOf(view) {
    const head = view.publishedHead();
    if (!head)
        throw new ApiError(503, 'no verified tree head yet: this node has not replicated a published tree head');
    return head;
}
/** Half-open leaf range checks shared by the public (strict) and internal (clamping) get-leaves. */
export function leafRange(p, size, strictEnd, maxRange) {
    const start = int63(p.start);
    let end = int63(p.end);
    if (start >= end)
        throw new ApiError(400, `start_index(${start}) must be less than end_index(${end})`);
    const n = BigInt(size);
    if (strictEnd) {
        if (start >= n)
            throw new ApiError(400, `start_index(${start}) outside of current tree`);
        if (end > n)
            throw new ApiError(400, `end_index(${end}) outside of current tree`);
    }
    else {
        if (start > n)
            throw new ApiError(400, `start_index(${start}) outside of current tree`);
        if (end > n)
            end = n;
        if (start === end)
            throw new ApiError(404, 'at end of tree');
    }
    if (end - start > BigInt(maxRange))
        end = start + BigInt(maxRange);
    return { start: Number(start), end: Number(end) };
}
export function leavesBody(leaves) {
    let body = '';
    for (const l of leaves)
        body += leafLine(l);
    return body;
}
/** get-consistency-proof/<old>/<new> within the tree of `head`, with log-go's checks and messages. */
export function consistencyBody(reads, p, head) {
    const oldSize = int63(p.old);
    const newSize = int63(p.new);
    if (oldSize < 1n)
        throw new ApiError(400, `old_size(${oldSize}) must be larger than zero`);
    if (newSize <= oldSize)
        throw new ApiError(400, `new_size(${newSize}) must be larger than old_size(${oldSize})`);
    if (newSize > BigInt(head.size))
        throw new ApiError(400, `new_size ${newSize} outside of current tree, size ${head.size}`);
    return hashLines('node_hash', reads.consistency(Number(oldSize), Number(newSize), head));
}
function addLeafAnswer(o) {
    switch (o.kind) {
        case 'included':
            return empty200();
        case 'accepted':
            return apiError(202, 'Accepted');
        case 'bad-token':
            return apiError(400, o.reason);
        case 'bad-signature':
            return apiError(403, 'invalid signature');
        case 'rate-limited':
            return apiError(429, o.reason);
        case 'unavailable':
            return apiError(503, o.reason, { 'retry-after': '1' });
    }
}
const addLeaf = (writer) => async (c) => {
    let req;
    try {
        req = parseAddLeafRequest(c.get('body'));
    }
    catch (e) {
        if (e instanceof ParseError)
            throw new ApiError(400, e.message);
        throw e;
    }
    // An empty header is no header (Go's Header.Get, as log-go and sigsum-go read it).
    const token = c.req.header(SUBMIT_TOKEN_HEADER) || undefined;
    if (token !== undefined) {
        try {
            parseSubmitHeader(token);
        }
        catch (e) {
            throw new ApiError(400, `Invalid Sigsum-Submit: header: ${errorMessage(e)}`);
        }
    }
    if (!writer)
        throw new ApiError(404, 'not primary');
    return addLeafAnswer(await writer.addLeaf(req, token, c.req.raw.signal));
};
/** The API routes (Go patterns under `prefix`), as sigsum-go's server registers them. */
export function apiRoutes(prefix, view, writer, opts) {
    const at = (name) => (prefix === '' ? `/${name}` : `/${prefix}/${name}`);
    const get = (name, endpoint, handler, costly = false) => ({
        pattern: `GET ${at(name)}`,
        endpoint,
        handler,
        middleware: costly ? opts.costly : undefined,
    });
    return [
        get(ENDPOINT.getTreeHead, ENDPOINT.getTreeHead, () => {
            const body = view.treeHeadBody();
            if (body === undefined)
                throw new ApiError(503, 'no verified tree head yet: this node has not replicated a published tree head');
            return text(body);
        }),
        get(`${ENDPOINT.getInclusionProof}/`, `${ENDPOINT.getInclusionProof}/`, badRequest),
        get(`${ENDPOINT.getInclusionProof}/{size}/{hash}`, `${ENDPOINT.getInclusionProof}/`, (_c, p) => {
            const size = int63(p.size);
            const leafHash = hash(p.hash);
            if (size < 2n)
                throw new ApiError(400, `size(${size}) must be larger than one`);
            const head = headOf(view);
            if (size > BigInt(head.size))
                throw new ApiError(400, 'tree_size outside of current tree');
            const r = view.reads.inclusion(leafHash, Number(size), head);
            if (!r)
                throw new ApiError(404, 'Not Found');
            return text(line('leaf_index', r.index) + hashLines('node_hash', r.path));
        }, true),
        get(`${ENDPOINT.getConsistencyProof}/`, `${ENDPOINT.getConsistencyProof}/`, badRequest),
        get(`${ENDPOINT.getConsistencyProof}/{old}/{new}`, `${ENDPOINT.getConsistencyProof}/`, (_c, p) => text(consistencyBody(view.reads, p, headOf(view))), true),
        get(`${ENDPOINT.getLeaves}/`, `${ENDPOINT.getLeaves}/`, badRequest),
        get(`${ENDPOINT.getLeaves}/{start}/{end}`, `${ENDPOINT.getLeaves}/`, (_c, p) => {
            const head = view.publishedHead();
            const { start, end } = leafRange(p, head?.size ?? 0, true, opts.maxRange);
            return text(leavesBody(view.reads.leaves(start, end, head)));
        }, true),
        {
            pattern: `POST ${at(ENDPOINT.addLeaf)}`,
            endpoint: ENDPOINT.addLeaf,
            handler: addLeaf(writer),
            middleware: [readBody(MAX_ADD_LEAF_BODY)],
        },
    ];
}
/** A node's public site, shaped as log-go's: "/<prefix>/" -> the API mux; the info page at "/<prefix>/{$}"; with a prefix, "/{$}" redirects there (301, log-go's own http.Redirect). */
export function publicSite(prefix, view, writer, opts, info) {
    const root = prefix === '' ? '/' : `/${prefix}/`;
    return [
        { pattern: root, site: apiRoutes(prefix, view, writer, opts) },
        { pattern: `GET ${root}{$}`, handler: info },
        ...(prefix === ''
            ? []
            : [{ pattern: 'GET /{$}', handler: (c) => goRedirect(`/${prefix}/`, c.req.method, 301) }]),
    ];
}
