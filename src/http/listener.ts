// A node:http listener in front of a hono app, with the bounds an untrusted
// network needs:
//   - each connection's requests are handled one at a time, in order, as Go's
//     server does: a pipelined request waits until the answer before it has
//     been handed to the kernel (back-pressure from a client that does not
//     read), and at most `maxPipelined` may wait; a connection that pipelines
//     more is closed (only attackers pipeline that deep);
//   - a request whose connection is gone is dropped before any work starts;
//   - costly endpoints (get-leaves, proofs) share `Permits`: at most so many
//     answers in memory at once, a bounded queue, then 503;
//   - headers, whole requests and idle keep-alive connections have timeouts,
//     and the number of connections is capped.
// Node's own HTTP parser answers what it cannot parse (400, 431 above 16 KiB
// of headers) before any of this.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import type { Hono } from 'hono';
import type { Env } from './app.js';
import { apiError } from './responses.js';

export interface ListenerLimits {
  /** Requests a connection may have waiting behind the one being answered. */
  maxPipelined: number;
  /** Open connections at most. */
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export interface Listener {
  url: string;
  port: number;
  /** Connections closed for pipelining too deep (metrics). */
  readonly overflows: number;
  /** Stops accepting; idle connections close at once, busy ones after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/** "host:port" (IPv6 as "[::1]:port"); an empty host listens everywhere. */
export function parseEndpoint(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s);
  if (!m) throw new Error(`invalid endpoint ${JSON.stringify(s)}: want HOST:PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in ${JSON.stringify(s)}`);
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]), port };
}

interface Conn {
  queue: [IncomingMessage, ServerResponse][];
  busy: boolean;
}

export function listen(endpoint: string, app: Hono<Env>, limits: ListenerLimits): Promise<Listener> {
  const { host, port } = parseEndpoint(endpoint);
  const handle = getRequestListener(app.fetch);
  const conns = new WeakMap<Socket, Conn>();
  let overflows = 0;
  let closing = false;

  const next = (socket: Socket, c: Conn) => {
    const item = c.queue.shift();
    if (!item) {
      c.busy = false;
      return;
    }
    const [req, res] = item;
    if (socket.destroyed) {
      c.queue.length = 0;
      c.busy = false;
      return;
    }
    c.busy = true;
    let done = false;
    const after = () => {
      if (done) return;
      done = true;
      setImmediate(() => next(socket, c)); // let other connections' I/O run between requests
    };
    res.once('finish', after);
    res.once('close', after);
    void handle(req, res);
  };

  const server: Server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: 16384,
    },
    (req, res) => {
      const socket = req.socket;
      if (socket.destroyed) return;
      if (closing) res.shouldKeepAlive = false; // answer, then close: a busy keep-alive client must not hold shutdown
      let c = conns.get(socket);
      if (!c) {
        const fresh: Conn = { queue: [], busy: false };
        conns.set(socket, (c = fresh));
        socket.once('close', () => (fresh.queue.length = 0));
      }
      if (c.queue.length >= limits.maxPipelined) {
        overflows++;
        socket.destroy();
        return;
      }
      c.queue.push([req, res]);
      if (!c.busy) next(socket, c);
    },
  );
  server.maxConnections = limits.maxConnections;

  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(new Error(`cannot listen on ${endpoint}: ${e.message}`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      if (addr === null || typeof addr === 'string')
        return reject(new Error(`cannot listen on ${endpoint}: no address`));
      const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        url: `http://${shownHost}:${addr.port}`,
        port: addr.port,
        get overflows() {
          return overflows;
        },
        close: (graceMs = 1000) =>
          new Promise(res => {
            closing = true;
            // Idle connections close now and whenever one becomes idle; busy ones after their answer, or at graceMs.
            const idle = setInterval(() => server.closeIdleConnections(), 20);
            const hard = setTimeout(() => server.closeAllConnections(), graceMs);
            server.close(() => {
              clearInterval(idle);
              clearTimeout(hard);
              res();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}

/**
 * A bounded number of costly answers in flight on one listener: a permit is
 * held from the start of the handler until its answer is handed to the
 * kernel; at most `maxWaiting` requests wait for one, further ones get 503.
 */
export class Permits {
  private inUse = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly max: number,
    private readonly maxWaiting: number,
  ) {}

  get busy(): number {
    return this.inUse;
  }

  /** hono middleware for the costly routes. */
  middleware(): MiddlewareHandler<Env> {
    return async (c, next) => {
      const socket = c.env.incoming.socket;
      if (this.inUse >= this.max) {
        if (this.waiting.length >= this.maxWaiting)
          return apiError(503, 'server busy, retry later', { 'retry-after': '1' });
        await new Promise<void>(resolve => this.waiting.push(resolve));
      } else this.inUse++;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const w = this.waiting.shift();
        if (w) w();
        else this.inUse--;
      };
      c.env.outgoing.once('finish', release);
      c.env.outgoing.once('close', release);
      if (socket.destroyed) {
        release();
        return apiError(503, 'client went away');
      }
      await next();
    };
  }
}
