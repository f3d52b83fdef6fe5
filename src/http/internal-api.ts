// The internal APIs (their own listener, never the public one).
//
// Primary: what secondaries replicate through. log-go's get-leaves over the
// whole local tree, including leaves not yet signed (end clamped to the tree,
// 404 "at end of tree" once the reader has everything), plus what our
// secondaries use to check every leaf before storing it and every tree head
// the log signs: the unsigned head of the local tree, consistency proofs
// within it, the latest signed head and the published (cosigned) head.
// Every answer carries the primary's promotion epoch in a header, so a
// secondary can refuse a stale primary.
//
// Secondary: get-secondary-tree-head, its replica's head signed with its own
// key (log-go's format, so a log-go primary can use our secondary).
import { formatSignedTreeHead, formatTreeHead, type SignedTreeHead } from '../sigsum/treehead.js';
import type { Route } from './mux.js';
import { consistencyBody, leafRange, leavesBody, type Handler, type LogReadView } from './public-api.js';
import { HttpError, ok } from './respond.js';

export const EPOCH_HEADER = 'sigsum-log-epoch';

export interface PrimaryInternalView extends LogReadView {
  committedTreeHead(): SignedTreeHead;
  epoch(): number;
  /** Long poll for get-tree-head-unsigned?wait-beyond=N; false when it cannot wait now. */
  waitForGrowth?(beyond: number, ms: number): Promise<void> | false;
}

export const LONG_POLL_HEADER = 'sigsum-log-long-poll';
/** Longest a get-tree-head-unsigned long poll is held. */
export const LONG_POLL_MS = 1000;

export function primaryInternalRoutes(view: PrimaryInternalView, opts: { maxRange: number }): Route<Handler>[] {
  const withEpoch = (h: Handler): Handler => async (req, p) => {
    const res = await h(req, p);
    res.headers.set(EPOCH_HEADER, String(view.epoch()));
    return res;
  };
  const routes: Route<Handler>[] = [
    {
      method: 'GET',
      pattern: '/get-leaves/{start}/{end}',
      handler: (_req, p) => {
        const { start, end } = leafRange(p, view.store.size(), false, opts.maxRange);
        return ok(leavesBody(view.store, start, end));
      },
    },
    { method: 'GET', pattern: '/get-leaves/', handler: () => { throw new HttpError(400, 'Bad Request'); } },
    {
      method: 'GET',
      pattern: '/get-tree-head-unsigned',
      handler: async (req, _p, incoming) => {
        // ?wait-beyond=N: answer once the tree has more than N leaves (or after LONG_POLL_MS).
        const m = /[?&]wait-beyond=(\d{1,15})(&|$)/.exec(incoming?.url ?? req.url);
        let waited = false;
        if (m && view.waitForGrowth) {
          const w = view.waitForGrowth(Number(m[1]), LONG_POLL_MS);
          if (w) {
            await w;
            waited = true;
          }
        }
        const res = ok(formatTreeHead({ size: view.store.size(), rootHash: view.store.edgeRoot() }));
        if (waited) res.headers.set(LONG_POLL_HEADER, '1');
        return res;
      },
    },
    { method: 'GET', pattern: '/get-consistency-proof/{old}/{new}', handler: (_req, p) => ok(consistencyBody(view.store, p, view.store.size())) },
    { method: 'GET', pattern: '/get-consistency-proof/', handler: () => { throw new HttpError(400, 'Bad Request'); } },
    { method: 'GET', pattern: '/get-tree-head-signed', handler: () => ok(formatSignedTreeHead(view.committedTreeHead())) },
    { method: 'GET', pattern: '/get-tree-head', handler: () => ok(view.treeHeadBody()) },
  ];
  return routes.map(r => ({ ...r, handler: withEpoch(r.handler) }));
}

export function secondaryInternalRoutes(src: { signedReplicaHead(): SignedTreeHead }): Route<Handler>[] {
  return [{ method: 'GET', pattern: '/get-secondary-tree-head', endpoint: 'get-secondary-tree-head', handler: () => ok(formatSignedTreeHead(src.signedReplicaHead())) }];
}
