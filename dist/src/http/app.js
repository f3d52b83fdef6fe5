// Builds a listener's hono app from a site: a tree of routes in Go
// ServeMux pattern syntax (log-go nests sigsum-go's mux under its own, and
// the nesting decides between 404 and 405). hono routes every exact route
// and runs the middleware: the request log, endpoint metrics, Go's request
// target and path-cleaning rules, and error mapping. What hono does not
// match (trailing-slash redirects, subtree catch-alls, 405 with Allow, 404)
// is answered by the Go model (go-mux.ts), so the two can never disagree
// about a request hono did not route.
import { Hono } from 'hono';
import { cleanPath, goTarget, GoMux, unescapeSegment } from './go-mux.js';
import { ApiError, apiError, goBadRequest, goMethodNotAllowed, goNotFound, goRedirect, plainError, } from './responses.js';
function toGoMux(site) {
    return new GoMux(site.map(r => ('site' in r ? { pattern: r.pattern, target: toGoMux(r.site) } : { pattern: r.pattern, target: r })));
}
/** Every route hono can match exactly: not a subtree (trailing-slash) pattern. */
function exactRoutes(site) {
    return site.flatMap(r => {
        if ('site' in r)
            return exactRoutes(r.site);
        if (!r.pattern.endsWith('/') || r.pattern.endsWith('/{$}'))
            return [r];
        if (r.middleware?.length)
            throw new Error(`subtree route ${r.pattern} cannot have middleware`);
        return [];
    });
}
function honoPath(goPath) {
    return goPath.replace(/\/\{\$\}$/, '/').replace(/\{([^}]+)\}/g, ':$1');
}
/**
 * The path hono routes on: the clean escaped path with every segment
 * unescaped to bytes (latin1) and only "%" and "/" escaped again, so literal
 * segments match as Go matches them and hono's param decoding yields Go's
 * wildcard values.
 */
function routingPath(target) {
    const simple = simplePath(target);
    if (simple !== undefined)
        return simple;
    const t = goTarget(target ?? '/');
    if (t === 'bad')
        return '/';
    const segments = cleanPath(t.path)
        .split('/')
        .map(seg => unescapeSegment(seg) ?? seg);
    // Go's wildcards never match a segment that is exactly "/" (it marks a trailing slash): leave it to the Go model.
    if (segments.includes('/'))
        return UNROUTABLE;
    return segments.map(seg => seg.replace(/%/g, '%25').replace(/\//g, '%2F')).join('/');
}
/** A path no route matches: hono's notFound then asks the Go model. */
const UNROUTABLE = '/\u0000';
/**
 * Segments of unreserved characters, none of them "." or "..", no empty ones:
 * a path Go would neither clean nor unescape (the common case, decided by one
 * regular expression instead of the general rules).
 */
const SIMPLE_PATH = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*\/?$/;
function hasControl(s) {
    for (let i = 0; i < s.length; i++)
        if (s.charCodeAt(i) < 0x20 || s.charCodeAt(i) === 0x7f)
            return true;
    return false;
}
/** The target's path if it is simple (see SIMPLE_PATH), else undefined. */
function simplePath(target) {
    if (target === undefined)
        return undefined;
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    return path !== '' && SIMPLE_PATH.test(path) && (q < 0 || !hasControl(target)) ? path : undefined;
}
export function buildApp(site, opts) {
    const mux = toGoMux(site);
    const app = new Hono({
        getPath: (_req, o) => routingPath(o?.env && 'incoming' in o.env ? o.env.incoming.url : undefined),
    });
    // Request log (debug) and metrics for named endpoints, around everything.
    app.use('*', async (c, next) => {
        const started = performance.now();
        await next();
        const seconds = (performance.now() - started) / 1000;
        const endpoint = c.get('endpoint');
        if (endpoint && opts.observe)
            opts.observe(endpoint, c.res.status, seconds);
        if (opts.logger.enabled('debug'))
            opts.logger.debug('request', {
                method: c.req.method,
                path: c.env.incoming.url,
                status: c.res.status,
                ms: Math.round(seconds * 1e4) / 10,
            });
    });
    // Go's server and mux before any handler: an unparsable target is 400, an unclean path 307.
    app.use('*', async (c, next) => {
        if (simplePath(c.env.incoming.url) !== undefined)
            return next();
        const t = goTarget(c.env.incoming.url ?? '/');
        if (t === 'bad')
            return goBadRequest();
        if (cleanPath(t.path) !== t.path) {
            const r = mux.resolve(c.req.method, t.path, t.query); // an unclean path always redirects
            if (r.kind === 'redirect')
                return goRedirect(r.location, c.req.method);
        }
        await next();
    });
    for (const r of exactRoutes(site)) {
        const sp = r.pattern.indexOf(' ');
        const method = sp < 0 ? undefined : r.pattern.slice(0, sp);
        const path = honoPath(sp < 0 ? r.pattern : r.pattern.slice(sp + 1));
        const handler = (c) => run(c, r, c.req.param());
        // hono composes every handler registered for a route, in order: the route's middleware, then its handler.
        for (const h of [...(r.middleware ?? []), handler]) {
            if (method)
                app.on(method, path, h);
            else
                app.all(path, h);
        }
    }
    app.notFound(c => {
        const t = goTarget(c.env.incoming.url ?? '/');
        return t === 'bad' ? goBadRequest() : answer(c, mux.resolve(c.req.method, t.path, t.query));
    });
    app.onError((e, c) => {
        if (e instanceof ApiError)
            return apiError(e.status, e.message);
        if (!('reported' in e && e.reported === true))
            opts.logger.error('internal error serving request', { path: c.env.incoming.url, error: e.stack ?? String(e) });
        return plainError(500, 'internal server error\n');
    });
    return app;
}
function run(c, r, params) {
    if (r.endpoint)
        c.set('endpoint', r.endpoint);
    return r.handler(c, params);
}
async function answer(c, res) {
    switch (res.kind) {
        case 'redirect':
            return goRedirect(res.location, c.req.method);
        case 'not-found':
            return goNotFound();
        case 'method-not-allowed':
            return goMethodNotAllowed(res.allow);
        case 'handler':
            // A route hono does not route itself (a subtree catch-all, which has no middleware).
            return run(c, res.handler, res.params);
    }
}
