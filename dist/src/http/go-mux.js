// Go's net/http ServeMux (Go 1.22+ patterns), modelled exactly, because
// log-go's clients and tests see its answers: this is the one place that
// knows them. Everything else in src/http/ is plain hono.
//
//   - the request path is used in its escaped form; invalid %-escapes in it
//     are a 400 from Go's server before any routing (goTarget);
//   - the escaped path is cleaned (path.Clean, keeping a trailing slash); an
//     unclean path is redirected (307) to the clean one;
//   - matching goes segment by segment on the *unescaped* segments, literal
//     before single wildcard before multi wildcard, with backtracking;
//     "{x}" matches one non-empty segment, "/a/" a subtree (anything below,
//     including "/a/" itself), "/a/{$}" exactly "/a/"; GET patterns also
//     serve HEAD; a pattern without a method serves every method;
//   - no exact match, but one with a trailing slash appended: 307 there;
//   - no match for the method, but for others: 405 with an Allow header;
//   - otherwise 404 "404 page not found".
// A route's target may be another GoMux (log-go nests sigsum-go's server
// mux under its own), which resolves the same request again.
//
// Wildcard values are byte strings (latin1, one char per byte), as Go's are.
class Node {
    pattern;
    children = new Map(); // literal key, "/" (trailing slash), "*" (multi)
    empty; // single wildcard
    child(key, create) {
        if (key === '')
            return create ? (this.empty ??= new Node()) : this.empty;
        let c = this.children.get(key);
        if (!c && create)
            this.children.set(key, (c = new Node()));
        return c;
    }
}
/** Go's url.PathUnescape on one segment, as a byte string; undefined if an escape is invalid. */
export function unescapeSegment(seg) {
    if (!seg.includes('%'))
        return seg;
    let out = '';
    for (let i = 0; i < seg.length; i++) {
        if (seg[i] !== '%') {
            out += seg[i];
            continue;
        }
        const hex = seg.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex))
            return undefined;
        out += String.fromCharCode(parseInt(hex, 16));
        i += 2;
    }
    return out;
}
function parsePattern(str, target) {
    const sp = str.indexOf(' ');
    const method = sp < 0 ? '' : str.slice(0, sp);
    const path = sp < 0 ? str : str.slice(sp + 1).trimStart();
    if (!path.startsWith('/'))
        throw new Error(`pattern ${JSON.stringify(str)}: the path must start with "/"`);
    const segments = [];
    let rest = path;
    while (rest.length > 0) {
        rest = rest.slice(1);
        if (rest.length === 0) {
            segments.push({ s: '', wild: true, multi: true }); // trailing slash: subtree
            break;
        }
        const i = rest.indexOf('/');
        const seg = i < 0 ? rest : rest.slice(0, i);
        rest = i < 0 ? '' : rest.slice(i);
        if (!seg.startsWith('{')) {
            segments.push({ s: unescapeSegment(seg) ?? seg, wild: false, multi: false });
            continue;
        }
        const name = seg.slice(1, -1);
        if (name === '$') {
            if (rest !== '')
                throw new Error(`pattern ${JSON.stringify(str)}: {$} not at the end`);
            segments.push({ s: '/', wild: false, multi: false });
            break;
        }
        const multi = name.endsWith('...');
        if (multi && rest !== '')
            throw new Error(`pattern ${JSON.stringify(str)}: {...} not at the end`);
        segments.push({ s: multi ? name.slice(0, -3) : name, wild: true, multi });
    }
    return { str, method, segments, target };
}
/** Go's cleanPath: path.Clean, keeping a trailing slash. */
export function cleanPath(p) {
    if (p === '')
        return '/';
    if (p[0] !== '/')
        p = '/' + p;
    const out = [];
    for (const part of p.split('/')) {
        if (part === '' || part === '.')
            continue;
        if (part === '..')
            out.pop();
        else
            out.push(part);
    }
    let np = '/' + out.join('/');
    if (p.endsWith('/') && np !== '/')
        np += '/';
    return np;
}
const PATH_SAFE = /[A-Za-z0-9\-_.~$&+,/:;=@]/;
/** Go's url.URL{Path: p}.EscapedPath() for a byte string p. */
export function escapePath(p) {
    let out = '';
    for (const ch of p) {
        const c = ch.charCodeAt(0);
        if (c < 0x80 && PATH_SAFE.test(ch))
            out += ch;
        else
            for (const b of c < 0x100 ? [c] : Buffer.from(ch, 'utf8'))
                out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
    }
    return out;
}
function firstSegment(path) {
    if (path === '/')
        return ['/', ''];
    const p = path.slice(1);
    const i = p.indexOf('/');
    const seg = i < 0 ? p : p.slice(0, i);
    return [unescapeSegment(seg) ?? seg, i < 0 ? '' : p.slice(i)];
}
export class GoMux {
    root = new Node(); // children keyed by method ("" = any)
    constructor(routes) {
        for (const r of routes) {
            const p = parsePattern(r.pattern, r.target);
            let n = this.root.child(p.method, true);
            for (const seg of p.segments)
                n = seg.multi ? n.child('*', true) : n.child(seg.wild ? '' : seg.s, true);
            if (n.pattern)
                throw new Error(`pattern ${JSON.stringify(r.pattern)} registered twice`);
            n.pattern = p;
        }
    }
    /** Resolves a request whose path (escaped, as sent) has already passed goTarget's checks. */
    resolve(method, escapedPath, rawQuery) {
        const path = cleanPath(escapedPath);
        const query = rawQuery === '' ? '' : `?${rawQuery}`;
        const m = this.match(method, path);
        if (!exactMatch(m?.node, path)) {
            const m2 = this.match(method, path + '/');
            if (m2 && exactMatch(m2.node, path + '/')) {
                const decoded = unescapeSegment(escapedPath) ?? escapedPath; // Go's r.URL.Path
                return { kind: 'redirect', location: escapePath(cleanPath(decoded) + '/') + query };
            }
        }
        if (path !== escapedPath)
            return { kind: 'redirect', location: escapePath(path) + query };
        if (!m) {
            const allow = this.matchingMethods(path);
            return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
        }
        const target = m.node.pattern.target;
        if (target instanceof GoMux)
            return target.resolve(method, escapedPath, rawQuery);
        const params = {};
        m.node.pattern.segments.filter(s => s.wild && s.s !== '').forEach((s, i) => (params[s.s] = m.matches[i]));
        return { kind: 'handler', handler: target, params, pattern: m.node.pattern.str };
    }
    match(method, path) {
        return (matchPath(this.root.child(method, false), path, []) ??
            (method === 'HEAD' ? matchPath(this.root.child('GET', false), path, []) : undefined) ??
            matchPath(this.root.child('', false), path, []));
    }
    matchingMethods(path) {
        const set = new Set();
        for (const p of [path, path + '/']) {
            for (const [method, n] of this.root.children)
                if (matchPath(n, p, []))
                    set.add(method);
        }
        if (set.has('GET'))
            set.add('HEAD');
        return [...set].sort();
    }
}
function matchPath(n, path, matches) {
    if (!n)
        return undefined;
    if (path === '')
        return n.pattern ? { node: n, matches } : undefined;
    const [seg, rest] = firstSegment(path);
    const lit = matchPath(n.child(seg, false), rest, matches);
    if (lit)
        return lit;
    if (seg !== '/') {
        const wild = matchPath(n.empty, rest, [...matches, seg]);
        if (wild)
            return wild;
    }
    const multi = n.children.get('*');
    if (multi)
        return {
            node: multi,
            matches: multi.pattern.segments.at(-1).s !== ''
                ? [...matches, unescapeSegment(path.slice(1)) ?? path.slice(1)]
                : matches,
        };
    return undefined;
}
function exactMatch(n, path) {
    if (!n)
        return false;
    if (!n.pattern.segments.at(-1)?.multi)
        return true;
    if (path.length > 0 && !path.endsWith('/'))
        return false;
    return n.pattern.segments.length === path.split('/').length - 1;
}
/**
 * Go's server-level checks of the request target (url.ParseRequestURI):
 * origin-form or absolute-form; control characters and invalid %-escapes in
 * the path are a 400 before any routing. Returns the escaped path and the raw
 * query, or "bad".
 */
export function goTarget(target) {
    let t = target;
    const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(t);
    if (abs)
        t = t.slice(abs[0].length) || '/';
    if (!t.startsWith('/'))
        return 'bad';
    for (let i = 0; i < t.length; i++)
        if (t.charCodeAt(i) < 0x20 || t.charCodeAt(i) === 0x7f)
            return 'bad'; // control characters
    const q = t.indexOf('?');
    const path = q < 0 ? t : t.slice(0, q);
    const query = q < 0 ? '' : t.slice(q + 1);
    if (unescapeSegment(path) === undefined)
        return 'bad';
    return { path, query };
}
