// Response framing with log-go's exact bytes: success bodies are plain text;
// API errors are "(<code>) <message>\n" as text/plain with nosniff, like Go's
// http.Error around sigsum-go's api.Error; mux answers (404, 405, 307) and
// Go's server-level 400 are worded as Go's net/http words them.
const TEXT = 'text/plain; charset=utf-8';
const TEXT_HEADERS = { 'content-type': TEXT };
/** A 4xx/5xx answer a handler decides on: "(status) message". */
export class ApiError extends Error {
    status;
    constructor(status, message) {
        super(message);
        this.status = status;
    }
}
export function text(body, status = 200) {
    return new Response(body, { status, headers: TEXT_HEADERS });
}
export function empty200() {
    return new Response(null, { status: 200, headers: { 'content-length': '0' } });
}
/** An api.Error response: "(code) message\n". */
export function apiError(status, message, headers = {}) {
    return plainError(status, `(${status}) ${message}\n`, headers);
}
/** Go's http.Error: the body as given, text/plain, nosniff. */
export function plainError(status, body, headers = {}) {
    return new Response(body, {
        status,
        headers: { 'content-type': TEXT, 'x-content-type-options': 'nosniff', ...headers },
    });
}
/**
 * Go's ServeMux redirect as the reference log-go build answers it (Go 1.26:
 * 307, which keeps the method; Go 1.25 and older sent 301): http.Redirect's
 * small HTML body for GET and HEAD only. A handler's own http.Redirect may
 * use 301 (log-go's root redirect to the URL prefix).
 */
export function goRedirect(location, method, status = 307) {
    if (method !== 'GET' && method !== 'HEAD')
        return new Response(null, { status, headers: { location } });
    const esc = location
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&#34;')
        .replace(/'/g, '&#39;');
    return new Response(`<a href="${esc}">${status === 301 ? 'Moved Permanently' : 'Temporary Redirect'}</a>.\n\n`, {
        status,
        headers: { location, 'content-type': 'text/html; charset=utf-8' },
    });
}
/** Go's server answer to a request target it cannot parse (before any handler). */
export function goBadRequest() {
    return new Response('400 Bad Request', { status: 400, headers: { 'content-type': TEXT, connection: 'close' } });
}
export const goNotFound = () => plainError(404, '404 page not found\n');
export const goMethodNotAllowed = (allow) => plainError(405, 'Method Not Allowed\n', { allow: allow.join(', ') });
