// Submit tokens and rate limits: token verification with an injected
// resolver (and the real UDP/TCP resolver against a local DNS server), the
// public suffix list with log-go's vectors, the rate-limit file, the limiter's
// precedence and windows, and add-leaf's order: dedup before charging, no
// charge for 403, counters that survive a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import * as packet from 'dns-packet';
import { SeedSigner, sha256 } from '../../src/sigsum/crypto.js';
import { submitTokenSignedData } from '../../src/sigsum/token.js';
import { toHex, type PublicKey } from '../../src/sigsum/types.js';
import { NotFoundError, systemTxtResolver, type TxtResolver } from '../../src/net/dns.js';
import { TokenVerifier } from '../../src/ratelimit/token-verifier.js';
import { SuffixList } from '../../src/ratelimit/suffix-list.js';
import { parseRateLimitConfig } from '../../src/ratelimit/config.js';
import { RateLimiter } from '../../src/ratelimit/limiter.js';
import { entry, h } from '../support/vectors.js';
import { FakeClock, logSigner, submitterSigner, tempDir } from '../support/fixtures.js';
import { makeLeaf } from '../support/client.js';
import { testPrimary } from '../support/logs.js';
import type { RateCount, RateCounterStore } from '../../src/storage/ports.js';

const v = entry('sigsum-go.json', 'submit-token-test-domain');
const vectorLogKey = h(v.log_public_key) as PublicKey;

function fakeResolver(zone: Record<string, string[]>, ttl = 300): TxtResolver & { calls: string[] } {
  const calls: string[] = [];
  const r = async (name: string) => {
    calls.push(name);
    if (!(name in zone)) throw new NotFoundError(name);
    return { records: zone[name], ttl };
  };
  return Object.assign(r, { calls });
}

test('submit tokens: the test-domain vector, wrong log, unknown domain, v0 fallback, 11th key, malformed, timeout, TTL cache', async () => {
  const clock = new FakeClock();
  const header = `test.sigsum.org ${v.token}`;
  const others = Array.from({ length: 10 }, (_, i) => toHex(new SeedSigner(h(`7${i}`.repeat(32))).publicKey));
  const zone = {
    '_sigsum_v1.test.sigsum.org': [v.token_public_key],
    '_sigsum_v1.eleven.example': [...others, v.token_public_key],
    '_sigsum_v1.tenth.example': [...others.slice(0, 8), 'not a key', v.token_public_key],
    '_sigsum_v0.old.example': [v.token_public_key],
    '_sigsum_v1.junk.example': ['hello', 'world'],
  };
  const resolver = fakeResolver(zone, 300);
  const tv = new TokenVerifier(vectorLogKey, resolver, { timeoutMs: 200, clock });
  assert.equal(await tv.verify(header), 'test.sigsum.org');
  // Token made for another log.
  await assert.rejects(new TokenVerifier(logSigner.publicKey, resolver, { timeoutMs: 200, clock }).verify(header), {
    reason: 'bad-signature',
    message: /does not verify with any of the 1 key\(s\) published for test.sigsum.org/,
  });
  await assert.rejects(tv.verify(`nowhere.example ${v.token}`), {
    reason: 'not-found',
    message: /_sigsum_v0.nowhere.example: no such DNS name/,
  });
  assert.deepEqual(resolver.calls.slice(-2), ['_sigsum_v1.nowhere.example', '_sigsum_v0.nowhere.example']);
  assert.equal(await tv.verify(`old.example ${v.token}`), 'old.example');
  await assert.rejects(
    tv.verify(`eleven.example ${v.token}`),
    { reason: 'bad-signature', message: /any of the 10 key/ },
    'only the first 10 records count',
  );
  assert.equal(await tv.verify(`tenth.example ${v.token}`), 'tenth.example', 'a bad record is skipped');
  await assert.rejects(tv.verify(`junk.example ${v.token}`), { reason: 'no-key' });
  for (const bad of [
    'test.sigsum.org',
    `test.sigsum.org  ${v.token}`,
    ` ${v.token}`,
    `test.sigsum.org ${v.token.slice(2)}`,
  ]) {
    await assert.rejects(tv.verify(bad), { reason: 'malformed' }, bad);
  }
  const hang = new TokenVerifier(vectorLogKey, () => new Promise(() => {}), { timeoutMs: 50, clock });
  await assert.rejects(hang.verify(header), {
    reason: 'dns',
    message: /DNS lookup of _sigsum_v1.test.sigsum.org failed: no answer within 50 ms/,
  });

  // Cached for the TTL, then asked again.
  const before = resolver.calls.length;
  await tv.verify(header);
  assert.equal(resolver.calls.length, before);
  clock.advance(301_000);
  await tv.verify(header);
  assert.equal(resolver.calls.length, before + 1);
});

test('the system resolver: TTLs over UDP, NXDOMAIN, TCP after truncation', async t => {
  const answers = (name: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      type: 'TXT' as const,
      name,
      ttl: 120 + i,
      class: 'IN' as const,
      data: [`${'ab'.repeat(32)}`],
    }));
  const udp = createSocket('udp4');
  await new Promise<void>(r => udp.bind(0, '127.0.0.1', r));
  const port = udp.address().port;
  const tcp = createServer(sock => {
    sock.once('data', d => {
      const q = packet.streamDecode(d);
      sock.end(
        packet.streamEncode({
          type: 'response',
          id: q.id,
          flags: packet.AUTHORITATIVE_ANSWER,
          questions: q.questions,
          answers: answers(q.questions![0].name, 30),
        }),
      );
    });
  });
  await new Promise<void>(r => tcp.listen(port, '127.0.0.1', r));
  t.after(() => {
    udp.close();
    tcp.close();
  });
  udp.on('message', (msg, rinfo) => {
    const q = packet.decode(msg);
    const name = q.questions![0].name;
    const res: packet.Packet = name.startsWith('missing')
      ? { type: 'response', id: q.id, flags: 3, questions: q.questions }
      : name.startsWith('big')
        ? { type: 'response', id: q.id, flags: packet.TRUNCATED_RESPONSE, questions: q.questions }
        : { type: 'response', id: q.id, questions: q.questions, answers: answers(name, 2) };
    udp.send(packet.encode(res), rinfo.port, rinfo.address);
  });
  const resolve = systemTxtResolver({ timeoutMs: 1000, servers: () => [`127.0.0.1:${port}`] });
  assert.deepEqual(await resolve('_sigsum_v1.small.example'), {
    records: ['ab'.repeat(32), 'ab'.repeat(32)],
    ttl: 120,
  });
  await assert.rejects(resolve('missing.example'), NotFoundError);
  const big = await resolve('big.example');
  assert.equal(big.records.length, 30);
});

test("public suffix list: log-go's vectors", () => {
  const list = SuffixList.parse('// comment\norg\nnet\nexample.com\n*.example.net\n!foo.example.net\n');
  assert.equal(list.registeredDomain('foo.bar.example.com'), 'bar.example.com');
  assert.equal(list.registeredDomain('foo.bar.example.net'), 'foo.bar.example.net');
  assert.equal(list.registeredDomain('example.com'), 'example.com');
  assert.equal(list.registeredDomain('bar.foo.example.mil'), undefined);
  assert.equal(list.registeredDomain('bar.foo.example.net'), 'example.net');
  assert.equal(list.publicSuffix('bar.foo.example.net'), 'net');
  assert.equal(SuffixList.parse('org\n').registeredDomain('test.sigsum.org'), 'sigsum.org');
  assert.throws(() => SuffixList.parse('/ comment\n'), /line 1: a comment must start with "\/\/"/);
  assert.throws(
    () => SuffixList.parse('net\n!foo.example.net\n'),
    /line 2: exception !foo.example.net does not refer to a wildcard rule \*.example.net/,
  );
});

test('the rate-limit file: log-go syntax, errors with line numbers', () => {
  const files: Record<string, string> = { 'psl.dat': 'org\ncom\n' };
  const read = (p: string) => {
    if (!(p in files)) throw Object.assign(new Error('no'), { code: 'ENOENT' });
    return files[p];
  };
  const k = 'AB'.repeat(32);
  const cfg = parseRateLimitConfig(
    `# limits\nkey ${k} 5 # a comment\ndomain Example.ORG 10\npublic psl.dat 3\n`,
    'rl.cfg',
    read,
  );
  assert.equal(cfg.keys.get(k.toLowerCase()), 5);
  assert.equal(cfg.domains.get('example.org'), 10);
  assert.equal(cfg.publicLimit, 3);
  assert.equal(cfg.suffixes?.registeredDomain('a.b.example.com'), 'example.com');
  assert.equal(
    parseRateLimitConfig('public missing.dat 0\n', 'x', read).suffixes,
    undefined,
    'public 0: the list is not even read',
  );
  const bad: [string, RegExp][] = [
    ['key abc 1\n', /rl.cfg: line 1: invalid key hash "abc"/],
    [`key ${k} 1\nkey ${k.toLowerCase()} 2\n`, /line 2: duplicate key/],
    ['domain a.org 1\ndomain A.org 2\n', /line 2: duplicate domain a.org/],
    ['public psl.dat 1\npublic psl.dat 2\n', /line 2: only one public line is allowed/],
    ['public missing.dat 1\n', /line 1: cannot read public suffix list missing.dat: ENOENT/],
    ['domain a.org -1\n', /line 1: invalid limit "-1"/],
    ['domain a.org 2147483648\n', /invalid limit/],
    ['domain a.org\n', /line 1: want 3 fields/],
    ['server a.org 1\n', /line 1: unknown keyword "server"/],
  ];
  for (const [text, re] of bad) assert.throws(() => parseRateLimitConfig(text, 'rl.cfg', read), re, text);
});

function limiterFor(_t: unknown, text: string, allowTestDomain = false, clock = new FakeClock()) {
  const counters: RateCount[] = [];
  const store: RateCounterStore = {
    rateCounts: since => counters.filter(c => c.hour >= since),
    saveRateCounts: rows => void counters.push(...rows),
  };
  const cfg = parseRateLimitConfig(text, 'rl', () => 'org\ncom\n');
  return { limiter: new RateLimiter(cfg, store, { clock, allowTestDomain }), clock, cfg };
}

test('limiter: precedence, the test domain, a sliding 24-hour window, release', t => {
  const key = 'cd'.repeat(32);
  const { limiter, clock } = limiterFor(
    t,
    `key ${key} 1\ndomain example.org 2\ndomain deep.example.org 1\npublic psl 1\n`,
  );
  const other = 'ef'.repeat(32);
  // 1. key line, with or without a token.
  assert.equal((limiter.reserve(key, undefined) as { counter: string }).counter, `key:${key}`);
  assert.match(
    (limiter.reserve(key, 'example.org') as { message: string }).message,
    /rate limit for submitter key cdcd.* exceeded \(1 per 24 hours\)/,
  );
  // 2. no token, no key line.
  assert.equal((limiter.reserve(other, undefined) as { limit: string }).limit, 'no-token');
  // 3. longest domain line.
  assert.equal(
    (limiter.reserve(other, 'a.deep.example.org') as { counter: string }).counter,
    'domain:deep.example.org',
  );
  assert.equal((limiter.reserve(other, 'deep.example.org') as { ok: boolean }).ok, false);
  const r = limiter.reserve(other, 'www.example.org');
  assert.equal((r as { counter: string }).counter, 'domain:example.org');
  assert.equal(limiter.reserve(other, 'example.org').ok, true);
  assert.match(
    (limiter.reserve(other, 'example.org') as { message: string }).message,
    /rate limit for domain "example.org" exceeded \(2 per 24 hours\)/,
  );
  // release gives the quota back.
  (r as { release(): void }).release();
  assert.equal(limiter.reserve(other, 'example.org').ok, true);
  // 4. public limit per registered domain; unknown suffix refused.
  assert.equal((limiter.reserve(other, 'a.b.shop.com') as { counter: string }).counter, 'public:shop.com');
  assert.match(
    (limiter.reserve(other, 'c.shop.com') as { message: string }).message,
    /registered domain "shop.com" \(public limit\)/,
  );
  assert.equal((limiter.reserve(other, 'x.example.mil') as { limit: string }).limit, 'unknown-domain');
  // The test domain, whose key is public, is refused unless allowed.
  assert.equal((limiter.reserve(other, 'test.sigsum.org') as { limit: string }).limit, 'test-domain');
  const allowed = limiterFor(t, 'public psl 5\n', true).limiter;
  assert.equal((allowed.reserve(other, 'test.sigsum.org') as { counter: string }).counter, 'public:sigsum.org');
  // Sliding window: the charges age out after 24 hours.
  clock.advance(23 * 3_600_000);
  assert.equal(limiter.reserve(other, 'example.org').ok, false);
  clock.advance(2 * 3_600_000);
  assert.equal(limiter.reserve(other, 'example.org').ok, true);
});

test('add-leaf: a retry of an accepted leaf never gets 429 or costs quota; a bad signature costs nothing and no DNS; counters survive a restart', async t => {
  const clock = new FakeClock();
  const dir = tempDir(t);
  const submitterHash = toHex(sha256(submitterSigner.publicKey));
  const cfg = parseRateLimitConfig(`key ${submitterHash} 2\ndomain example.org 1\n`, 'rl', () => '');
  const tokenKey = new SeedSigner(h('99'.repeat(32)));
  const token = toHex(tokenKey.sign(submitTokenSignedData(logSigner.publicKey)));
  const resolver = fakeResolver({ '_sigsum_v1.example.org': [toHex(tokenKey.publicKey)] });
  let limiter: RateLimiter | undefined;
  const open = () =>
    testPrimary(t, {
      dir,
      clock,
      maxPool: 100,
      limits: store => ({
        limiter: (limiter = new RateLimiter(cfg, store, { clock, allowTestDomain: false })),
        tokens: new TokenVerifier(logSigner.publicKey, resolver, { timeoutMs: 200, clock }),
      }),
    });
  let log = await open();
  const a = makeLeaf(submitterSigner, 'limited a');
  const b = makeLeaf(submitterSigner, 'limited b');
  const c = makeLeaf(submitterSigner, 'limited c');
  assert.equal((await log.submit(a.body)).kind, 'accepted');
  // A forged signature is refused and does not count, even with a token for a domain nobody knows (no DNS lookup).
  const forged = a.body.replace(/message=([0-9a-f])/, (_, d: string) => `message=${d === '0' ? '1' : '0'}`);
  const lookups = resolver.calls.length;
  assert.equal((await log.submit(forged, `nowhere.example ${token}`)).kind, 'bad-signature');
  assert.equal(resolver.calls.length, lookups, 'no DNS lookup for a request that fails anyway');
  assert.equal((await log.submit(b.body)).kind, 'accepted');
  assert.deepEqual(await log.submit(c.body), {
    kind: 'rate-limited',
    reason: `rate limit for submitter key ${submitterHash} exceeded (2 per 24 hours)`,
  });
  for (let i = 0; i < 5; i++)
    assert.equal((await log.submit(a.body)).kind, 'accepted', 'retries are answered from the pool, not charged');
  log.log.flush();
  await log.log.rotate();
  assert.equal((await log.submit(a.body)).kind, 'included');
  // Token domain limits, and a bad token.
  const other = new SeedSigner(h('98'.repeat(32)));
  const d1 = makeLeaf(other, 'domain 1');
  const d2 = makeLeaf(other, 'domain 2');
  assert.equal((await log.submit(d1.body, `example.org ${token}`)).kind, 'accepted');
  assert.deepEqual(await log.submit(d2.body, `example.org ${token}`), {
    kind: 'rate-limited',
    reason: 'rate limit for domain "example.org" exceeded (1 per 24 hours)',
  });
  assert.match(
    JSON.stringify(await log.submit(d2.body, `example.org ${toHex(other.sign(new Uint8Array(1)))}`)),
    /bad-token.*token: token signature does not verify/,
  );
  assert.equal(
    (await log.submit(d1.body, `example.org ${token}`)).kind,
    'accepted',
    'a retry with a token is not charged again',
  );
  await log.log.finish(clock.monotonic() + 1000);
  limiter!.flush(); // what the node does after every commit and at shutdown
  log.dd.close();

  // Restart: the counters are still there.
  log = await open();
  assert.equal((await log.submit(c.body)).kind, 'rate-limited');
  assert.equal((await log.submit(d2.body, `example.org ${token}`)).kind, 'rate-limited');
  clock.advance(25 * 3_600_000);
  assert.equal((await log.submit(c.body)).kind, 'accepted');
});
