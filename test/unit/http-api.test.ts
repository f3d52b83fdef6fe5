// The public HTTP API of a primary, in process, against the malformed and
// borderline requests of ascii-rejects.json (every status and error body as
// log-go 0.15.2 gave them) and the byte-exact responses of formats.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPrimary, type PrimaryNode } from '../../src/node/index.js';
import { initDataDir } from '../../src/storage/datadir.js';
import { Logger } from '../../src/util/logger.js';
import { systemClock } from '../../src/util/clock.js';
import { entry, hx, referenceStatus, vectors } from '../support/vectors.js';
import { formatsLeaves, logSigner, waitFor } from '../support/fixtures.js';
import { rawRequest } from '../support/http.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rejects = vectors('ascii-rejects.json');
let node: PrimaryNode;
let base: string;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigsum-log-http-'));
  const dd = await initDataDir(dir, { role: 'primary', logPublicKey: logSigner.publicKey, signer: logSigner, now: 1 });
  dd.store.append(formatsLeaves().map(l => l.newLeaf));
  dd.close();
  node = await startPrimary({
    dataDir: dir,
    signer: logSigner,
    externalEndpoint: '127.0.0.1:0',
    internalEndpoint: '127.0.0.1:0',
    urlPrefix: '',
    interval: 60_000,
    resignInterval: 60_000,
    hold: { waitMs: 0, maxHeld: 0 },
    maxRange: 512,
    secondaries: [],
    peerTimeout: 2000,
    clock: systemClock,
    logger: Logger.memory().logger,
  });
  base = node.external.url;
  await waitFor('the size-5 tree head', () => node.log.publishedTreeHead().size === 5);
});

after(async () => {
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Case = {
  id: string;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  expect_status: number;
  log_go_error_body?: string;
  location?: string;
};

async function send(c: Case) {
  return rawRequest(base, c.method, c.path, c.body, c.headers ?? {});
}

test("every reject case answers 400 with log-go's error body", async () => {
  for (const c of rejects.reject as Case[]) {
    const r = await send(c);
    assert.equal(r.status, c.expect_status, `${c.id}: ${r.body}`);
    if (c.log_go_error_body) assert.equal(r.body, c.log_go_error_body, c.id);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8', c.id);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', c.id);
  }
});

test('other status cases: 403, 404, 405 and redirects (307, as the reference log-go build)', async () => {
  for (const c of rejects.other_status as Case[]) {
    const r = await send(c);
    assert.equal(r.status, referenceStatus(c), `${c.id}: ${r.body}`);
    if (c.log_go_error_body) assert.equal(r.body, c.log_go_error_body, c.id);
    if (c.location) assert.equal(r.headers.location, c.location, c.id);
    if (r.status === 405) assert.ok(r.headers.allow, `${c.id}: Allow header`);
  }
});

test('accept cases are served; reads match the formats.json responses byte for byte', async () => {
  for (const c of rejects.accept as Case[]) {
    const r = await send(c);
    assert.equal(r.status, c.expect_status, `${c.id}: ${r.body}`);
    if (c.method === 'HEAD') assert.equal(r.body, '');
  }
  const gth = await rawRequest(base, 'GET', '/get-tree-head');
  assert.equal(gth.body, entry('formats.json', 'tree-head-size-5').ascii);
  for (const r of entry('formats.json', 'get-leaves-responses').responses)
    assert.equal((await rawRequest(base, 'GET', r.url)).body, r.response);
  for (const r of entry('formats.json', 'get-inclusion-proof-responses').responses)
    assert.equal((await rawRequest(base, 'GET', r.url)).body, r.response, r.url);
  for (const r of entry('formats.json', 'get-consistency-proof-responses').responses)
    assert.equal((await rawRequest(base, 'GET', r.url)).body, r.response, r.url);
});

test('our own malformed requests: oversize bodies, bad escapes, other methods; nothing is stored', async () => {
  // Leaves accepted by earlier tests may be committed meanwhile: count stored + pooled.
  const accepted = () => node.tree.size() + node.log.pendingLeaves();
  const before = accepted();
  const valid = formatsLeaves()[0].body;
  const cases: [string, string, string | undefined, number, Record<string, string>?][] = [
    ['POST', '/add-leaf', valid + 'x'.repeat(5000), 413],
    ['POST', '/add-leaf', 'message=' + 'a'.repeat(100_000), 413],
    ['POST', '/add-leaf', '\u00ff\u00fe\u0000garbage', 400],
    ['POST', '/add-leaf', valid.replace('message=', 'message=\u00e9'), 400],
    ['GET', '/get-leaves/%zz/1', undefined, 400], // Go's server: an invalid escape is a 400 before any routing
    ['GET', '/get-inclusion-proof/5/%', undefined, 400],
    ['GET', '/get-tree-head%', undefined, 400],
    ['PUT', '/add-leaf', valid, 405],
    ['DELETE', '/get-tree-head', undefined, 405],
    ['POST', '/get-leaves', undefined, 405],
    ['GET', '/get-leaves/../get-tree-head', undefined, 307],
    ['GET', '/get-leaves/0/' + '9'.repeat(2000), undefined, 400],
    ['GET', '/get-consistency-proof/1/99999999999999999', undefined, 400],
    ['GET', '/get-inclusion-proof/9007199254740993/' + '00'.repeat(32), undefined, 400],
    ['GET', '/nothing/here', undefined, 404],
  ];
  for (const [method, path, body, status, headers] of cases) {
    const r = await rawRequest(base, method, path, body, headers);
    assert.equal(r.status, status, `${method} ${path.slice(0, 60)}: ${r.body.slice(0, 200)}`);
    if (path.includes('%')) assert.equal(r.body, '400 Bad Request', path);
    else if (status >= 400 && status !== 404 && status !== 405)
      assert.match(r.body, new RegExp(`^\\(${status}\\) .+\\n$`));
  }
  assert.equal(accepted(), before);
  assert.equal((await rawRequest(base, 'GET', '/get-tree-head')).status, 200, 'still serving');
});

test('add-leaf: 202 "(202) Accepted" while pending, then 200 with an empty body', async () => {
  const fresh = rejects.fresh_leaf.body as string;
  const r1 = await rawRequest(base, 'POST', '/add-leaf', fresh);
  assert.equal(r1.status, 202);
  assert.equal(r1.body, '(202) Accepted\n');
  node.log.flush();
  await node.log.rotate();
  const r2 = await rawRequest(base, 'POST', '/add-leaf', fresh);
  assert.equal(r2.status, 200);
  assert.equal(r2.body, '');
  const known = await rawRequest(base, 'POST', '/add-leaf', formatsLeaves()[2].body);
  assert.equal(known.status, 200);
});

test('internal get-leaves clamps to the tree and answers 404 at its end', async () => {
  const ib = node.internal.url;
  const size = node.tree.size();
  const r = await rawRequest(ib, 'GET', `/get-leaves/0/${size + 100}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.split('\n').length - 1, size);
  assert.equal((await rawRequest(ib, 'GET', `/get-leaves/${size}/${size + 1}`)).body, '(404) at end of tree\n');
  assert.equal((await rawRequest(ib, 'GET', `/get-leaves/${size + 1}/${size + 2}`)).status, 400);
  assert.equal((await rawRequest(ib, 'GET', '/add-leaf')).status, 404);
});

test('internal API for secondaries: unsigned head, proofs over the local tree, signed and published heads, epoch', async () => {
  const ib = node.internal.url;
  const store = node.tree;
  const unsigned = await rawRequest(ib, 'GET', '/get-tree-head-unsigned');
  assert.equal(unsigned.status, 200);
  assert.equal(unsigned.headers['sigsum-log-epoch'], '0');
  assert.equal(unsigned.body, `size=${store.size()}\nroot_hash=${hx(store.root())}\n`);
  const pub = await rawRequest(base, 'GET', '/get-tree-head');
  assert.equal((await rawRequest(ib, 'GET', '/get-tree-head')).body, pub.body);
  const signed = await rawRequest(ib, 'GET', '/get-tree-head-signed');
  assert.equal(signed.body, pub.body.split('\n').slice(0, 3).join('\n') + '\n');
  const proof = await rawRequest(ib, 'GET', `/get-consistency-proof/2/${store.size()}`);
  assert.equal(proof.status, 200);
  assert.equal(
    proof.body,
    store
      .consistencyProof(2, store.size())
      .map((h: Uint8Array) => `node_hash=${hx(h)}\n`)
      .join(''),
  );
  assert.equal((await rawRequest(ib, 'GET', `/get-consistency-proof/2/${store.size() + 1}`)).status, 400);
  assert.equal((await rawRequest(ib, 'GET', '/get-consistency-proof/0/2')).status, 400);
});

test('info page', async () => {
  const r = await rawRequest(base, 'GET', '/');
  assert.equal(r.status, 200);
  assert.match(r.body, /Software version: sigsum-log /);
  assert.match(r.body, new RegExp(`Log key hash: ${entry('formats.json', 'key-log').key_hash}`));
});

test('a 300 MB add-leaf body: 413 and the connection closed, the rest never read', async () => {
  const port = Number(new URL(base).port);
  const sock = connect(port, '127.0.0.1');
  await new Promise(r => sock.once('connect', r));
  let answer = '';
  sock.on('data', d => (answer += d.toString('latin1')));
  const closed = new Promise<void>(r => sock.once('close', () => r()));
  sock.on('error', () => {});
  const size = 300 * 1024 * 1024;
  sock.write(`POST /add-leaf HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
  const chunk = Buffer.alloc(1 << 20, 0x61);
  let sent = 0;
  let open = true;
  void closed.then(() => (open = false));
  while (open && sent < size) {
    const ok = sock.write(chunk);
    sent += chunk.length;
    if (!ok) await new Promise(r => (sock.once('drain', r), sock.once('close', r)));
  }
  await closed;
  assert.match(answer, /^HTTP\/1\.1 413 /);
  assert.match(answer, /\r\n\r\n\(413\) request body larger than 4096 bytes\n$/);
  assert.ok(sent < 64 * 1024 * 1024, `${sent >> 20} MB went out before the node closed the connection`);
});
