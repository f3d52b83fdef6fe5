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
// of headers) before any of this, and sees one request at a time: every
// connection reaches it through a RequestGate (request-gate.ts), so a client
// that pipelines thousands of requests has at most a couple parsed at once.
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { RequestGate } from './request-gate.js';
import { getRequestListener } from '@hono/node-server';
import { apiError } from './responses.js';
/** "host:port" (IPv6 as "[::1]:port"); an empty host listens everywhere. */
export function parseEndpoint(s) {
    const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s);
    if (!m)
        throw new Error(`invalid endpoint ${JSON.stringify(s)}: want HOST:PORT`);
    const port = Number(m[3]);
    if (port > 65535)
        throw new Error(`invalid port in ${JSON.stringify(s)}`);
    return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]), port };
}
export function listen(endpoint, app, limits) {
    const { host, port } = parseEndpoint(endpoint);
    const handle = getRequestListener(app.fetch);
    const conns = new WeakMap();
    const gates = new Set();
    let overflows = 0;
    let closing = false;
    const next = (gate, c) => {
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
            if (done)
                return;
            done = true;
            setImmediate(() => next(gate, c)); // let other connections' I/O run between requests
        };
        res.once('finish', after);
        res.once('close', after);
        void handle(req, res);
    };
    const server = createServer({
        requestTimeout: limits.requestTimeoutMs,
        headersTimeout: limits.headersTimeoutMs,
        keepAliveTimeout: limits.keepAliveTimeoutMs,
        maxHeaderSize: 16384,
    }, (req, res) => {
        const gate = req.socket; // eslint-disable-line @typescript-eslint/no-unsafe-type-assertion -- every connection is handed to the server as a RequestGate (below)
        if (gate.destroyed)
            return;
        gate.taken(req);
        if (closing)
            res.shouldKeepAlive = false; // answer, then close: a busy keep-alive client must not hold shutdown
        let c = conns.get(gate);
        if (!c) {
            const fresh = { queue: [], busy: false };
            conns.set(gate, (c = fresh));
            gate.once('close', () => (fresh.queue.length = 0));
        }
        if (c.queue.length >= limits.maxPipelined) {
            overflows++;
            gate.destroy();
            return;
        }
        c.queue.push([req, res]);
        if (!c.busy)
            next(gate, c);
    });
    // Connections are accepted here and handed to the HTTP server through a RequestGate.
    const acceptor = createNetServer({ noDelay: true }, socket => {
        const gate = new RequestGate(socket);
        gates.add(gate);
        gate.once('close', () => gates.delete(gate));
        server.emit('connection', gate);
    });
    acceptor.maxConnections = limits.maxConnections;
    return new Promise((resolve, reject) => {
        const onError = (e) => reject(new Error(`cannot listen on ${endpoint}: ${e.message}`));
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
                close: (graceMs = 1000) => new Promise(res => {
                    closing = true;
                    acceptor.close();
                    // Idle connections close now and whenever one becomes idle; busy ones after their answer, or at graceMs.
                    const finish = () => {
                        if (gates.size > 0)
                            return;
                        clearInterval(idle);
                        clearTimeout(hard);
                        res();
                    };
                    const idle = setInterval(() => {
                        server.closeIdleConnections();
                        finish();
                    }, 20);
                    const hard = setTimeout(() => {
                        for (const g of gates)
                            g.destroy();
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
 * A bounded number of costly answers in flight on one listener: a permit is
 * held from the start of the handler until its answer is handed to the
 * kernel; at most `maxWaiting` requests wait for one, further ones get 503.
 * A client that does not read its answer holds a permit at most `maxHoldMs`:
 * then its connection is closed.
 */
export class Permits {
    max;
    maxWaiting;
    maxHoldMs;
    inUse = 0;
    waiting = [];
    constructor(max, maxWaiting, 
    /** A permit held longer (a client that does not read its answer) closes that connection. */
    maxHoldMs = 15_000) {
        this.max = max;
        this.maxWaiting = maxWaiting;
        this.maxHoldMs = maxHoldMs;
    }
    get busy() {
        return this.inUse;
    }
    /** hono middleware for the costly routes. */
    middleware() {
        return async (c, next) => {
            const socket = c.env.incoming.socket;
            if (this.inUse >= this.max) {
                if (this.waiting.length >= this.maxWaiting)
                    return apiError(503, 'server busy, retry later', { 'retry-after': '1' });
                await new Promise(resolve => this.waiting.push(resolve));
            }
            else
                this.inUse++;
            let released = false;
            const stalled = setTimeout(() => socket.destroy(), this.maxHoldMs);
            const release = () => {
                if (released)
                    return;
                released = true;
                clearTimeout(stalled);
                const w = this.waiting.shift();
                if (w)
                    w();
                else
                    this.inUse--;
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
