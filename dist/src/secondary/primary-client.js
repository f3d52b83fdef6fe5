// A secondary's view of its primary: the calls it makes, each with one total
// deadline and a size cap, each answer parsed strictly. Our primary's internal
// API offers everything (unsigned head, leaves, consistency proofs, signed and
// published heads, its epoch); a log-go primary offers only internal
// get-leaves, so for it the published head and proofs come from the log's
// public URL (--log-url).
import { ParseError } from '../sigsum/ascii.js';
import { parseLeaves } from '../sigsum/leaf.js';
import { parseCosignedTreeHead, parseSignedTreeHead, parseTreeHead, } from '../sigsum/treehead.js';
import { ENDPOINT, EPOCH_HEADER, LONG_POLL_HEADER, LONG_POLL_MS, parseHashLines, WAIT_BEYOND_PARAM, } from '../sigsum/wire.js';
import { firstLine, joinUrl, PeerError, peerRequest, peerRequestOk } from '../net/http-client.js';
export class PrimaryClient {
    primaryUrl;
    logUrl;
    timeoutMs;
    signal;
    constructor(
    /** The primary's internal base URL, with its URL prefix. */
    primaryUrl, 
    /** The log's public base URL, with prefix (needed only for a log-go primary). */
    logUrl, timeoutMs, 
    /** Aborts calls in flight (shutdown). */
    signal) {
        this.primaryUrl = primaryUrl;
        this.logUrl = logUrl;
        this.timeoutMs = timeoutMs;
        this.signal = signal;
    }
    /**
     * The primary's local tree, or "legacy" if it has no such endpoint (a
     * log-go primary). With `waitBeyond`, a long poll: the primary answers once
     * it holds more leaves than that (or after LONG_POLL_MS); `longPolled` says
     * whether it did wait.
     */
    async unsignedHead(waitBeyond) {
        const url = joinUrl(this.primaryUrl, ENDPOINT.getTreeHeadUnsigned) +
            (waitBeyond === undefined ? '' : `?${WAIT_BEYOND_PARAM}=${waitBeyond}`);
        const r = await peerRequest(url, {
            timeoutMs: this.timeoutMs + (waitBeyond === undefined ? 0 : LONG_POLL_MS),
            maxBytes: 4096,
            signal: this.signal,
        });
        if (r.status === 404 && r.header(EPOCH_HEADER) === undefined)
            return 'legacy';
        if (r.status !== 200)
            throw new PeerError(`${url}: HTTP ${r.status}`, r.status);
        const th = parse(url, r.text, parseTreeHead);
        const raw = r.header(EPOCH_HEADER);
        const epoch = raw === undefined ? 0 : Number(raw);
        if (!/^(0|[1-9][0-9]{0,14})$/.test(raw ?? '0'))
            throw new PeerError(`${url}: invalid epoch header ${JSON.stringify(raw)}`);
        return { ...th, epoch, longPolled: r.header(LONG_POLL_HEADER) === '1' };
    }
    /** Leaves from `start` (at most end - start; fewer when the primary clamps), or "end" at the end of its tree. */
    async leaves(start, end) {
        const url = joinUrl(this.primaryUrl, `${ENDPOINT.getLeaves}/${start}/${end}`);
        const r = await peerRequest(url, {
            timeoutMs: this.timeoutMs,
            maxBytes: 300 * (end - start) + 4096,
            signal: this.signal,
        });
        if (r.status === 404) {
            if (r.text.includes('at end of tree'))
                return 'end';
            throw new PeerError(`${url}: HTTP 404 ${JSON.stringify(firstLine(r.text))}: is the primary URL the primary's internal URL, with its URL prefix?`, 404);
        }
        if (r.status !== 200)
            throw new PeerError(`${url}: HTTP ${r.status} ${JSON.stringify(firstLine(r.text))}`, r.status);
        const leaves = parse(url, r.text, parseLeaves);
        if (leaves.length > end - start)
            throw new PeerError(`${url}: ${leaves.length} leaves returned for a range of ${end - start}`);
        return leaves;
    }
    async consistencyProof(oldSize, newSize, source) {
        const url = joinUrl(this.base(source), `${ENDPOINT.getConsistencyProof}/${oldSize}/${newSize}`);
        const r = await peerRequestOk(url, { timeoutMs: this.timeoutMs, maxBytes: 1 << 16, signal: this.signal });
        return parse(url, r.text, t => parseHashLines(t));
    }
    /** The latest tree head the primary signed (it may not be published yet). */
    async signedHead() {
        const url = joinUrl(this.primaryUrl, ENDPOINT.getTreeHeadSigned);
        return parse(url, (await peerRequestOk(url, { timeoutMs: this.timeoutMs, maxBytes: 4096, signal: this.signal })).text, parseSignedTreeHead);
    }
    /** The published tree head with its cosignatures, and its body as served. */
    async publishedHead(source) {
        const url = joinUrl(this.base(source), ENDPOINT.getTreeHead);
        const body = (await peerRequestOk(url, { timeoutMs: this.timeoutMs, maxBytes: 1 << 16, signal: this.signal })).text;
        return { head: parse(url, body, parseCosignedTreeHead), body };
    }
    base(source) {
        if (source === 'internal')
            return this.primaryUrl;
        if (!this.logUrl)
            throw new PeerError('the primary is log-go and no public log URL (--log-url) is configured');
        return this.logUrl;
    }
}
/** A malformed answer is the peer's fault; any other error is ours and propagates as it is. */
function parse(url, text, fn) {
    try {
        return fn(text);
    }
    catch (e) {
        if (e instanceof ParseError)
            throw new PeerError(`${url}: malformed answer: ${e.message}`);
        throw e;
    }
}
