// TXT lookups that report the records' TTL (node:dns's resolveTxt does not),
// so the token cache can honour it: one query to each of the system's
// resolvers (dns.getServers()) in turn over UDP with EDNS0, over TCP when the
// answer is truncated, each with a deadline. dns-packet encodes and decodes
// the messages.
import { getServers } from 'node:dns';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { randomInt } from 'node:crypto';
import * as packet from 'dns-packet';

export interface TxtAnswer {
  /** One string per TXT record (its character-strings joined). */
  records: string[];
  /** Seconds the answer may be cached. */
  ttl: number;
}

/** The name does not exist (NXDOMAIN). */
export class NotFoundError extends Error {}

export type TxtResolver = (name: string) => Promise<TxtAnswer>;

function query(name: string, id: number): packet.Packet {
  return {
    type: 'query',
    id,
    flags: packet.RECURSION_DESIRED,
    questions: [{ type: 'TXT', name }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as packet.Answer],
  };
}

/**
 * One request/answer exchange with a deadline: `open` sets up the socket,
 * calls `done` with the answer or an error, and returns its cleanup, which
 * runs exactly once.
 */
function exchange(timeoutMs: number, what: string, open: (done: (err?: Error, res?: packet.Packet) => void) => () => void): Promise<packet.Packet> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let cleanup = () => {};
    const done = (err?: Error, res?: packet.Packet) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cleanup();
      if (err) reject(err);
      else resolve(res!);
    };
    const timer = setTimeout(() => done(new Error(`no answer from ${what} within ${timeoutMs} ms`)), timeoutMs);
    const close = open(done);
    if (settled) close();
    else cleanup = close;
  });
}

function udp(server: string, port: number, name: string, timeoutMs: number): Promise<packet.Packet> {
  const id = randomInt(0, 65536);
  return exchange(timeoutMs, server, done => {
    const sock = createSocket(server.includes(':') ? 'udp6' : 'udp4');
    sock.on('error', e => done(e));
    sock.on('message', msg => {
      try {
        const res = packet.decode(msg);
        if (res.id === id) done(undefined, res);
      } catch {
        // not a DNS answer: keep waiting
      }
    });
    sock.send(packet.encode(query(name, id)), port, server, e => e && done(e));
    return () => sock.close();
  });
}

function tcp(server: string, port: number, name: string, timeoutMs: number): Promise<packet.Packet> {
  const id = randomInt(0, 65536);
  return exchange(timeoutMs, `${server} (tcp)`, done => {
    const sock = connect({ host: server, port });
    let buf = Buffer.alloc(0);
    sock.on('error', e => done(e));
    sock.on('connect', () => sock.write(packet.streamEncode(query(name, id))));
    sock.on('data', d => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        try {
          done(undefined, packet.streamDecode(buf));
        } catch (e) {
          done(e as Error);
        }
      }
    });
    return () => sock.destroy();
  });
}

function parseServer(s: string): { host: string; port: number } {
  const m = /^\[(.+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  return m ? { host: m[1], port: Number(m[2]) } : { host: s, port: 53 };
}

/** The default resolver: the system's DNS servers, a deadline per server. */
export function systemTxtResolver(timeoutMs = 3000, servers: () => string[] = getServers): TxtResolver {
  return async name => {
    let last: Error = new Error('no DNS servers configured');
    for (const s of servers()) {
      const { host, port } = parseServer(s);
      try {
        let res = (await udp(host, port, name, timeoutMs)) as packet.Packet & { rcode?: string };
        if ((res.flags ?? 0) & packet.TRUNCATED_RESPONSE) res = await tcp(host, port, name, timeoutMs);
        if (res.rcode === 'NXDOMAIN') throw new NotFoundError(`${name}: no such name`);
        if (res.rcode && res.rcode !== 'NOERROR') throw new Error(`${name}: DNS error ${res.rcode}`);
        const txt = (res.answers ?? []).filter(a => a.type === 'TXT') as packet.TxtAnswer[];
        const records = txt.map(a => (Array.isArray(a.data) ? a.data : [a.data]).map(c => (typeof c === 'string' ? c : Buffer.from(c).toString('latin1'))).join(''));
        const ttl = txt.length > 0 ? Math.min(...txt.map(a => a.ttl ?? 0)) : 60;
        return { records, ttl };
      } catch (e) {
        if (e instanceof NotFoundError) throw e;
        last = e as Error;
      }
    }
    throw last;
  };
}
