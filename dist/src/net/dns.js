// TXT lookups that report the records' TTL (node:dns's resolveTxt does not),
// so the submit-token cache can honour it: a query to each of the system's
// resolvers (dns.getServers()) in turn, over UDP with EDNS0, over TCP when
// the answer is truncated, each with one deadline. The DNS servers are peers
// too, and anyone on the path may try to spoof an answer, so an answer is
// taken only if:
//   - it comes from the server asked (a connected UDP socket drops
//     datagrams from any other address or port),
//   - it is a response (QR bit), with the query's ID, and repeats the
//     question exactly (name, type TXT, class IN);
//   - and only TXT records owned by the queried name (or by the names of a
//     CNAME chain starting there) are used.
// At most `maxConcurrent` lookups run at once; a bounded number wait; beyond
// that a lookup fails at once as "busy". dns-packet encodes and decodes.
import { getServers } from 'node:dns';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { randomInt } from 'node:crypto';
import * as packet from 'dns-packet';
import { errorMessage } from '../util/errors.js';
/** The name does not exist (NXDOMAIN). */
export class NotFoundError extends Error {
}
/** Too many lookups in progress: the caller should answer "try again later". */
export class BusyError extends Error {
}
const MAX_CNAMES = 8;
function query(name, id) {
    const opt = {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 4096,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
    };
    return {
        type: 'query',
        id,
        flags: packet.RECURSION_DESIRED,
        questions: [{ type: 'TXT', class: 'IN', name }],
        additionals: [opt],
    };
}
const sameName = (a, b) => a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();
/** Throws unless `res` answers exactly the query `id` for `name`. */
function checkResponse(res, id, name) {
    if (res.type !== 'response')
        throw new Error('not a DNS response (QR bit clear)');
    if (res.id !== id)
        throw new Error(`response ID ${res.id} is not the query's ${id}`);
    const q = res.questions ?? [];
    if (q.length !== 1 || q[0].type !== 'TXT' || (q[0].class ?? 'IN') !== 'IN' || !sameName(q[0].name, name))
        throw new Error('the response does not repeat the question');
}
/** The TXT records owned by `name` or by the names of the CNAME chain from it. */
export function txtRecordsFor(res, name) {
    const answers = res.answers ?? [];
    const owners = [name];
    for (let i = 0; i < MAX_CNAMES; i++) {
        const c = answers.find(a => a.type === 'CNAME' && sameName(a.name, owners[owners.length - 1]));
        const target = c && 'data' in c ? c.data : undefined;
        if (typeof target !== 'string')
            break;
        owners.push(target);
    }
    return answers.filter((a) => a.type === 'TXT' && owners.some(o => sameName(a.name, o)));
}
/**
 * One request/answer exchange with a deadline: `open` sets up the socket,
 * calls `done` with the answer or an error, and returns its cleanup, which
 * runs exactly once.
 */
function exchange(timeoutMs, what, open) {
    return new Promise((resolve, reject) => {
        let settled = false;
        let cleanup = () => { };
        const done = (err, res) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            cleanup();
            if (err || !res)
                reject(err ?? new Error('no answer'));
            else
                resolve(res);
        };
        const timer = setTimeout(() => done(new Error(`no answer from ${what} within ${timeoutMs} ms`)), timeoutMs);
        const close = open(done);
        if (settled)
            close();
        else
            cleanup = close;
    });
}
function udp(server, port, name, timeoutMs) {
    const id = randomInt(0, 65536);
    return exchange(timeoutMs, server, done => {
        const sock = createSocket(server.includes(':') ? 'udp6' : 'udp4');
        sock.on('error', e => done(e));
        sock.on('message', msg => {
            let res;
            try {
                res = packet.decode(msg);
                checkResponse(res, id, name);
            }
            catch {
                return; // not the answer to this query: keep waiting (until the deadline)
            }
            done(undefined, res);
        });
        // Connected: the kernel delivers only datagrams from this server and port.
        sock.connect(port, server, () => sock.send(packet.encode(query(name, id)), e => e && done(e)));
        return () => sock.close();
    });
}
function tcp(server, port, name, timeoutMs) {
    const id = randomInt(0, 65536);
    return exchange(timeoutMs, `${server} (tcp)`, done => {
        const sock = connect({ host: server, port });
        let buf = Buffer.alloc(0);
        sock.on('error', e => done(e));
        sock.on('connect', () => sock.write(packet.streamEncode(query(name, id))));
        sock.on('data', d => {
            buf = Buffer.concat([buf, d]);
            if (buf.length > 2 + 65535)
                return done(new Error('oversized TCP answer'));
            if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0))
                return;
            try {
                const res = packet.streamDecode(buf);
                checkResponse(res, id, name);
                done(undefined, res);
            }
            catch (e) {
                done(e instanceof Error ? e : new Error(String(e)));
            }
        });
        return () => sock.destroy();
    });
}
/** The response code dns-packet decodes (missing from its type declarations). */
function rcodeOf(res) {
    const r = Reflect.get(res, 'rcode');
    return typeof r === 'string' ? r : undefined;
}
function parseServer(s) {
    const m = /^\[(.+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
    return m ? { host: m[1], port: Number(m[2]) } : { host: s, port: 53 };
}
async function lookup(name, timeoutMs, servers) {
    let last = new Error('no DNS servers configured');
    for (const s of servers) {
        const { host, port } = parseServer(s);
        try {
            let res = await udp(host, port, name, timeoutMs);
            if ((res.flags ?? 0) & packet.TRUNCATED_RESPONSE)
                res = await tcp(host, port, name, timeoutMs);
            const rcode = rcodeOf(res);
            if (rcode === 'NXDOMAIN')
                throw new NotFoundError(`${name}: no such name`);
            if (rcode && rcode !== 'NOERROR')
                throw new Error(`${name}: DNS error ${rcode}`);
            const txt = txtRecordsFor(res, name);
            const records = txt.map(a => (Array.isArray(a.data) ? a.data : [a.data])
                .map(c => (typeof c === 'string' ? c : Buffer.from(c).toString('latin1')))
                .join(''));
            const ttl = txt.length > 0 ? Math.min(...txt.map(a => a.ttl ?? 0)) : 60;
            return { records, ttl };
        }
        catch (e) {
            if (e instanceof NotFoundError)
                throw e;
            last = e instanceof Error ? e : new Error(errorMessage(e));
        }
    }
    throw last;
}
/** The default resolver: the system's DNS servers, a deadline per server, a bound on lookups in flight. */
export function systemTxtResolver(opts = {}) {
    const { timeoutMs = 3000, servers = getServers, maxConcurrent = 32, maxWaiting = 256 } = opts;
    let running = 0;
    const waiting = [];
    return async (name) => {
        if (running >= maxConcurrent) {
            if (waiting.length >= maxWaiting)
                throw new BusyError(`too many DNS lookups in progress (${running} running, ${waiting.length} waiting)`);
            await new Promise(r => waiting.push(r));
        }
        else
            running++;
        try {
            return await lookup(name, timeoutMs, servers());
        }
        finally {
            const next = waiting.shift();
            if (next)
                next();
            else
                running--;
        }
    };
}
