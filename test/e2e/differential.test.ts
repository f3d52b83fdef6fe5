// Differential conformance: the same requests, byte for byte, to our log and
// to log-go's own sigsum-log-primary (ephemeral backend), both holding the
// same 5 leaves under the same log key. Status codes must agree except for the
// deliberate differences listed in doc/differences-from-log-go.md, and the
// signed tree head and every read must be byte-identical.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPrivateKey } from '../../src/sigsum/keyfile.js';
import { initDataDir } from '../../src/storage/datadir.js';
import { entry, h, referenceStatus, vectors } from '../support/vectors.js';
import { formatsLeaves, logSigner, waitFor } from '../support/fixtures.js';
import { rawExchange, rawRequest, type RawResponse } from '../support/http.js';
import { freePort, startServer, type ServerProcess } from '../support/process.js';
import { requireTools, tool } from '../support/tools.js';

const tools = requireTools();
const rejects = vectors('ascii-rejects.json');
let dir: string;
let key: string;

/** Our log and log-go's, started alike (optionally with a URL prefix), each holding the same 5 leaves. */
interface Pair {
  ours: ServerProcess;
  logGo: ChildProcess;
  /** Base URLs without the prefix. */
  oursUrl: string;
  logGoUrl: string;
}
const pairs: Pair[] = [];
let plain: Pair;
let prefixed: Pair;
// The unprefixed pair, under the names the comparisons use.
let ours: { url: string };
let logGoUrl: string;

async function startPair(name: string, prefix: string): Promise<Pair> {
  const data = join(dir, `ours-${name}`);
  (await initDataDir(data, { role: 'primary', logPublicKey: logSigner.publicKey, signer: logSigner, now: 1 })).close();
  const extOurs = await freePort();
  const oursProc = await startServer([
    '--data-dir',
    data,
    '--key-file',
    key,
    '--external-endpoint',
    `127.0.0.1:${extOurs}`,
    '--internal-endpoint',
    '127.0.0.1:0',
    '--interval',
    '200ms',
    '--add-leaf-wait',
    '0',
    ...(prefix ? ['--url-prefix', prefix] : []),
  ]);
  writeFileSync(join(dir, `sth-${name}.startup`), 'startup=empty');
  const [ext, int] = [await freePort(), await freePort()];
  const lg = spawn(
    tool(tools.dir!, 'sigsum-log-primary'),
    [
      '--backend=ephemeral',
      '--interval=200ms',
      `--key-file=${key}`,
      `--sth-file=${join(dir, `sth-${name}`)}`,
      `--external-endpoint=127.0.0.1:${ext}`,
      `--internal-endpoint=127.0.0.1:${int}`,
      ...(prefix ? [`--url-prefix=${prefix}`] : []),
    ],
    {
      env: { ...process.env, GODEBUG: 'httpmuxgo121=0', SIGSUM_LOGSERVER_CONFIG: join(dir, 'no-config.toml') },
      stdio: 'ignore',
    },
  );
  const pair = {
    ours: oursProc,
    logGo: lg,
    oursUrl: `http://127.0.0.1:${extOurs}`,
    logGoUrl: `http://127.0.0.1:${ext}`,
  };
  pairs.push(pair);
  const at = prefix ? `/${prefix}` : '';
  await waitFor(
    'log-go to answer',
    async () => (await rawRequest(pair.logGoUrl, 'GET', `${at}/get-tree-head`).catch(() => undefined))?.status === 200,
  );
  // The same 5 leaves, in the same order, to both logs; wait until both have signed them.
  for (const base of [pair.oursUrl, pair.logGoUrl]) {
    for (const l of formatsLeaves()) {
      await waitFor(`leaf accepted by ${base}`, async () =>
        [200, 202].includes((await rawRequest(base, 'POST', `${at}/add-leaf`, l.body)).status),
      );
    }
    for (const l of formatsLeaves())
      await waitFor(
        `leaf committed by ${base}`,
        async () => (await rawRequest(base, 'POST', `${at}/add-leaf`, l.body)).status === 200,
      );
    await waitFor(`published size 5 on ${base}`, async () =>
      (await rawRequest(base, 'GET', `${at}/get-tree-head`)).body.startsWith('size=5\n'),
    );
  }
  return pair;
}

before(async () => {
  if (!tools.dir) return;
  dir = mkdtempSync(join(tmpdir(), 'sigsum-log-diff-'));
  key = join(dir, 'log.key');
  writeFileSync(key, formatPrivateKey(h(entry('formats.json', 'key-log').private_seed)), { mode: 0o600 });
  [plain, prefixed] = await Promise.all([startPair('plain', ''), startPair('prefixed', 'prefix')]);
  ours = { url: plain.oursUrl };
  logGoUrl = plain.logGoUrl;
});

after(async () => {
  for (const p of pairs) {
    await p.ours.stop('SIGTERM');
    p.logGo.kill('SIGTERM');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Req = {
  id: string;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** The status the vector says log-go gives (checked against log-go too: a misconfigured reference cannot agree with a wrong answer). */
  expect_status?: number;
};

/** Deliberate differences: id pattern -> [log-go status, our status, why]. */
const DIFFERENCES: [RegExp, number, number, string][] = [
  [/^own-oversize/, 400, 413, 'we cap add-leaf bodies at 4 KiB with 413; log-go reads any size and fails parsing'],
];

/** Cases whose body each server words its own way (the HTML info page), by id. */
const OWN_WORDING = new Set(['own-root', 'prefix-1 GET /prefix/']);

const OWN_CASES: Req[] = [
  { id: 'own-oversize-body', method: 'POST', path: '/add-leaf', body: formatsLeaves()[0].body + 'x'.repeat(5000) },
  { id: 'own-oversize-garbage', method: 'POST', path: '/add-leaf', body: 'y'.repeat(20000) },
  {
    id: 'own-high-bytes',
    method: 'POST',
    path: '/add-leaf',
    body: formatsLeaves()[0].body.replace('message=', 'message=\u00e9'),
  },
  { id: 'own-put', method: 'PUT', path: '/add-leaf', body: 'x' },
  { id: 'own-delete', method: 'DELETE', path: '/get-tree-head' },
  { id: 'own-post-leaves', method: 'POST', path: '/get-leaves/0/1', body: '' },
  { id: 'own-dot-segments', method: 'GET', path: '/get-leaves/../get-tree-head' },
  { id: 'own-incl-no-slash', method: 'GET', path: '/get-inclusion-proof' },
  { id: 'own-cons-size-not-found', method: 'GET', path: '/get-consistency-proof/1/5' },
  { id: 'own-incl-last', method: 'GET', path: '/get-inclusion-proof/5/' + entry('formats.json', 'leaf-4').leaf_hash },
  { id: 'own-leaves-max', method: 'GET', path: '/get-leaves/4/5' },
  { id: 'own-huge-int', method: 'GET', path: '/get-leaves/0/' + '9'.repeat(300) },
  { id: 'own-unsafe-int', method: 'GET', path: '/get-consistency-proof/1/9007199254740993' },
  { id: 'own-root', method: 'GET', path: '/' },
  { id: 'own-root-post', method: 'POST', path: '/', body: '' },
  {
    id: 'own-token-ok-format-but-bad-body',
    method: 'POST',
    path: '/add-leaf',
    body: 'message=1\n',
    headers: { 'sigsum-token': 'test.sigsum.org ' + 'ab'.repeat(64) },
  },
];

function expectedDifference(c: Req, goStatus: number, ourStatus: number): string | undefined {
  for (const [re, g, o, why] of DIFFERENCES) if (re.test(c.id) && g === goStatus && o === ourStatus) return why;
  if (/[^\x21-\x7e]/.test(c.path) && ourStatus === 400)
    return "Node's HTTP parser refuses bytes outside RFC 9112's request-target grammar (400) before any handler";
  return undefined;
}

const header = (r: RawResponse, name: string) => {
  const v = r.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

async function compare(cases: Req[], pair: Pair = plain): Promise<void> {
  const mismatches: string[] = [];
  for (const c of cases) {
    const ask = (base: string, who: string) =>
      rawRequest(base, c.method, c.path, c.body, c.headers ?? {})
        .catch((e: Error & { code?: string }) =>
          // Go's raw "400 Bad Request" carries a body even for HEAD, which Node's client refuses.
          e.code === 'HPE_CLOSED_CONNECTION' && c.body === undefined
            ? rawExchange(base, c.method, c.path)
            : Promise.reject(e),
        )
        .catch((e: Error) => {
          mismatches.push(`${c.id}: the request to ${who} failed: ${e.message}`);
          return undefined;
        });
    const [g, o] = [await ask(pair.logGoUrl, 'log-go'), await ask(pair.oursUrl, 'ours')];
    if (!g || !o) continue;
    // A leaf both logs accepted: 202 until a signed head covers it, then 200 (timing, not behaviour).
    const accepted = (x: number) => x === 200 || x === 202;
    if (c.method === 'POST' && c.path.endsWith('/add-leaf') && accepted(g.status) && accepted(o.status)) continue;
    const known = expectedDifference(c, g.status, o.status);
    if (c.expect_status !== undefined && g.status !== referenceStatus({ expect_status: c.expect_status }) && !known) {
      mismatches.push(
        `${c.id}: log-go answered ${g.status}, the vector says ${c.expect_status}: is the reference set up as the vector assumes?`,
      );
    }
    if (known) continue; // a listed deliberate difference: nothing more to compare
    if (g.status !== o.status) {
      mismatches.push(
        `${c.id}: log-go ${g.status} ${JSON.stringify(g.body.slice(0, 80))}, ours ${o.status} ${JSON.stringify(o.body.slice(0, 80))}`,
      );
    } else {
      for (const h of ['content-type', 'allow', 'x-content-type-options']) {
        if (header(g, h) !== header(o, h))
          mismatches.push(`${c.id}: ${h}: log-go ${String(header(g, h))}, ours ${String(header(o, h))}`);
      }
      if (!OWN_WORDING.has(c.id) && c.method !== 'HEAD' && g.body !== o.body) {
        mismatches.push(
          `${c.id}: same status ${g.status}, bodies differ: log-go ${JSON.stringify(g.body.slice(0, 120))}, ours ${JSON.stringify(o.body.slice(0, 120))}`,
        );
      }
    }
    // Every redirect goes to the same place.
    if ([301, 307].includes(g.status) || [301, 307].includes(o.status)) {
      if (header(g, 'location') !== header(o, 'location'))
        mismatches.push(
          `${c.id}: location: log-go ${String(header(g, 'location'))}, ours ${String(header(o, 'location'))}`,
        );
    }
  }
  assert.deepEqual(mismatches, []);
}

test('same signed tree head and byte-identical reads', { skip: tools.skip }, async () => {
  const paths = [
    '/get-tree-head',
    '/get-leaves/0/5',
    '/get-leaves/1/3',
    ...entry('formats.json', 'get-inclusion-proof-responses').responses.map((r: { url: string }) => r.url),
    ...entry('formats.json', 'get-consistency-proof-responses').responses.map((r: { url: string }) => r.url),
  ];
  for (const p of paths) {
    const [g, o] = [await rawRequest(logGoUrl, 'GET', p), await rawRequest(ours.url, 'GET', p)];
    assert.equal(o.status, 200, p);
    assert.equal(o.body, g.body, p);
  }
  assert.equal(
    (await rawRequest(ours.url, 'GET', '/get-tree-head')).body,
    entry('formats.json', 'tree-head-size-5').ascii,
  );
});

test('ascii-rejects and other-status cases: same status codes and error bodies', { skip: tools.skip }, async () => {
  await compare([...rejects.reject, ...rejects.other_status]);
});

test('our own malformed and borderline requests', { skip: tools.skip }, async () => {
  await compare(OWN_CASES);
});

/** Deterministic pseudo-random numbers (mulberry32), so a failure names a reproducible case. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LEAF_HASH = entry('formats.json', 'leaf-2').leaf_hash as string;
const SEGMENTS = [
  '0',
  '1',
  '2',
  '4',
  '5',
  '6',
  '00',
  '01',
  '-1',
  '+1',
  '1e3',
  '0x1',
  '18446744073709551615',
  '18446744073709551616',
  '9223372036854775807',
  '9223372036854775808',
  '%30',
  '%31',
  '%2D',
  '%2F',
  '%2f',
  '%25',
  '%',
  '%z',
  '%zz',
  '%C3%A9',
  '%FF',
  '%00',
  '%0A',
  '%7F',
  '\u00e9',
  '..',
  '.',
  '',
  'a',
  LEAF_HASH,
  LEAF_HASH.toUpperCase(),
  LEAF_HASH.slice(2),
  LEAF_HASH + '00',
  '%20',
  'get-tree-head',
  '%67et-tree-head',
];
const ENDPOINTS = [
  'get-tree-head',
  'get-leaves',
  'get-inclusion-proof',
  'get-consistency-proof',
  'add-leaf',
  'get%2Dleaves',
  'get-tree-head%',
  'x',
];

/** Seeded requests of every shape: endpoints with 0 to 3 segments drawn from SEGMENTS, GET, POST and HEAD. */
function seededCases(seed: number, n: number): Req[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const out: Req[] = [];
  for (let i = 0; i < n; i++) {
    const segs = Array.from({ length: Math.floor(r() * 4) }, () => pick(SEGMENTS));
    const lead = pick(['/', '/', '/', '//', '/./']);
    const path = lead + [pick(ENDPOINTS), ...segs].join('/') + (r() < 0.1 ? '/' : '');
    const method = pick(['GET', 'GET', 'GET', 'GET', 'POST', 'HEAD']);
    out.push({
      id: `seed-${seed}-${i} ${method} ${path}`,
      method,
      path,
      body: method === 'POST' ? 'message=1\n' : undefined,
    });
  }
  return out;
}

test('seeded requests of every shape: same status codes and error bodies', { skip: tools.skip }, async () => {
  await compare([...seededCases(1, 600), ...seededCases(3, 600)]);
});

test('with a URL prefix: the same routing (redirects, 404, 405) and answers', { skip: tools.skip }, async () => {
  const fixed: Req[] = [
    ['GET', '/prefix'],
    ['GET', '/prefix/'],
    ['POST', '/'],
    ['GET', '/'],
    ['HEAD', '/prefix'],
    ['POST', '/prefix'],
    ['GET', '/get-tree-head'],
    ['GET', '/prefix/get-tree-head'],
    ['GET', '/prefix//get-tree-head'],
    ['GET', '/prefix/get%2Dleaves/0/2'],
    ['GET', '/prefix/get-leaves/0/2'],
    ['GET', '/%70refix/get-leaves/0/2'],
    ['GET', '/prefix/get-tree-head%'],
    ['GET', '/other/get-tree-head'],
    ['POST', '/prefix/add-leaf'],
  ].map(([method, path], i) => ({
    id: `prefix-${i} ${method} ${path}`,
    method,
    path,
    body: method === 'POST' ? '' : undefined,
  }));
  const seeded = seededCases(2, 300).map(c => ({ ...c, id: `prefix-${c.id}`, path: '/prefix' + c.path }));
  await compare([...fixed, ...seeded], prefixed);
});

test('accept cases, add-leaf last (they grow both trees)', { skip: tools.skip }, async () => {
  const accept = rejects.accept as Req[];
  await compare(accept.filter(c => c.method !== 'POST'));
  await compare(accept.filter(c => c.method === 'POST'));
});
