// Damage made to the database file itself (the row-level kinds are in
// test/unit/damage.test.ts), on copies of a 3000-leaf log, each served by a
// real node: it either refuses to start, naming the damage, or it never gives
// a wrong answer (every read equals the undamaged log's, or is a 500), it
// reports the damage (an ERROR line, /health not ready, the damage metric),
// and its scrubber finds it within one pass. `verify` reports SQLite's own
// findings (PRAGMA integrity_check: table and page).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leafHash } from '../../src/sigsum/merkle.js';
import { toHex } from '../../src/sigsum/types.js';
import { DB_FILE, openSqliteStore } from '../../src/storage/sqlite.js';
import { buildLog } from '../bench/build-db.js';
import { logSigner, waitFor } from '../support/fixtures.js';
import { runCli, startServer, writeKey, type ServerProcess, loopbackServe } from '../support/process.js';
import { entry, h } from '../support/vectors.js';

const N = 3000;
const PAGE = 4096;
const work = mkdtempSync(join(tmpdir(), 'sigsum-log-damage-'));
after(() => rmSync(work, { recursive: true, force: true }));
const key = writeKey(work, 'log.key', h(entry('formats.json', 'key-log').private_seed));
const pristine = join(work, 'pristine');
let leafBytes: (i: number) => Buffer;

const queries: string[] = [];
for (let i = 0; i < N; i += 37) queries.push(`get-inclusion-proof/${N}/HASH${i}`);
for (let s = 0; s < N - 40; s += 97) queries.push(`get-leaves/${s}/${s + 40}`);
for (const [m, n] of [
  [1, N],
  [700, 2000],
  [1499, 1501],
  [2999, 3000],
])
  queries.push(`get-consistency-proof/${m}/${n}`);
let expected: Map<string, { status: number; body: string }>;

async function serve(dir: string): Promise<ServerProcess> {
  return startServer([...loopbackServe(dir, key.path), '--scrub-rate', '200000']);
}

async function answers(url: string): Promise<Map<string, { status: number; body: string }>> {
  const out = new Map<string, { status: number; body: string }>();
  for (const q of queries) {
    const path = q.replace(/HASH(\d+)/, (_, i: string) => toHex(leafHash(leafBytes(Number(i)))));
    const r = await fetch(`${url}/${path}`);
    out.set(q, { status: r.status, body: await r.text() });
  }
  return out;
}

before(async () => {
  await buildLog(pristine, logSigner, N);
  const store = openSqliteStore(join(pristine, DB_FILE), true);
  const leaves = store.getLeaves(0, N).map(l => Buffer.from(l));
  store.close();
  leafBytes = i => leaves[i];
  const srv = await serve(pristine);
  expected = await answers(srv.url);
  await srv.stop();
  assert.ok([...expected.values()].every(a => a.status === 200));
});

/** Offset of `needle` in the database file (which must contain it once at least). */
function offsetOf(file: Buffer, needle: Buffer): number {
  const at = file.indexOf(needle);
  assert.ok(at > 0, 'bytes to damage not found in the file');
  return at;
}

const KINDS: { name: string; damage: (file: Buffer) => void; verify: RegExp }[] = [
  {
    name: 'a leaf flipped in the file',
    damage: f => {
      f[offsetOf(f, leafBytes(1500)) + 20] ^= 0x01;
    },
    verify: /FAILED: leaves table: leaf 1500: stored leaf hash [0-9a-f]{64}, but the leaf hashes to/,
  },
  {
    name: 'a leaf hash flipped in the table row (the index keeps the old one)',
    damage: f => {
      const row = Buffer.concat([leafHash(leafBytes(1200)), leafBytes(1200)]);
      f[offsetOf(f, row) + 3] ^= 0x80;
    },
    verify:
      /FAILED: SQLite finds the database file damaged \(PRAGMA integrity_check\):\n {2}row 1201 missing from index leaves_by_hash/,
  },
  {
    name: 'a page of the leaves table overwritten with junk',
    damage: f => {
      const page = Math.floor(offsetOf(f, leafBytes(2100)) / PAGE);
      for (let i = 0; i < PAGE; i++) f[page * PAGE + i] = (i * 131 + 7) & 0xff;
    },
    verify: /Tree \d+ \(table leaves\) page \d+: btreeInitPage\(\) returns error code 11/,
  },
  {
    name: 'a B-tree page header malformed',
    damage: f => {
      const page = Math.floor(offsetOf(f, leafBytes(900)) / PAGE);
      f[page * PAGE] = 0x07; // not a B-tree page type
    },
    verify: /Tree \d+ \(table leaves\) page \d+: btreeInitPage\(\) returns error code 11/,
  },
];

for (const kind of KINDS)
  test(`file damage: ${kind.name}`, async () => {
    const dir = join(work, kind.name.replace(/\W+/g, '-'));
    cpSync(pristine, dir, { recursive: true });
    const file = readFileSync(join(dir, DB_FILE));
    kind.damage(file);
    writeFileSync(join(dir, DB_FILE), file);

    let srv: ServerProcess;
    try {
      srv = await serve(dir);
    } catch (e) {
      // Refused at start: the reason names what is damaged.
      assert.match(String(e), /damage|malformed|does not match|table|corrupt/i);
      return;
    }
    try {
      const got = await answers(srv.url);
      let refused = 0;
      for (const q of queries) {
        const g = got.get(q)!;
        if (g.status === 500) {
          refused++;
          assert.doesNotMatch(g.body, /SQLITE|table|level/, 'a 500 says nothing about internals');
          continue;
        }
        assert.deepEqual(g, expected.get(q), `${q}: a wrong answer`);
      }
      const health = await waitFor('damage to be reported', async () => {
        const r = await fetch(`${srv.internalUrl}/health`);
        const body = await r.text();
        return r.status === 503 && /storage damage/.test(body) ? body : undefined;
      });
      assert.match(health, /leaves table|nodes table|index leaves_by_hash|malformed|corrupt/i);
      const metrics = await (await fetch(`${srv.internalUrl}/metrics`)).text();
      assert.match(metrics, /^sigsum_log_storage_damaged 1$/m);
      assert.match(srv.stderr(), /ERROR STORAGE DAMAGE/);
      assert.ok(refused > 0 || /scrub/.test(srv.stderr()) || /damage/.test(health), kind.name);
    } finally {
      await srv.stop();
    }
    const v = runCli(['verify', '--data-dir', dir, '--key-file', key.pub]);
    assert.equal(v.status, 1, `verify must fail: ${v.stdout}${v.stderr}`);
    assert.match(v.stdout, kind.verify);
  });
