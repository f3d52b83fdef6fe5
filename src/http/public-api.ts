// The public Sigsum log API (log.md §3, protocol.md §2) as a thin skin:
// parse the request, call the log, format the answer. Status codes and
// messages follow sigsum-go's server package and log-go's endpoint checks.
import { hashLines, line, ParseError, parseDecimal, decodeHexSized } from '../sigsum/ascii.js';
import { parseAddLeafRequest } from '../sigsum/leaf.js';
import { leafLine } from '../sigsum/leaf.js';
import { parseSubmitHeader } from '../sigsum/token.js';
import { asHash } from '../sigsum/types.js';
import type { LogStore } from '../storage/store.js';
import type { AddLeafOutcome } from '../primary/primary-log.js';
import type { AddLeafRequest } from '../sigsum/leaf.js';
import { apiError, empty200, HttpError, ok, readBody } from './respond.js';
import type { IncomingMessage } from 'node:http';
import { Mux, type Params, type Route } from './mux.js';
import { infoRoutes, type InfoSource } from './info.js';
import { mount } from './server.js';

/** What the read endpoints need from a node (primary or secondary). */
export interface LogReadView {
  readonly store: LogStore;
  /** Every read is bounded by the published tree head. */
  publishedSize(): number;
  /** The get-tree-head body. */
  treeHeadBody(): string;
}

export interface LogWriteView {
  /** `token`: the sigsum-token header value, already checked for format. */
  addLeaf(req: AddLeafRequest, token?: string): Promise<AddLeafOutcome>;
}

/** A route handler; `incoming` is the Node request when served by node:http (bodies are read from it directly, which is much cheaper than a WHATWG stream). */
export type Handler = (req: Request, params: Params, incoming?: IncomingMessage) => Promise<Response> | Response;

export interface PublicApiOptions {
  maxRange: number;
  /** Largest accepted add-leaf body in bytes. */
  maxAddLeafBody: number;
}

export function parseInt63(s: string): bigint {
  try {
    return parseDecimal(s);
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
}

function parseHash(s: string) {
  try {
    return asHash(decodeHexSized(s, 32));
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
}

const badRequest: Handler = () => apiError(400, 'Bad Request');

/** Half-open leaf range checks shared by the public and internal get-leaves. */
export function leafRange(params: Params, maxIndex: number, strictEnd: boolean, maxRange: number): { start: number; end: number } {
  const start = parseInt63(params.start);
  let end = parseInt63(params.end);
  if (start >= end) throw new HttpError(400, `start_index(${start}) must be less than end_index(${end})`);
  const size = BigInt(maxIndex);
  if (strictEnd) {
    if (start >= size) throw new HttpError(400, `start_index(${start}) outside of current tree`);
    if (end > size) throw new HttpError(400, `end_index(${end}) outside of current tree`);
  } else {
    if (start > size) throw new HttpError(400, `start_index(${start}) outside of current tree`);
    if (end > size) end = size;
    if (start === end) throw new HttpError(404, 'at end of tree');
  }
  if (end - start > BigInt(maxRange)) end = start + BigInt(maxRange);
  return { start: Number(start), end: Number(end) };
}

/** get-consistency-proof/<old>/<new> within a tree of `size` leaves, with log-go's checks and messages. */
export function consistencyBody(store: LogStore, p: Params, size: number): string {
  const oldSize = parseInt63(p.old);
  const newSize = parseInt63(p.new);
  if (oldSize < 1n) throw new HttpError(400, `old_size(${oldSize}) must be larger than zero`);
  if (newSize <= oldSize) throw new HttpError(400, `new_size(${newSize}) must be larger than old_size(${oldSize})`);
  if (newSize > BigInt(size)) throw new HttpError(400, `new_size ${newSize} outside of current tree, size ${size}`);
  return hashLines('node_hash', store.consistencyProof(Number(oldSize), Number(newSize)));
}

export function leavesBody(store: LogStore, start: number, end: number): string {
  const leaves = store.getLeaves(start, end);
  if (leaves.length !== end - start) throw new Error(`backend returned ${leaves.length} leaves for [${start}, ${end})`);
  let body = '';
  for (const l of leaves) body += leafLine(l);
  return body;
}

export function publicRoutes(view: LogReadView, writer: LogWriteView | undefined, opts: PublicApiOptions): Route<Handler>[] {
  const routes: Route<Handler>[] = [
    { method: 'GET', pattern: '/get-tree-head', endpoint: 'get-tree-head', handler: () => ok(view.treeHeadBody()) },
    {
      method: 'GET',
      pattern: '/get-inclusion-proof/{size}/{hash}',
      endpoint: 'get-inclusion-proof/',
      handler: (_req, p) => {
        const size = parseInt63(p.size);
        const leafHash = parseHash(p.hash);
        if (size < 2n) throw new HttpError(400, `size(${size}) must be larger than one`);
        if (size > BigInt(view.publishedSize())) throw new HttpError(400, 'tree_size outside of current tree');
        const n = Number(size);
        const index = view.store.leafIndex(leafHash);
        if (index === undefined || index >= n) throw new HttpError(404, 'Not Found');
        let body = line('leaf_index', index);
        body += hashLines('node_hash', view.store.inclusionProof(index, n));
        return ok(body);
      },
    },
    { method: 'GET', pattern: '/get-inclusion-proof/', endpoint: 'get-inclusion-proof/', handler: badRequest },
    {
      method: 'GET',
      pattern: '/get-consistency-proof/{old}/{new}',
      endpoint: 'get-consistency-proof/',
      handler: (_req, p) => ok(consistencyBody(view.store, p, view.publishedSize())),
    },
    { method: 'GET', pattern: '/get-consistency-proof/', endpoint: 'get-consistency-proof/', handler: badRequest },
    {
      method: 'GET',
      pattern: '/get-leaves/{start}/{end}',
      endpoint: 'get-leaves/',
      handler: (_req, p) => {
        const { start, end } = leafRange(p, view.publishedSize(), true, opts.maxRange);
        return ok(leavesBody(view.store, start, end));
      },
    },
    { method: 'GET', pattern: '/get-leaves/', endpoint: 'get-leaves/', handler: badRequest },
  ];
  routes.push({
    method: 'POST',
    pattern: '/add-leaf',
    endpoint: 'add-leaf',
    handler: async (req, _params, incoming) => {
      const body = await readBody(req, opts.maxAddLeafBody, incoming);
      let leafReq: AddLeafRequest;
      try {
        leafReq = parseAddLeafRequest(body);
      } catch (e) {
        if (e instanceof ParseError) throw new HttpError(400, e.message);
        throw e;
      }
      const token = req.headers.get('sigsum-token');
      if (token !== null) {
        try {
          parseSubmitHeader(token);
        } catch (e) {
          throw new HttpError(400, `Invalid Sigsum-Submit: header: ${(e as Error).message}`);
        }
      }
      if (!writer) throw new HttpError(404, 'not primary');
      const outcome = await writer.addLeaf(leafReq, token ?? undefined);
      switch (outcome.status) {
        case 200:
          return empty200();
        case 202:
          return apiError(202, 'Accepted');
        default:
          return apiError(outcome.status, outcome.message);
      }
    },
  });
  return routes;
}

/** A node's whole public listener: the API under the URL prefix, and the info page. */
export function publicMux(prefix: string, view: LogReadView, writer: LogWriteView | undefined, opts: PublicApiOptions, info: Omit<InfoSource, 'urlPrefix' | 'publishedSize'>): Mux<Handler> {
  return new Mux<Handler>([
    ...mount(prefix, publicRoutes(view, writer, opts)),
    ...(infoRoutes({ ...info, urlPrefix: prefix, publishedSize: () => view.publishedSize() }) as Route<Handler>[]),
  ]);
}
