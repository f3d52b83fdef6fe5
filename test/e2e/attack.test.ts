// Cheap attacks on real processes (localhost): 50 connections each pipelining
// 2,000 `GET /get-leaves/0/512` and never reading, plus 10 that send as much
// and hang up at once. The node must stay within 300 MB RSS, keep answering
// another client's get-tree-head (p99 under 1 s), survive, and, when the
// attack is on a secondary, the primary must keep publishing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLog } from '../bench/build-db.js';
import { logSigner, waitFor } from '../support/fixtures.js';
import { getTreeHead } from '../support/client.js';
import { Cluster, LogChecker, publicUrl } from '../support/cluster.js';

const work = mkdtempSync(join(tmpdir(), 'sigsum-log-attack-'));
after(() => rmSync(work, { recursive: true, force: true }));

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const REQUEST = 'GET /get-leaves/0/512 HTTP/1.1\r\nHost: attacked\r\n\r\n';

/** Opens the attack connections; resolves once every request is written. Returns a function that ends it. */
async function attack(port: number): Promise<() => void> {
  const burst = Buffer.from(REQUEST.repeat(2000));
  const sockets: Socket[] = [];
  const open = (hangUp: boolean) =>
    new Promise<void>(resolve => {
      const s = connect(port, '127.0.0.1', () => {
        s.pause(); // never read an answer
        s.write(burst, () => {
          if (hangUp) s.destroy();
          resolve();
        });
        setTimeout(resolve, 2000); // a write the server stopped reading (it closed the connection)
      });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      sockets.push(s);
    });
  await Promise.all([
    ...Array.from({ length: 50 }, () => open(false)),
    ...Array.from({ length: 10 }, () => open(true)),
  ]);
  return () => sockets.forEach(s => s.destroy());
}

const PROBE = fileURLToPath(new URL('../support/latency-probe.mjs', import.meta.url));

/** get-tree-head latencies of a well-behaved client (its own process) while `during` runs; RSS samples of `pid`. */
async function measure(
  url: string,
  pid: number,
  seconds: number,
  during: () => Promise<void>,
): Promise<{ p99: number; maxRss: number; errors: number; samples: number }> {
  let maxRss = rssMb(pid);
  const child = spawn(process.execPath, [PROBE, `${url}/get-tree-head`, String(seconds)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', d => (out += d));
  const exited = new Promise<number | null>(resolve => child.once('exit', resolve));
  // The attack starts once the probe is warm (its first request measures the client, not the server).
  await waitFor('the latency probe to be ready', () => out.startsWith('ready\n') || undefined, 30_000, 10);
  const probe = exited.then(code => {
    if (code !== 0) throw new Error(`latency probe exited with ${code}: ${out}`);
    return JSON.parse(out.slice('ready\n'.length)) as { latencies: number[]; errors: number };
  });
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssMb(pid))), 50);
  try {
    await during();
  } finally {
    clearInterval(sampler);
  }
  const { latencies, errors } = await probe;
  if (process.env.DEBUG_ATTACK) console.error(JSON.stringify(latencies.map(Math.round)));
  latencies.sort((a, b) => a - b);
  return { p99: latencies[Math.floor(latencies.length * 0.99)] ?? Infinity, maxRss, errors, samples: latencies.length };
}

const c = new Cluster('300ms'); // at module level: its cleanup runs after the last test
before(async () => {
  const [p, s] = [await c.node('p'), await c.node('s', '51')];
  await buildLog(p.dir, logSigner, 2000);
  await c.startSecondary(s, p);
  await c.startPrimary(p, [s]);
  await waitFor('the secondary to catch up', async () => (await c.replicaSize(s)) >= 2000 || undefined, 60_000);
});

test('pipelined get-leaves from 60 connections: bounded memory, other clients served, the node survives', async t => {
  const p = c.nodes.get('p')!;
  const pid = p.proc!.proc.pid!;
  const m = await measure(publicUrl(p), pid, 5, async () => {
    const end = await attack(p.ext);
    await new Promise(r => setTimeout(r, 4000)); // the attack connections stay open, unread
    end();
  });
  t.diagnostic(`primary under attack: RSS max ${m.maxRss.toFixed(0)} MB, get-tree-head p99 ${m.p99.toFixed(0)} ms`);
  assert.ok(m.maxRss < 300, `RSS ${m.maxRss.toFixed(0)} MB`);
  assert.ok(m.p99 < 1000, `get-tree-head p99 ${m.p99.toFixed(0)} ms`);
  assert.equal(m.errors, 0);
  assert.equal((await getTreeHead(publicUrl(p))).size >= 2000, true, 'still serving');
});

test('the same attack on a secondary: the primary goes on publishing every interval', async t => {
  const [p, s] = [c.nodes.get('p')!, c.nodes.get('s')!];
  const checker = new LogChecker();
  const stream = checker.stream(c, () => p, 2);
  await waitFor('publication under load', () => checker.accepted.length >= 5 || undefined, 30_000);
  const published: number[] = []; // times at which the primary's published size grew
  let last = (await getTreeHead(publicUrl(p))).size;
  const m = await measure(publicUrl(s), s.proc!.proc.pid!, 5, async () => {
    const end = await attack(s.ext);
    const until = performance.now() + 4000;
    while (performance.now() < until) {
      const size = (await getTreeHead(publicUrl(p))).size;
      if (size > last) published.push(performance.now());
      last = size;
      await new Promise(r => setTimeout(r, 100));
    }
    end();
  });
  await stream.stop();
  const gaps = published.slice(1).map((x, i) => x - published[i]);
  t.diagnostic(
    `secondary under attack: RSS max ${m.maxRss.toFixed(0)} MB, get-tree-head p99 ${m.p99.toFixed(0)} ms; primary published ${published.length} times, longest gap ${Math.max(0, ...gaps).toFixed(0)} ms`,
  );
  assert.ok(m.maxRss < 300, `secondary RSS ${m.maxRss.toFixed(0)} MB`);
  assert.ok(m.p99 < 1000, `secondary get-tree-head p99 ${m.p99.toFixed(0)} ms`);
  assert.ok(published.length >= 4, `the primary published only ${published.length} times in 4 s`);
  assert.ok(Math.max(0, ...gaps) < 2500, `a gap of ${Math.max(...gaps).toFixed(0)} ms between publications`);
  await checker.verify(p);
});
