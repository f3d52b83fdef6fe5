// Response framing with log-go's exact bytes: success bodies are plain text;
// API errors are "(<code>) <message>\n" as text/plain with nosniff, like Go's
// http.Error around sigsum-go's api.Error; mux answers (404, 405, 301) and
// Go's server-level 400 are worded as Go's net/http words them.

const TEXT = 'text/plain; charset=utf-8';
const TEXT_HEADERS = { 'content-type': TEXT };

/** A 4xx/5xx answer a handler decides on: "(status) message". */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function text(body: string, status = 200): Response {
  return new Response(body, { status, headers: TEXT_HEADERS });
}

export function empty200(): Response {
  return new Response(null, { status: 200, headers: { 'content-length': '0' } });
}

/** An api.Error response: "(code) message\n". */
export function apiError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return plainError(status, `(${status}) ${message}\n`, headers);
}

/** Go's http.Error: the body as given, text/plain, nosniff. */
export function plainError(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { 'content-type': TEXT, 'x-content-type-options': 'nosniff', ...headers },
  });
}

/** Go's http.Redirect with 301: a small HTML body for GET and HEAD only. */
export function goRedirect(location: string, method: string): Response {
  if (method !== 'GET' && method !== 'HEAD') return new Response(null, { status: 301, headers: { location } });
  const esc = location
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;')
    .replace(/'/g, '&#39;');
  return new Response(`<a href="${esc}">Moved Permanently</a>.\n\n`, {
    status: 301,
    headers: { location, 'content-type': 'text/html; charset=utf-8' },
  });
}

/** Go's server answer to a request target it cannot parse (before any handler). */
export function goBadRequest(): Response {
  return new Response('400 Bad Request', { status: 400, headers: { 'content-type': TEXT, connection: 'close' } });
}

export const goNotFound = () => plainError(404, '404 page not found\n');
export const goMethodNotAllowed = (allow: string[]) =>
  plainError(405, 'Method Not Allowed\n', { allow: allow.join(', ') });
