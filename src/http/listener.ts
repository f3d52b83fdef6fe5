// A node:http listener in front of a hono app, with the bounds an untrusted
// network needs:
//   - each connection's requests are handled one at a time, in order, as Go's
//     server does: a pipelined request waits until the answer before it has
//     been handed to the kernel (back-pressure from a client that does not
//     read), and at most `maxPipelined` may wait; a connection that pipelines
//     more is closed (only attackers pipeline that deep);
//   - a request whose connection is gone is dropped before any work starts;
//   - requests start in arrival order from one FIFO that yields to the event
//     loop every few milliseconds, so busy connections cannot delay the
//     acceptance of a new one;
//   - costly endpoints (get-leaves, proofs) share `Permits`: at most so many
//     answers in memory at once, a bounded queue, then 503;
//   - headers, whole requests and idle keep-alive connections have timeouts,
//     and the number of connections is capped.
// Node's own HTTP parser answers what it cannot parse (400, 431 above 16 KiB
// of headers) before any of this, and sees one request at a time: every
// connection reaches it through a RequestGate (request-gate.ts), so a client
// that pipelines thousands of requests has at most a couple parsed at once.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { RequestGate } from './request-gate.js';
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
  const conns = new WeakMap<RequestGate, Conn>();
  const turns = new Turns();
  const gates = new Set<RequestGate>();
  let overflows = 0;
  let closing = false;

  const next = (gate: RequestGate, c: Conn) => {
    const item = c.queue.shift();
    if (!item) {
      c.busy = false;
      gate.ready(); // every request of this connection is answered: the next may be parsed
      return;
    }
    const [req, res] = item;
    if (gate.destroyed) {
      c.queue.length = 0;
      c.busy = false;
      return;
    }
    c.busy = true;
    let done = false;
    const after = () => {
      if (done) return;
      done = true;
      turns.run(() => next(gate, c)); // a connection's next request waits its turn behind the others'
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
      const gate = req.socket as unknown as RequestGate; // eslint-disable-line @typescript-eslint/no-unsafe-type-assertion -- every connection is handed to the server as a RequestGate (below)
      if (gate.destroyed) return;
      gate.taken(req);
      if (closing) res.shouldKeepAlive = false; // answer, then close: a busy keep-alive client must not hold shutdown
      let c = conns.get(gate);
      if (!c) {
        const fresh: Conn = { queue: [], busy: false };
        conns.set(gate, (c = fresh));
        gate.once('close', () => (fresh.queue.length = 0));
      }
      if (c.queue.length >= limits.maxPipelined) {
        overflows++;
        gate.destroy();
        return;
      }
      c.queue.push([req, res]);
      if (!c.busy) {
        c.busy = true;
        turns.run(() => next(gate, c)); // new connections take turns too: heavy work never piles up in one loop turn
      }
    },
  );
  // Connections are accepted here and handed to the HTTP server through a RequestGate.
  const acceptor = createNetServer({ noDelay: true }, socket => {
    const gate = new RequestGate(socket);
    gates.add(gate);
    gate.once('close', () => gates.delete(gate));
    server.emit('connection', gate);
  });
  acceptor.maxConnections = limits.maxConnections;

  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(new Error(`cannot listen on ${endpoint}: ${e.message}`));
    acceptor.once('error', onError);
    acceptor.listen(port, host, () => {
      acceptor.off('error', onError);
      const addr = acceptor.address();
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
            acceptor.close();
            // Idle connections close now and whenever one becomes idle; busy ones after their answer, or at graceMs.
            const finish = () => {
              if (gates.size > 0) return;
              clearInterval(idle);
              clearTimeout(hard);
              res();
            };
            const idle = setInterval(() => {
              server.closeIdleConnections();
              finish();
            }, 20);
            const hard = setTimeout(() => {
              for (const g of gates) g.destroy();
              server.closeAllConnections();
              setImmediate(finish);
            }, graceMs);
            server.closeIdleConnections();
            finish();
          }),
      });
    });
  });
}

/**
 * Turns: every request starts from this FIFO, which runs for at most SLICE_MS
 * per turn of the event loop (a connection's next request is queued when its
 * last one is answered, so the queue holds at most one entry per
 * connection). Node accepts one new connection per turn of the loop, so a
 * loop turn that served every busy connection at once (60 pipelining
 * clients, 4 ms each) would keep a new client waiting seconds just to be
 * accepted.
 */
class Turns {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;

  run(fn: () => void): void {
    this.queue.push(fn);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    const until = performance.now() + SLICE_MS;
    while (this.queue.length > 0 && performance.now() < until) this.queue.shift()!();
    if (this.queue.length > 0) setImmediate(() => this.drain());
    else this.scheduled = false;
  }
}

const SLICE_MS = 4;

/**
 * A bounded number of costly answers in flight on one listener: a permit is
 * held from the start of the handler until its answer is handed to the
 * kernel; at most `maxWaiting` requests wait for one, further ones get 503.
 * A client that does not read its answer holds a permit at most `maxHoldMs`:
 * then its connection is closed.
 */
export class Permits {
  private inUse = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly max: number,
    private readonly maxWaiting: number,
    /** A permit held longer (a client that does not read its answer) closes that connection. */
    private readonly maxHoldMs = 15_000,
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
      const stalled = setTimeout(() => socket.destroy(), this.maxHoldMs);
      const release = () => {
        if (released) return;
        released = true;
        clearTimeout(stalled);
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
