// The token DNS client against a hostile resolver on 127.0.0.1: answers from
// another port, with another ID, without the response bit, for another
// question, TXT records owned by other names, a TCP answer with another ID;
// the cap on lookups in flight; and the names it refuses to look up at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer } from 'node:net';
import * as packet from 'dns-packet';
import { BusyError, systemTxtResolver } from '../../src/net/dns.js';
import { DomainError, dnsName } from '../../src/ratelimit/domain.js';

type T = { after: (fn: () => unknown) => void };
type Answer = (q: packet.Packet, name: string) => packet.Packet | undefined;

const txt = (name: string, value: string, ttl = 300): packet.Answer => ({
  type: 'TXT',
  name,
  ttl,
  class: 'IN',
  data: [value],
});
const good: Answer = (q, name) => ({
  type: 'response',
  id: q.id,
  questions: q.questions,
  answers: [txt(name, 'good')],
});

/**
 * A resolver on a UDP port (and TCP on the same port) that first sends the
 * spoofed answers `spoof` makes, then (if `honest`) the true one. `fromOther`
 * sends the spoofs from a second socket (another source port).
 */
async function resolver(
  t: T,
  opts: { spoof?: Answer; fromOther?: boolean; honest?: boolean; tcp?: Answer; truncate?: boolean } = {},
): Promise<{ port: number; queries: string[] }> {
  const udp = createSocket('udp4');
  const other: UdpSocket = createSocket('udp4');
  await new Promise<void>(r => udp.bind(0, '127.0.0.1', r));
  await new Promise<void>(r => other.bind(0, '127.0.0.1', r));
  const port = udp.address().port;
  const queries: string[] = [];
  udp.on('message', (msg, rinfo) => {
    const q = packet.decode(msg);
    const name = q.questions![0].name;
    queries.push(name);
    const spoofed = opts.spoof?.(q, name);
    if (spoofed) (opts.fromOther ? other : udp).send(packet.encode(spoofed), rinfo.port, rinfo.address);
    if (opts.truncate)
      udp.send(
        packet.encode({ type: 'response', id: q.id, flags: packet.TRUNCATED_RESPONSE, questions: q.questions }),
        rinfo.port,
        rinfo.address,
      );
    else if (opts.honest !== false)
      setTimeout(() => udp.send(packet.encode(good(q, name)!), rinfo.port, rinfo.address), 30);
  });
  const tcp = createServer(sock =>
    sock.once('data', d => {
      const q = packet.streamDecode(d);
      sock.end(packet.streamEncode((opts.tcp ?? good)(q, q.questions![0].name)!));
    }),
  );
  await new Promise<void>(r => tcp.listen(port, '127.0.0.1', r));
  t.after(() => {
    udp.close();
    other.close();
    tcp.close();
  });
  return { port, queries };
}

const lookup = (port: number, timeoutMs = 500) =>
  systemTxtResolver({ timeoutMs, servers: () => [`127.0.0.1:${port}`] });

test('spoofed UDP answers are ignored; the true answer is taken', async t => {
  const forged = (q: packet.Packet, name: string): packet.Packet => ({
    type: 'response',
    id: q.id,
    questions: q.questions,
    answers: [txt(name, 'forged')],
  });
  const spoofs: [string, Parameters<typeof resolver>[1]][] = [
    ['from another source port', { spoof: forged, fromOther: true }],
    ['with another ID', { spoof: (q, n) => ({ ...forged(q, n), id: (q.id! + 1) % 65536 }) }],
    ['without the response bit', { spoof: (q, n) => ({ ...forged(q, n), type: 'query' }) }],
    [
      'for another question',
      { spoof: (q, n) => ({ ...forged(q, n), questions: [{ type: 'TXT', class: 'IN', name: 'other.example' }] }) },
    ],
    [
      'of another record type',
      { spoof: (q, n) => ({ ...forged(q, n), questions: [{ type: 'A', class: 'IN', name: n }] }) },
    ],
  ];
  for (const [what, opts] of spoofs) {
    const r = await resolver(t, opts);
    assert.deepEqual((await lookup(r.port)('_sigsum_v1.a.example')).records, ['good'], what);
  }
});

test('only TXT records owned by the queried name (or its CNAME chain) are used', async t => {
  const r = await resolver(t, {
    honest: false,
    spoof: (q, name) => ({
      type: 'response',
      id: q.id,
      questions: q.questions,
      answers:
        name === '_sigsum_v1.chain.example'
          ? [
              { type: 'CNAME', name, ttl: 60, class: 'IN', data: 'keys.example' },
              txt('keys.example', 'via-cname', 120),
              txt('unrelated.example', 'injected'),
            ]
          : [txt('attacker.example', 'injected'), txt(name, 'own', 90)],
    }),
  });
  assert.deepEqual(await lookup(r.port)('_sigsum_v1.owner.example'), { records: ['own'], ttl: 90 });
  assert.deepEqual(await lookup(r.port)('_sigsum_v1.chain.example'), { records: ['via-cname'], ttl: 120 });
});

test('a TCP answer with another ID is refused', async t => {
  const r = await resolver(t, {
    truncate: true,
    tcp: (q, name) => ({
      type: 'response',
      id: (q.id! + 7) % 65536,
      questions: q.questions,
      answers: [txt(name, 'x')],
    }),
  });
  await assert.rejects(lookup(r.port)('_sigsum_v1.big.example'), /response ID \d+ is not the query's \d+/);
});

test('lookups in flight are capped: beyond the waiting room, "busy" at once', async t => {
  const r = await resolver(t, { honest: false }); // never answers: every lookup runs to its deadline
  const resolve = systemTxtResolver({
    timeoutMs: 300,
    servers: () => [`127.0.0.1:${r.port}`],
    maxConcurrent: 2,
    maxWaiting: 2,
  });
  const started = Array.from({ length: 4 }, (_, i) => resolve(`_sigsum_v1.n${i}.example`).catch((e: Error) => e));
  await assert.rejects(resolve('_sigsum_v1.n4.example'), BusyError);
  const results = await Promise.all(started);
  assert.ok(results.every(e => e instanceof Error && /no answer from 127.0.0.1 within 300 ms/.test(e.message)));
  assert.ok(r.queries.length <= 4, `${r.queries.length} queries sent`);
});

test('names are validated and normalized before any lookup', () => {
  assert.equal(dnsName('Example.ORG.'), 'example.org');
  assert.equal(dnsName('bücher.example'), 'xn--bcher-kva.example');
  assert.equal(dnsName('_sigsum_v1.sub-domain.example'), '_sigsum_v1.sub-domain.example');
  for (const bad of [
    '',
    '.',
    'a..b',
    '.a',
    'a'.repeat(64) + '.example',
    ('a'.repeat(60) + '.').repeat(5) + 'example',
    'x'.repeat(5000),
    'a b.example',
    'a/b.example',
    'a"b.example',
  ])
    assert.throws(() => dnsName(bad), DomainError, JSON.stringify(bad.slice(0, 40)));
});
