// The primary's internal API (its own listener, never the public one):
// get-leaves over the whole local tree, including leaves not yet signed, with
// log-go's semantics (end clamped to the tree, 404 "at end of tree" once the
// reader has everything). Secondaries replicate through it.
import type { Route } from './mux.js';
import { leafRange, leavesBody, type Handler, type LogReadView } from './public-api.js';
import { apiError } from './respond.js';

export function internalRoutes(view: LogReadView, opts: { maxRange: number }): Route<Handler>[] {
  return [
    {
      method: 'GET',
      pattern: '/get-leaves/{start}/{end}',
      handler: (_req, p) => {
        const { start, end } = leafRange(p, view.store.size(), false, opts.maxRange);
        return new Response(leavesBody(view.store, start, end), { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } });
      },
    },
    { method: 'GET', pattern: '/get-leaves/', handler: () => apiError(400, 'Bad Request') },
  ];
}
