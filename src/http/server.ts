// HTTP listeners: hono on @hono/node-server, with every request dispatched
// through the Go-compatible Mux. Routes are mounted under the URL prefix;
// errors become "(code) message" bodies; unexpected failures are 500s that
// are logged and never crash the process.
import { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../util/logger.js';
import { Mux, type MuxResult, type Route } from './mux.js';
import type { Handler } from './public-api.js';
import { HttpError, apiError, plainError, redirect } from './respond.js';

export function normalizePrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}

/** Mounts routes under "/<prefix>" (nothing added for an empty prefix). */
export function mount(prefix: string, routes: Route<Handler>[]): Route<Handler>[] {
  const p = normalizePrefix(prefix);
  return routes.map(r => ({ ...r, pattern: p === '' ? r.pattern : `/${p}${r.pattern}` }));
}

/** The request target as sent (WHATWG URL parsing would resolve "..", which Go redirects instead). */
function rawTarget(req: Request, target: string | undefined): { path: string; query: string } {
  if (target === undefined || !target.startsWith('/')) {
    const url = new URL(req.url);
    return { path: url.pathname, query: url.search };
  }
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q) };
}

/** Observes every request that reached a named route (metrics). */
export type RequestObserver = (endpoint: string, status: number, seconds: number) => void;

/**
 * The request pipeline: routing, error framing, and a middleware that logs
 * one line per request at debug and reports named endpoints to `observe`.
 */
export function dispatcher(mux: Mux<Handler>, logger: Logger, observe?: RequestObserver): (req: Request, target?: string, incoming?: IncomingMessage) => Promise<Response> {
  return async (req: Request, target?: string, incoming?: IncomingMessage) => {
    const started = performance.now();
    const { path: rawPath, query } = rawTarget(req, target);
    const m = mux.match(req.method, rawPath, query);
    const res = await route(m, req, rawPath, logger, incoming);
    const seconds = (performance.now() - started) / 1000;
    if (m.kind === 'handler' && m.endpoint && observe) observe(m.endpoint, res.status, seconds);
    if (logger.enabled('debug')) logger.debug('request', { method: req.method, path: rawPath, status: res.status, ms: Math.round(seconds * 1e4) / 10 });
    return res;
  };
}

async function route(m: MuxResult<Handler>, req: Request, rawPath: string, logger: Logger, incoming?: IncomingMessage): Promise<Response> {
  switch (m.kind) {
    case 'redirect':
      return redirect(m.location);
    case 'not-found':
      return plainError(404, '404 page not found\n');
    case 'method-not-allowed':
      return plainError(405, 'Method Not Allowed\n', { allow: m.allow.join(', ') });
    case 'bad-path':
      return apiError(400, 'Bad Request');
    case 'handler':
      try {
        return await m.handler(req, m.params, incoming);
      } catch (e) {
        if (e instanceof HttpError) return apiError(e.status, e.message);
        logger.error('internal error serving request', { path: rawPath, error: (e as Error).stack ?? String(e) });
        return plainError(500, `${(e as Error).message}\n`);
      }
  }
}

export interface Listener {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Parses "host:port" (IPv6 as "[::1]:port"). */
export function parseEndpoint(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s);
  if (!m) throw new Error(`invalid endpoint ${JSON.stringify(s)}: want HOST:PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in ${JSON.stringify(s)}`);
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]), port };
}

export function listen(endpoint: string, handle: (req: Request, target?: string, incoming?: IncomingMessage) => Promise<Response>): Promise<Listener> {
  const { host, port } = parseEndpoint(endpoint);
  const app = new Hono<{ Bindings: { incoming?: IncomingMessage } }>();
  app.all('*', c => handle(c.req.raw, c.env?.incoming?.url, c.env?.incoming));
  return new Promise((resolve, reject) => {
    let server: ServerType;
    const onError = (e: Error) => reject(new Error(`cannot listen on ${endpoint}: ${e.message}`));
    server = serve({ fetch: app.fetch, hostname: host, port }, info => {
      server.off('error', onError);
      const addr = info as AddressInfo;
      const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        url: `http://${shownHost}:${addr.port}`,
        port: addr.port,
        close: () =>
          new Promise(res => {
            server.close(() => res());
            const s = server as unknown as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
            s.closeIdleConnections?.();
            setTimeout(() => s.closeAllConnections?.(), 2000).unref();
          }),
      });
    });
    server.once('error', onError);
    (server as unknown as { requestTimeout: number; headersTimeout: number; keepAliveTimeout: number }).requestTimeout = 30_000;
  });
}

type RequestHandler = (req: Request, target?: string, incoming?: IncomingMessage) => Promise<Response>;

/**
 * A node's two listeners and its orderly stop, shared by both roles.
 * `stopping` turns true when stop() begins (the health endpoint reads it).
 */
export class NodeListeners {
  stopping = false;
  external!: Listener;
  internal!: Listener;

  /** Listens on both endpoints; if either fails, closes what it opened and calls `onFail` (closing storage). */
  async open(externalEndpoint: string, external: RequestHandler, internalEndpoint: string, internal: RequestHandler, onFail: () => void): Promise<void> {
    let ext: Listener | undefined;
    try {
      ext = await listen(externalEndpoint, external);
      this.internal = await listen(internalEndpoint, internal);
      this.external = ext;
    } catch (e) {
      await ext?.close();
      onFail();
      throw e;
    }
  }

  /** stop(), once: listeners, then the log, then storage, then `done`. */
  stopper(stopLog: () => Promise<void>, closeStorage: () => void, done: () => void): () => Promise<void> {
    let stopped: Promise<void> | undefined;
    return () => {
      this.stopping = true;
      return (stopped ??= (async () => {
        await Promise.all([this.external.close(), this.internal.close()]);
        await stopLog();
        closeStorage();
        done();
      })());
    };
  }
}
