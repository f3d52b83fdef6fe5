// Outgoing HTTP for node-to-node calls (replication, witnesses):
// every request has a deadline and a response-size cap, and every failure
// becomes a PeerError whose message names the URL and what went wrong, so
// callers can log state changes without inspecting exception types.
import { readCapped } from '../util/read-capped.js';

export class PeerError extends Error {
  constructor(
    message: string,
    /** HTTP status when the peer answered, undefined for network errors and timeouts. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface PeerResponse {
  status: number;
  text: string;
  headers: Headers;
}

export interface FetchOptions {
  timeoutMs: number;
  /** Largest accepted response body in bytes. */
  maxBytes?: number;
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
}

export const USER_AGENT = 'sigsum-log';

/** Fetches `url` and returns status and body, whatever the status. Network errors, timeouts and oversize bodies throw PeerError. */
export async function fetchText(url: string, opts: FetchOptions): Promise<PeerResponse> {
  const maxBytes = opts.maxBytes ?? 16 << 20;
  const signal = AbortSignal.timeout(opts.timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      method: opts.method ?? 'GET',
      body: opts.body,
      headers: { 'user-agent': USER_AGENT, ...opts.headers },
      signal,
      redirect: 'error',
    });
  } catch (e) {
    throw new PeerError(`${url}: ${describe(e, opts.timeoutMs)}`);
  }
  try {
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) throw new PeerError(`${url}: response of ${declared} bytes exceeds ${maxBytes}`, res.status);
    const body = await readCapped(res.body, maxBytes);
    if (body === 'too-large') throw new PeerError(`${url}: response exceeds ${maxBytes} bytes`, res.status);
    return { status: res.status, text: body.toString('utf8'), headers: res.headers };
  } catch (e) {
    if (e instanceof PeerError) throw e;
    throw new PeerError(`${url}: ${describe(e, opts.timeoutMs)}`, res.status);
  }
}

/** Like fetchText but any status other than 200 throws a PeerError carrying the status and the body's first line. */
export async function fetchOk(url: string, opts: FetchOptions): Promise<PeerResponse> {
  const r = await fetchText(url, opts);
  if (r.status !== 200) throw new PeerError(`${url}: HTTP ${r.status}${r.text ? ` ${JSON.stringify(r.text.split('\n')[0].slice(0, 200))}` : ''}`, r.status);
  return r;
}

function describe(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  if (err.cause?.code) return `${err.cause.code}${err.cause.message ? ` (${err.cause.message})` : ''}`;
  if (err.cause?.message) return `${err.message}: ${err.cause.message}`;
  return err.message;
}

/** Joins a base URL (possibly with a path prefix, with or without a trailing slash) and an endpoint name. */
export function joinUrl(base: string, endpoint: string): string {
  return base.replace(/\/+$/, '') + '/' + endpoint.replace(/^\/+/, '');
}
