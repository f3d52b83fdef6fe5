// A request router with the observable behaviour of Go's net/http ServeMux
// (Go 1.22+ method patterns), because log-go's clients and tests see exactly
// that: unclean paths ("//", "/./", "/../") redirect with 301 to the clean
// path, a subtree pattern "/x/" catches "/x" with a 301 to "/x/", a path that
// exists under another method answers 405 with an Allow header, anything else
// 404 "404 page not found". GET patterns also serve HEAD.
//
// Patterns: "/a/b" (exact), "/a/{x}/{y}" (one non-empty segment per
// wildcard), "/a/" (subtree: everything below), "/a/{$}" (exactly "/a/").
// Wildcard values are percent-decoded.

export type Params = Record<string, string>;

export interface Route<H> {
  method: 'GET' | 'POST';
  pattern: string;
  handler: H;
  /** Name for metrics (log-go's endpoint label, e.g. "get-leaves/"); unnamed routes are not counted. */
  endpoint?: string;
}

export type MuxResult<H> =
  | { kind: 'handler'; handler: H; params: Params; endpoint?: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'bad-path' };

interface Compiled<H> extends Route<H> {
  segments: string[];
  subtree: boolean;
  specificity: number;
}

function compile<H>(r: Route<H>): Compiled<H> {
  if (r.pattern.endsWith('/{$}')) {
    // Exactly the path up to and including the final slash.
    const body = r.pattern.slice(1, -3);
    return { ...r, segments: body === '' ? [''] : [...body.slice(0, -1).split('/'), ''], subtree: false, specificity: 3 };
  }
  const subtree = r.pattern.endsWith('/');
  const body = subtree ? r.pattern.slice(1, -1) : r.pattern.slice(1);
  const segments = body === '' ? [] : body.split('/');
  return { ...r, segments, subtree, specificity: subtree ? 1 : 2 };
}

/** Go's cleanPath: path.Clean, keeping a trailing slash. */
export function cleanPath(p: string): string {
  if (p === '') return '/';
  if (p[0] !== '/') p = '/' + p;
  const out: string[] = [];
  const parts = p.split('/');
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  let np = '/' + out.join('/');
  if (p.endsWith('/') && np !== '/') np += '/';
  return np;
}

export class Mux<H> {
  private readonly routes: Compiled<H>[];

  constructor(routes: Route<H>[]) {
    this.routes = routes.map(compile);
  }

  private matchPath(rawPath: string): { route: Compiled<H>; params: Params }[] | 'bad' {
    const segs = rawPath.slice(1).split('/');
    const found: { route: Compiled<H>; params: Params }[] = [];
    for (const r of this.routes) {
      if (r.subtree) {
        if (segs.length <= r.segments.length) continue; // "/a/" needs at least "/a/" + something (possibly empty)
        if (!r.segments.every((s, i) => s === segs[i])) continue;
        found.push({ route: r, params: {} });
        continue;
      }
      if (segs.length !== r.segments.length) continue;
      const params: Params = {};
      let ok = true;
      for (let i = 0; i < segs.length && ok; i++) {
        const pat = r.segments[i];
        if (pat.startsWith('{') && pat.endsWith('}')) {
          if (segs[i] === '') ok = false;
          else {
            try {
              params[pat.slice(1, -1)] = decodeURIComponent(segs[i]);
            } catch {
              return 'bad';
            }
          }
        } else if (pat !== segs[i]) ok = false;
      }
      if (ok) found.push({ route: r, params });
    }
    return found;
  }

  match(method: string, rawPath: string, rawQuery: string): MuxResult<H> {
    const clean = cleanPath(rawPath);
    if (clean !== rawPath) return { kind: 'redirect', location: clean + rawQuery };
    const m = method === 'HEAD' ? 'GET' : method;
    const found = this.matchPath(rawPath);
    if (found === 'bad') return { kind: 'bad-path' };
    const forMethod = found.filter(f => f.route.method === m).sort((a, b) => b.route.specificity - a.route.specificity);
    if (forMethod.length > 0) return { kind: 'handler', handler: forMethod[0].route.handler, params: forMethod[0].params, endpoint: forMethod[0].route.endpoint };
    if (!rawPath.endsWith('/')) {
      const withSlash = this.matchPath(rawPath + '/');
      if (withSlash !== 'bad' && withSlash.some(f => f.route.method === m && f.route.subtree)) {
        return { kind: 'redirect', location: rawPath + '/' + rawQuery };
      }
      if (found.length === 0 && withSlash !== 'bad' && withSlash.length > 0) return { kind: 'method-not-allowed', allow: allowed(withSlash) };
    }
    // log-go's info page ("GET /{$}") answers other methods with 404, not 405.
    const real = found.filter(f => !f.route.pattern.endsWith('{$}'));
    if (real.length > 0) return { kind: 'method-not-allowed', allow: allowed(real) };
    return { kind: 'not-found' };
  }
}

function allowed<H>(found: { route: Compiled<H> }[]): string[] {
  const s = new Set<string>();
  for (const f of found) {
    s.add(f.route.method);
    if (f.route.method === 'GET') s.add('HEAD');
  }
  return [...s].sort();
}
