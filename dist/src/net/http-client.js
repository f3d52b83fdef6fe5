// Outgoing HTTP for node-to-node calls (replication, witnesses, promotion
// probes). Every peer is untrusted, so every call has one total deadline that
// covers connecting, the headers and the whole body (a peer that trickles
// bytes costs at most that deadline), a cap on the response size, and an
// optional AbortSignal (shutdown aborts whatever is in flight). Every failure
// is a PeerError whose message names the URL and what went wrong.
//
// Built on node:http rather than fetch: Node 20's fetch can keep reading a
// body long after its AbortSignal fired.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { errorMessage } from '../util/errors.js';
export class PeerError extends Error {
    status;
    constructor(message, 
    /** HTTP status when the peer answered, undefined for network errors and timeouts. */
    status) {
        super(message);
        this.status = status;
    }
}
export const USER_AGENT = 'sigsum-log';
// Connections are reused: a secondary long-polls its primary several times a second.
const agents = {
    'http:': new HttpAgent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 8 }),
    'https:': new HttpsAgent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 8 }),
};
/** Requests `url` and returns status and body, whatever the status. Network errors, timeouts, aborts and oversize bodies throw PeerError. */
export function peerRequest(url, opts) {
    const maxBytes = opts.maxBytes ?? 16 << 20;
    return new Promise((resolve, reject) => {
        let u;
        try {
            u = new URL(url);
            if (u.protocol !== 'http:' && u.protocol !== 'https:')
                throw new Error(`unsupported scheme ${u.protocol}`);
        }
        catch (e) {
            reject(new PeerError(`${url}: ${errorMessage(e)}`));
            return;
        }
        let settled = false;
        let status;
        const finish = (err, res) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            opts.signal?.removeEventListener('abort', onAbort);
            if (err) {
                req.destroy();
                reject(err);
            }
            else
                resolve(res);
        };
        const fail = (why) => finish(new PeerError(`${url}: ${why}`, status));
        const timer = setTimeout(() => fail(`no complete answer within ${opts.timeoutMs} ms`), opts.timeoutMs);
        const onAbort = () => fail('aborted (shutting down)');
        const body = opts.body === undefined ? undefined : Buffer.from(opts.body, 'utf8');
        const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
            method: opts.method ?? 'GET',
            agent: u.protocol === 'https:' ? agents['https:'] : agents['http:'],
            headers: {
                'user-agent': USER_AGENT,
                ...(body ? { 'content-length': String(body.length) } : {}),
                ...opts.headers,
            },
        });
        req.on('error', e => fail(describe(e)));
        req.on('response', (res) => {
            status = res.statusCode ?? 0;
            const declared = Number(res.headers['content-length'] ?? NaN);
            if (declared > maxBytes)
                return fail(`response of ${declared} bytes exceeds ${maxBytes}`);
            const chunks = [];
            let total = 0;
            res.on('data', (c) => {
                total += c.length;
                if (total > maxBytes)
                    return fail(`response exceeds ${maxBytes} bytes`);
                chunks.push(c);
            });
            res.on('error', e => fail(describe(e)));
            res.on('aborted', () => fail('connection closed before the end of the answer'));
            res.on('end', () => {
                const headers = res.headers;
                finish(undefined, {
                    status: status,
                    text: Buffer.concat(chunks).toString('utf8'),
                    header: name => {
                        const v = headers[name.toLowerCase()];
                        return Array.isArray(v) ? v.join(', ') : v;
                    },
                });
            });
        });
        if (opts.signal?.aborted)
            return onAbort();
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        req.end(body);
    });
}
/** Like peerRequest but any status other than 200 throws a PeerError carrying the status and the body's first line. */
export async function peerRequestOk(url, opts) {
    const r = await peerRequest(url, opts);
    if (r.status !== 200)
        throw new PeerError(`${url}: HTTP ${r.status}${r.text ? ` ${JSON.stringify(firstLine(r.text))}` : ''}`, r.status);
    return r;
}
export function firstLine(text) {
    return text.split('\n')[0].slice(0, 200);
}
function describe(e) {
    return e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message;
}
/** Closes idle kept-alive connections to peers (at shutdown, so nothing keeps the process alive). */
export function closePeerConnections() {
    agents['http:'].destroy();
    agents['https:'].destroy();
}
/** Joins a base URL (possibly with a path prefix, with or without a trailing slash) and an endpoint name. */
export function joinUrl(base, endpoint) {
    return base.replace(/\/+$/, '') + '/' + endpoint.replace(/^\/+/, '');
}
