// The public Sigsum log API (log.md v1) as a thin skin: parse the request,
// ask the node, map the outcome to a status and body. Status codes and
// messages follow sigsum-go's server package and log-go's endpoint checks.
// Every proof and leaf served has been checked against the published head
// (CheckedReads); a read beyond the published head is a 400.
import type { MiddlewareHandler } from 'hono';
import { parseDecimal, ParseError, decodeHexSized, hashLines, line } from '../sigsum/ascii.js';
import { leafLine, parseAddLeafRequest, type AddLeafRequest } from '../sigsum/leaf.js';
import { parseSubmitHeader } from '../sigsum/token.js';
import type { TreeHead } from '../sigsum/treehead.js';
import { asHash, type Hash } from '../sigsum/types.js';
import { ENDPOINT, MAX_ADD_LEAF_BODY, SUBMIT_TOKEN_HEADER } from '../sigsum/wire.js';
import type { AddLeafOutcome } from '../primary/outcomes.js';
import type { Ctx, Env, Route, RouteHandler, Site } from './app.js';
import type { GoParams } from './go-mux.js';
import { ApiError, apiError, empty200, goRedirect, text } from './responses.js';
import { readBody } from './body.js';
import { errorMessage } from '../util/errors.js';

/** Reads verified against a tree head (implemented by storage's CheckedReads). */
export interface ProofSource {
  inclusion(leafHash: Hash, size: number, head: TreeHead): { index: number; path: Hash[] } | undefined;
  consistency(oldSize: number, newSize: number, head: TreeHead): Hash[];
  leaves(start: number, end: number, head: TreeHead): Uint8Array[];
}

/** What the read endpoints need from a node (primary or secondary). */
export interface ReadView {
  /** The head every public read is bounded by; undefined before there is one (a new secondary). */
  publishedHead(): TreeHead | undefined;
  /** The get-tree-head body. */
  treeHeadBody(): string | undefined;
  reads: ProofSource;
}

export interface WriteView {
  /** `token`: the sigsum-token header value, already checked for format; `signal()`: the client went away. */
  addLeaf(req: AddLeafRequest, token: string | undefined, signal: () => AbortSignal): Promise<AddLeafOutcome>;
}

export interface PublicApiOptions {
  maxRange: number;
  /** Middleware of the costly routes (a shared permit pool). */
  costly: MiddlewareHandler<Env>[];
}

export function int63(s: string): bigint {
  try {
    return parseDecimal(s);
  } catch (e) {
    throw new ApiError(400, errorMessage(e));
  }
}

function hash(s: string): Hash {
  try {
    return asHash(decodeHexSized(s, 32));
  } catch (e) {
    throw new ApiError(400, errorMessage(e));
  }
}

export const badRequest: RouteHandler = () => apiError(400, 'Bad Request');

/** The head reads are bounded by, or a 503 before there is one. */
export function headOf(view: { publishedHead(): TreeHead | undefined }): TreeHead {
  const head = view.publishedHead();
  if (!head) throw new ApiError(503, 'no verified tree head yet: this node has not replicated a published tree head');
  return head;
}

/** Half-open leaf range checks shared by the public (strict) and internal (clamping) get-leaves. */
export function leafRange(
  p: GoParams,
  size: number,
  strictEnd: boolean,
  maxRange: number,
): { start: number; end: number } {
  const start = int63(p.start);
  let end = int63(p.end);
  if (start >= end) throw new ApiError(400, `start_index(${start}) must be less than end_index(${end})`);
  const n = BigInt(size);
  if (strictEnd) {
    if (start >= n) throw new ApiError(400, `start_index(${start}) outside of current tree`);
    if (end > n) throw new ApiError(400, `end_index(${end}) outside of current tree`);
  } else {
    if (start > n) throw new ApiError(400, `start_index(${start}) outside of current tree`);
    if (end > n) end = n;
    if (start === end) throw new ApiError(404, 'at end of tree');
  }
  if (end - start > BigInt(maxRange)) end = start + BigInt(maxRange);
  return { start: Number(start), end: Number(end) };
}

export function leavesBody(leaves: readonly Uint8Array[]): string {
  let body = '';
  for (const l of leaves) body += leafLine(l);
  return body;
}

/** get-consistency-proof/<old>/<new> within the tree of `head`, with log-go's checks and messages. */
export function consistencyBody(reads: ProofSource, p: GoParams, head: TreeHead): string {
  const oldSize = int63(p.old);
  const newSize = int63(p.new);
  if (oldSize < 1n) throw new ApiError(400, `old_size(${oldSize}) must be larger than zero`);
  if (newSize <= oldSize) throw new ApiError(400, `new_size(${newSize}) must be larger than old_size(${oldSize})`);
  if (newSize > BigInt(head.size))
    throw new ApiError(400, `new_size ${newSize} outside of current tree, size ${head.size}`);
  return hashLines('node_hash', reads.consistency(Number(oldSize), Number(newSize), head));
}

function addLeafAnswer(o: AddLeafOutcome): Response {
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

const addLeaf =
  (writer: WriteView | undefined): RouteHandler =>
  async (c: Ctx) => {
    let req: AddLeafRequest;
    try {
      req = parseAddLeafRequest(c.get('body')!);
    } catch (e) {
      if (e instanceof ParseError) throw new ApiError(400, e.message);
      throw e;
    }
    // An empty header is no header (Go's Header.Get, as log-go and sigsum-go read it).
    const token = c.req.header(SUBMIT_TOKEN_HEADER) || undefined;
    if (token !== undefined) {
      try {
        parseSubmitHeader(token);
      } catch (e) {
        throw new ApiError(400, `Invalid Sigsum-Submit: header: ${errorMessage(e)}`);
      }
    }
    if (!writer) throw new ApiError(404, 'not primary');
    return addLeafAnswer(await writer.addLeaf(req, token, () => c.req.raw.signal));
  };

/** The API routes (Go patterns under `prefix`), as sigsum-go's server registers them. */
export function apiRoutes(
  prefix: string,
  view: ReadView,
  writer: WriteView | undefined,
  opts: PublicApiOptions,
): Route[] {
  const at = (name: string) => (prefix === '' ? `/${name}` : `/${prefix}/${name}`);
  const get = (name: string, endpoint: string, handler: RouteHandler, costly = false): Route => ({
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
    get(
      `${ENDPOINT.getInclusionProof}/{size}/{hash}`,
      `${ENDPOINT.getInclusionProof}/`,
      (_c, p) => {
        const size = int63(p.size);
        const leafHash = hash(p.hash);
        if (size < 2n) throw new ApiError(400, `size(${size}) must be larger than one`);
        const head = headOf(view);
        if (size > BigInt(head.size)) throw new ApiError(400, 'tree_size outside of current tree');
        const r = view.reads.inclusion(leafHash, Number(size), head);
        if (!r) throw new ApiError(404, 'Not Found');
        return text(line('leaf_index', r.index) + hashLines('node_hash', r.path));
      },
      true,
    ),
    get(`${ENDPOINT.getConsistencyProof}/`, `${ENDPOINT.getConsistencyProof}/`, badRequest),
    get(
      `${ENDPOINT.getConsistencyProof}/{old}/{new}`,
      `${ENDPOINT.getConsistencyProof}/`,
      (_c, p) => text(consistencyBody(view.reads, p, headOf(view))),
      true,
    ),
    get(`${ENDPOINT.getLeaves}/`, `${ENDPOINT.getLeaves}/`, badRequest),
    get(
      `${ENDPOINT.getLeaves}/{start}/{end}`,
      `${ENDPOINT.getLeaves}/`,
      (_c, p) => {
        const head = view.publishedHead();
        const { start, end } = leafRange(p, head?.size ?? 0, true, opts.maxRange);
        return text(leavesBody(view.reads.leaves(start, end, head!)));
      },
      true,
    ),
    {
      pattern: `POST ${at(ENDPOINT.addLeaf)}`,
      endpoint: ENDPOINT.addLeaf,
      handler: addLeaf(writer),
      middleware: [readBody(MAX_ADD_LEAF_BODY)],
    },
  ];
}

/** A node's public site, shaped as log-go's: "/<prefix>/" -> the API mux; the info page at "/<prefix>/{$}"; with a prefix, "/{$}" redirects there (301, log-go's own http.Redirect). */
export function publicSite(
  prefix: string,
  view: ReadView,
  writer: WriteView | undefined,
  opts: PublicApiOptions,
  info: RouteHandler,
): Site {
  const root = prefix === '' ? '/' : `/${prefix}/`;
  return [
    { pattern: root, site: apiRoutes(prefix, view, writer, opts) },
    { pattern: `GET ${root}{$}`, handler: info },
    ...(prefix === ''
      ? []
      : [{ pattern: 'GET /{$}', handler: (c: Ctx) => goRedirect(`/${prefix}/`, c.req.method, 301) }]),
  ];
}
