// A secondary's view of its primary: the calls it makes, each with a deadline,
// each answer parsed strictly. Our primary's internal API offers everything
// (unsigned head, leaves, consistency proofs, signed and published heads, its
// epoch); a log-go primary offers only internal get-leaves, so for it the
// published head and proofs come from the log's public URL (--log-url).
import { ParseError } from '../sigsum/ascii.js';
import { AsciiParser } from '../sigsum/ascii.js';
import { parseLeaves } from '../sigsum/leaf.js';
import { parseCosignedTreeHead, parseSignedTreeHead, parseTreeHead, type CosignedTreeHead, type SignedTreeHead, type TreeHead } from '../sigsum/treehead.js';
import { asHash, type Hash } from '../sigsum/types.js';
import { EPOCH_HEADER, LONG_POLL_HEADER, LONG_POLL_MS } from '../http/internal-api.js';
import { fetchOk, fetchText, joinUrl, PeerError } from '../net/fetch-text.js';

export interface UnsignedHead extends TreeHead {
  /** The primary's promotion epoch (0 if it does not say, as log-go). */
  epoch: number;
}

/** Which API a proof or head comes from. */
export type Source = 'internal' | 'public';

export class PrimaryClient {
  constructor(
    /** The primary's internal base URL, with its URL prefix. */
    readonly primaryUrl: string,
    /** The log's public base URL, with prefix (needed only for a log-go primary). */
    readonly logUrl: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  /**
   * The primary's local tree, or "legacy" if it has no such endpoint (a
   * log-go primary). With `waitBeyond`, a long poll: the primary answers once
   * it holds more leaves than that (or after a second); `longPolled` says
   * whether it did wait.
   */
  async unsignedHead(waitBeyond?: number): Promise<(UnsignedHead & { longPolled: boolean }) | 'legacy'> {
    const url = joinUrl(this.primaryUrl, 'get-tree-head-unsigned') + (waitBeyond === undefined ? '' : `?wait-beyond=${waitBeyond}`);
    const r = await fetchText(url, { timeoutMs: this.timeoutMs + (waitBeyond === undefined ? 0 : LONG_POLL_MS), maxBytes: 4096 });
    if (r.status === 404 && !r.headers.has(EPOCH_HEADER)) return 'legacy';
    if (r.status !== 200) throw new PeerError(`${url}: HTTP ${r.status}`, r.status);
    const th = parse(url, r.text, parseTreeHead);
    const raw = r.headers.get(EPOCH_HEADER);
    const epoch = raw === null ? 0 : Number(raw);
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new PeerError(`${url}: invalid epoch header ${JSON.stringify(raw)}`);
    return { ...th, epoch, longPolled: r.headers.get(LONG_POLL_HEADER) === '1' };
  }

  /** Leaves from `start` (at most end - start; fewer when the primary clamps), or "end" at the end of its tree. */
  async leaves(start: number, end: number): Promise<Uint8Array[] | 'end'> {
    const url = joinUrl(this.primaryUrl, `get-leaves/${start}/${end}`);
    const r = await fetchText(url, { timeoutMs: this.timeoutMs, maxBytes: 64 << 20 });
    if (r.status === 404) {
      if (r.text.includes('at end of tree')) return 'end';
      throw new PeerError(`${url}: HTTP 404 ${JSON.stringify(r.text.split('\n')[0].slice(0, 200))}: is the primary URL the primary's internal URL, with its URL prefix?`, 404);
    }
    if (r.status !== 200) throw new PeerError(`${url}: HTTP ${r.status} ${JSON.stringify(r.text.split('\n')[0].slice(0, 200))}`, r.status);
    const leaves = parse(url, r.text, parseLeaves);
    if (leaves.length > end - start) throw new PeerError(`${url}: ${leaves.length} leaves returned for a range of ${end - start}`);
    return leaves;
  }

  async consistencyProof(oldSize: number, newSize: number, source: Source): Promise<Hash[]> {
    const url = joinUrl(this.base(source), `get-consistency-proof/${oldSize}/${newSize}`);
    const r = await fetchOk(url, { timeoutMs: this.timeoutMs, maxBytes: 1 << 16 });
    return parse(url, r.text, text => {
      const p = new AsciiParser(text);
      const path: Hash[] = [];
      while (!p.atEnd()) path.push(asHash(p.getHex('node_hash', 32)));
      return path;
    });
  }

  /** The latest tree head the primary signed (it may not be published yet). */
  async signedHead(): Promise<SignedTreeHead> {
    const url = joinUrl(this.primaryUrl, 'get-tree-head-signed');
    return parse(url, (await fetchOk(url, { timeoutMs: this.timeoutMs, maxBytes: 4096 })).text, parseSignedTreeHead);
  }

  /** The published tree head with its cosignatures, and its body as served. */
  async publishedHead(source: Source): Promise<{ head: CosignedTreeHead; body: string }> {
    const url = joinUrl(this.base(source), 'get-tree-head');
    const body = (await fetchOk(url, { timeoutMs: this.timeoutMs, maxBytes: 1 << 16 })).text;
    return { head: parse(url, body, parseCosignedTreeHead), body };
  }

  private base(source: Source): string {
    if (source === 'internal') return this.primaryUrl;
    if (!this.logUrl) throw new Error('no public log URL configured');
    return this.logUrl;
  }
}

function parse<T>(url: string, text: string, fn: (t: string) => T): T {
  try {
    return fn(text);
  } catch (e) {
    if (e instanceof ParseError || e instanceof Error) throw new PeerError(`${url}: malformed answer: ${e.message}`);
    throw e;
  }
}
