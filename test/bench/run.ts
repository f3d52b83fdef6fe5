// npm run bench: our log against log-go's (in-memory backend) on this
// machine, under the same load generator, interval and topology, and against
// the machine's own limits measured in the same run. Every figure that
// matters is printed as a ratio; absolute numbers vary from run to run.
//   npm run bench                  # about 5 minutes
//   npm run bench -- --scale       # adds a 10^7-leaf log (several more minutes)
//   npm run bench -- --scale-only  # only the 10^7-leaf part
//   npm run bench -- --quick       # smaller runs, for trying the script
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SeedSigner, sha256 } from '../../src/sigsum/crypto.js';
import { formatPrivateKey, formatPublicKey } from '../../src/sigsum/keyfile.js';
import { parseSignedTreeHead } from '../../src/sigsum/treehead.js';
import { DB_FILE, openSqliteStore } from '../../src/storage/sqlite.js';
import { CheckedReads } from '../../src/storage/checked-reads.js';
import { toHex } from '../../src/sigsum/types.js';
import { toolsDir } from '../support/tools.js';
import { buildLog } from './build-db.js';
import { closedLoop, hammer, Load, percentile, sleep } from './http-load.js';
import { makeLeaves, type BenchLeaf } from './leaves.js';
import { cpuMicros, rssAnonBytes, rssBytes, threadCpuMicros } from './procfs.js';
import { startLogGo, startOurs, freePort, type Proc } from './servers.js';
import { sqliteRoofline, verifyRoofline } from './rooflines.js';

const run = promisify(execFile);
const argv = new Set(process.argv.slice(2));
const QUICK = argv.has('--quick');
const SCALE = argv.has('--scale') || argv.has('--scale-only');
const SCALE_ONLY = argv.has('--scale-only');
const N_ACCEPT = QUICK ? 8_000 : 40_000;
const READ_SIZE = QUICK ? 100_000 : 1_000_000;
const CONC = 64;
const SECONDS = QUICK ? 2 : 5;

const tools = toolsDir();
const work = mkdtempSync(join(tmpdir(), 'sigsum-log-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

function key(name: string, seedText: string): { path: string; pub: string; signer: SeedSigner } {
  const seed = sha256(Buffer.from(seedText));
  const path = join(work, name);
  writeFileSync(path, formatPrivateKey(seed), { mode: 0o600 });
  const signer = new SeedSigner(seed);
  writeFileSync(path + '.pub', formatPublicKey(signer.publicKey));
  return { path, pub: path + '.pub', signer };
}
const logKey = key('log.key', 'bench log');
const secKey = key('sec.key', 'bench secondary');

interface Row {
  metric: string;
  ours: string;
  other: string;
  ratio: string;
  target: string;
  ok?: boolean;
}
const rows: Row[] = [];
const fmt = (x: number, d = 0) =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a';
function row(
  metric: string,
  ours: number,
  other: number | undefined,
  unit: string,
  target?: { max?: number; min?: number; text: string },
  ratioOf?: number,
  digits = 0,
) {
  const r = ratioOf ?? (other ? ours / other : NaN);
  rows.push({
    metric,
    ours: `${fmt(ours, digits)} ${unit}`,
    other: other === undefined ? '' : `${fmt(other, digits)} ${unit}`,
    ratio: Number.isFinite(r) ? `${r.toFixed(2)}×` : '',
    target: target?.text ?? '',
    ok: target
      ? (target.min !== undefined ? r >= target.min : true) && (target.max !== undefined ? r <= target.max : true)
      : undefined,
  });
}

type Topology = 'alone' | 'secondary';
let dirN = 0;
async function ours(topology: Topology, interval = '1s', flags: string[] = []): Promise<Proc[]> {
  const d = join(work, `ours-${dirN++}`);
  if (topology === 'alone')
    return [await startOurs({ role: 'primary', dataDir: join(d, 'p'), keyFile: logKey.path, interval, extra: flags })];
  const [pInt, sInt] = [await freePort(), await freePort()];
  const sec = await startOurs({
    role: 'secondary',
    dataDir: join(d, 's'),
    keyFile: secKey.path,
    interval: '250ms',
    internal: sInt,
    extra: ['--log-pubkey-file', logKey.pub, '--primary-url', `http://127.0.0.1:${pInt}`],
  });
  const pri = await startOurs({
    role: 'primary',
    dataDir: join(d, 'p'),
    keyFile: logKey.path,
    interval,
    internal: pInt,
    extra: ['--secondary-url', `http://127.0.0.1:${sInt}`, '--secondary-pubkey-file', secKey.pub, ...flags],
  });
  return [pri, sec];
}
async function logGo(topology: Topology, interval = '1s'): Promise<Proc[]> {
  const d = join(work, `loggo-${dirN++}`);
  rmSync(d, { recursive: true, force: true });
  (await import('node:fs')).mkdirSync(d, { recursive: true });
  if (topology === 'alone')
    return [await startLogGo({ role: 'primary', bin: tools!, dir: d, keyFile: logKey.path, interval })];
  const [pInt, sInt] = [await freePort(), await freePort()];
  const sec = await startLogGo({
    role: 'secondary',
    bin: tools!,
    dir: d,
    keyFile: secKey.path,
    interval: '250ms',
    internal: sInt,
    extra: [`--primary-url=http://127.0.0.1:${pInt}`],
  });
  const pri = await startLogGo({
    role: 'primary',
    bin: tools!,
    dir: d,
    keyFile: logKey.path,
    interval,
    internal: pInt,
    extra: [`--secondary-url=http://127.0.0.1:${sInt}`, `--secondary-pubkey-file=${secKey.pub}`],
  });
  return [pri, sec];
}
const stopAll = (ps: Proc[]) => Promise.all(ps.map(p => p.stop()));
const cpuOf = (ps: Proc[]) => ps.reduce((a, p) => a + cpuMicros(p.pid), 0);

interface Accepted {
  rate: number;
  cpuPerLeaf: number;
  /** Time to 200 of probe leaves submitted (20/s) while the load ran. */
  p50To200: number;
  /** The primary's CPU per leaf on its main thread (the event loop) and on all its other threads. */
  mainPerLeaf: number;
  othersPerLeaf: number;
}

/**
 * add-leaf first answers per second for N new leaves (closed loop, CONC
 * connections), server CPU-µs per leaf, and the time to 200 of a trickle of
 * other leaves submitted during that saturating load.
 */
async function accepted(ps: Proc[], leaves: BenchLeaf[], probe: BenchLeaf[]): Promise<Accepted> {
  const load = new Load(CONC);
  const url = `${ps[0].external}/add-leaf`;
  const cpu0 = cpuOf(ps);
  const t0 = threadCpuMicros(ps[0].pid);
  let bad = 0;
  let done = false;
  const probed = timeTo200(ps, probe, 20, () => done);
  const secs = await closedLoop(leaves, CONC, async l => {
    const r = await load.request(url, 'POST', l.body);
    if (r.status !== 202 && r.status !== 200) bad++;
  });
  done = true;
  const cpu = cpuOf(ps) - cpu0;
  const t1 = threadCpuMicros(ps[0].pid);
  load.close();
  const times = await probed;
  if (bad > 0) log(`${ps[0].name}: ${bad} add-leaf answers were neither 200 nor 202`);
  return {
    rate: leaves.length / secs,
    cpuPerLeaf: cpu / leaves.length,
    p50To200: percentile(times, 50),
    mainPerLeaf: (t1.main - t0.main) / leaves.length,
    othersPerLeaf: (t1.others - t0.others) / leaves.length,
  };
}

/**
 * Open loop at `rate`/s: time from first submission to 200, resubmitting every
 * 100 ms. Leaves not yet submitted when `stop()` turns true are skipped.
 */
async function timeTo200(ps: Proc[], leaves: BenchLeaf[], rate: number, stop = () => false): Promise<number[]> {
  const load = new Load(512);
  const url = `${ps[0].external}/add-leaf`;
  const out: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    leaves.map(async (l, i) => {
      const due = t0 + (i * 1000) / rate;
      await sleep(Math.max(0, due - performance.now()));
      if (stop()) return;
      const first = performance.now();
      for (let tries = 0; tries < 300; tries++) {
        const r = await load.request(url, 'POST', l.body);
        if (r.status === 200) {
          out.push(performance.now() - first);
          return;
        }
        await sleep(100);
      }
    }),
  );
  load.close();
  return out;
}

async function sigsumSubmit(ps: Proc[], times: number): Promise<number> {
  const policy = join(work, `policy-${ps[0].pid}`);
  writeFileSync(policy, `log ${toHex(logKey.signer.publicKey)} ${ps[0].external}\nquorum none\n`);
  const sub = join(work, 'submit.key');
  if (!existsSync(sub)) await run(join(tools!, 'sigsum-key'), ['generate', '-o', sub]);
  const walls: number[] = [];
  for (let i = 0; i < times; i++) {
    const msg = join(work, `msg-${ps[0].pid}-${i}`);
    writeFileSync(msg, `bench message ${ps[0].name} ${i} ${Math.random()}\n`);
    await sleep(1500); // a quiet log
    const started = performance.now();
    await run(join(tools!, 'sigsum-submit'), ['-k', sub, '-p', policy, msg], { timeout: 60_000 });
    walls.push(performance.now() - started);
    await run('sh', [
      '-c',
      `"$0" -k "$1" -p "$2" "$3" < "$4"`,
      join(tools!, 'sigsum-verify'),
      sub + '.pub',
      policy,
      msg + '.proof',
      msg,
    ]);
  }
  return percentile(walls, 50);
}

async function helloRate(): Promise<number> {
  const p = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'hello.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url: string = await new Promise(res => p.stdout.once('data', d => res(String(d).trim())));
  const load = new Load(CONC);
  await hammer(CONC, 1, () => load.request(url)); // warm up
  const r = await hammer(CONC, SECONDS, () => load.request(url));
  load.close();
  p.kill('SIGTERM');
  return r.rate;
}

/** Reads per second of random 512-leaf ranges: unchecked, checked by hashing (cold), checked by fingerprint (warm). */
function checkCost(dir: string, n: number): { raw: number; hashed: number; fingerprint: number } {
  const store = openSqliteStore(join(dir, DB_FILE), true);
  const head = { size: n, rootHash: store.root() };
  const reads = new CheckedReads(store, what => log(`damage: ${what}`));
  const starts = Array.from({ length: QUICK ? 200 : 1000 }, () => Math.floor(Math.random() * (n - 512)));
  const rate = (f: (s: number) => unknown) => {
    const t0 = performance.now();
    for (const s of starts) f(s);
    return starts.length / ((performance.now() - t0) / 1000);
  };
  rate(s => store.getLeaves(s, s + 512)); // page cache warm for all three
  const raw = rate(s => store.getLeaves(s, s + 512));
  const hashed = rate(s => reads.leaves(s, s + 512, head));
  const fingerprint = rate(s => reads.leaves(s, s + 512, head));
  store.close();
  return { raw, hashed, fingerprint };
}

function randomHashes(dir: string, n: number, count: number): string[] {
  const store = openSqliteStore(join(dir, DB_FILE), true);
  const out = Array.from({ length: count }, () => {
    const i = Math.floor(Math.random() * n);
    return toHex(store.leafHashes(i, i + 1)[0]);
  });
  store.close();
  return out;
}

async function readRates(p: Proc, hashes: string[], size: number, conc = CONC, seconds = SECONDS) {
  const load = new Load(conc);
  let i = 0;
  const incl = await hammer(conc, seconds, () =>
    load.request(`${p.external}/get-inclusion-proof/${size}/${hashes[i++ % hashes.length]}`),
  );
  const l10 = await hammer(conc, seconds, () => {
    const s = Math.floor(Math.random() * (size - 10));
    return load.request(`${p.external}/get-leaves/${s}/${s + 10}`);
  });
  const l512 = await hammer(conc, seconds, () => {
    const s = Math.floor(Math.random() * (size - 512));
    return load.request(`${p.external}/get-leaves/${s}/${s + 512}`);
  });
  load.close();
  for (const [n, r] of [
    ['inclusion', incl],
    ['leaves10', l10],
    ['leaves512', l512],
  ] as const)
    if (r.errors) log(`${n}: ${r.errors} non-200 answers`);
  return { incl, l10, l512 };
}

async function secondarySize(internal: string): Promise<number> {
  const r = await fetch(`${internal}/get-secondary-tree-head`).catch(() => undefined);
  if (!r || r.status !== 200) return 0;
  return parseSignedTreeHead(await r.text()).size;
}

async function catchUp(primary: Proc, n: number, kind: 'ours' | 'log-go', limitSeconds: number): Promise<number> {
  const d = join(work, `catchup-${kind}`);
  (await import('node:fs')).mkdirSync(d, { recursive: true });
  const pInt = primary.internal;
  const started = performance.now();
  const sec =
    kind === 'ours'
      ? await startOurs({
          role: 'secondary',
          dataDir: join(d, 's'),
          keyFile: secKey.path,
          interval: '250ms',
          extra: ['--log-pubkey-file', logKey.pub, '--primary-url', pInt],
        })
      : await startLogGo({
          role: 'secondary',
          bin: tools!,
          dir: d,
          keyFile: secKey.path,
          interval: '250ms',
          extra: [`--primary-url=${pInt}`],
        });
  let size: number;
  while ((size = await secondarySize(sec.internal)) < n && performance.now() - started < limitSeconds * 1000)
    await sleep(200);
  const secs = (performance.now() - started) / 1000;
  await sec.stop();
  return size / secs;
}

async function main() {
  log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), node ${process.version}; work dir ${work}`);
  if (!tools) log('reference tools not installed (npm run install-tools): log-go columns are skipped');

  // Machine limits.
  const verifies = { openssl: verifyRoofline('openssl'), libsodium: verifyRoofline('libsodium') };
  const sqliteRows = sqliteRoofline(join(work, 'roof.db'));
  const hello = await helloRate();
  log(
    `rooflines: Ed25519 verifies/s/core ${fmt(verifies.openssl)} (OpenSSL), ${fmt(verifies.libsodium)} (libsodium), ${fmt(sqliteRows)} SQLite rows/s, hello world ${fmt(hello)} req/s`,
  );
  if (!SCALE_ONLY) await comparisons(verifies, hello, sqliteRows);
  if (SCALE) await scale(hello);

  // The table.
  const lines = [
    '| Metric | sigsum-log | log-go / reference | Ratio | Target | Met |',
    '|---|---:|---:|---:|---|---|',
    ...rows.map(
      r =>
        `| ${r.metric} | ${r.ours} | ${r.other} | ${r.ratio} | ${r.target} | ${r.ok === undefined ? '' : r.ok ? 'yes' : '**no**'} |`,
    ),
  ];
  process.stdout.write(
    `\nMachine: ${cpus().length} × ${cpus()[0]?.model}; ${process.version}; ${new Date().toISOString().slice(0, 10)}\n\n${lines.join('\n')}\n`,
  );
}

async function comparisons(verifies: { openssl: number; libsodium: number }, hello: number, sqliteRows: number) {
  const leaves = makeLeaves(N_ACCEPT * 6 + 6 * 600 + 4000, 'bench');
  let next = 0;
  const take = (n: number) => leaves.slice(next, (next += n));

  let ourCpu = NaN; // per leaf, with a secondary
  const PROBE = 20 * 30;
  for (const topology of ['alone', 'secondary'] as Topology[]) {
    const label = topology === 'alone' ? 'primary alone' : 'primary + 1 secondary';
    let g: Accepted | undefined;
    if (tools) {
      const lg = await logGo(topology);
      g = await accepted(lg, take(N_ACCEPT), take(PROBE));
      await stopAll(lg);
    }
    // Before the libsodium fast path: OpenSSL on libuv's thread pool (--workers 0).
    const o0 = await ours(topology, '1s', ['--workers', '0']);
    const a0 = await accepted(o0, take(N_ACCEPT), take(PROBE));
    await stopAll(o0);
    const o = await ours(topology);
    const a = await accepted(o, take(N_ACCEPT), take(PROBE));
    await stopAll(o);
    ourCpu = a.cpuPerLeaf;
    const sec = topology === 'secondary';
    row(`add-leaf accepted/s, ${label}`, a.rate, g?.rate, '/s', sec ? { min: 0.8, text: '≥ 0.8× log-go' } : undefined);
    row(`… with --workers 0 (OpenSSL on the thread pool)`, a0.rate, g?.rate, '/s');
    row(
      `server CPU per accepted leaf, ${label}`,
      a.cpuPerLeaf,
      g?.cpuPerLeaf,
      'µs',
      sec ? { max: 1.5, text: '≤ 1.5× log-go' } : undefined,
    );
    row(`… with --workers 0`, a0.cpuPerLeaf, g?.cpuPerLeaf, 'µs');
    row(
      `ours: primary's main thread per leaf (other threads: ${fmt(a.othersPerLeaf)} µs)`,
      a.mainPerLeaf,
      undefined,
      'µs',
    );
    row(`… with --workers 0 (other threads: ${fmt(a0.othersPerLeaf)} µs)`, a0.mainPerLeaf, undefined, 'µs');
    if (sec) {
      row('time to 200, p50, under that saturating load', a.p50To200, g?.p50To200, 'ms', {
        max: 1.0,
        text: '≤ 1.0× log-go',
      });
      row(`… with --workers 0`, a0.p50To200, g?.p50To200, 'ms');
    }
    log(
      `${label}: ours ${fmt(a.rate)}/s (${fmt(a.cpuPerLeaf)} µs/leaf, p50 to 200 ${fmt(a.p50To200)} ms), ` +
        `--workers 0 ${fmt(a0.rate)}/s (${fmt(a0.cpuPerLeaf)} µs/leaf), ` +
        `log-go ${g ? fmt(g.rate) : '-'}/s (${g ? fmt(g.cpuPerLeaf) : '-'} µs/leaf, p50 to 200 ${g ? fmt(g.p50To200) : '-'} ms)`,
    );
  }
  for (const [k, v] of Object.entries(verifies))
    rows.push({
      metric: `machine: Ed25519 verifies/s on one core (${k})`,
      ours: `${fmt(v)} /s`,
      other: '',
      ratio: '',
      target: '',
    });
  row('ours: CPU per leaf vs one OpenSSL Ed25519 verify', ourCpu, 1e6 / verifies.openssl, 'µs', undefined, undefined);

  // Latency to 200 at interval 1 s, primary + 1 secondary, and sigsum-submit.
  const RATE = QUICK ? 100 : 200;
  const latency = async (ps: Proc[]) => {
    const t = await timeTo200(ps, take(RATE * (QUICK ? 3 : 5)), RATE);
    return { p50: percentile(t, 50), p90: percentile(t, 90), p99: percentile(t, 99), n: t.length };
  };
  const o = await ours('secondary');
  const ol = await latency(o);
  const os = tools ? await sigsumSubmit(o, 3) : NaN;
  await stopAll(o);
  let gl: typeof ol | undefined;
  let gs = NaN;
  if (tools) {
    const g = await logGo('secondary');
    gl = await latency(g);
    gs = await sigsumSubmit(g, 3);
    await stopAll(g);
  }
  row(`time to 200, p50 (${RATE}/s, interval 1 s, + 1 secondary)`, ol.p50, gl?.p50, 'ms', {
    max: 1.0,
    text: '≤ 1.0× log-go',
  });
  row('time to 200, p90', ol.p90, gl?.p90, 'ms');
  row('time to 200, p99', ol.p99, gl?.p99, 'ms');
  if (tools) row('sigsum-submit wall time to a verified proof', os, gs, 'ms', { max: 0.6, text: '≤ 0.6× log-go' });

  // Reads and catch-up at 10^6 leaves (ours; log-go has no persistent backend to load).
  log(`building a log of ${fmt(READ_SIZE)} leaves`);
  const big = join(work, 'big');
  const built = await buildLog(big, logKey.signer, READ_SIZE);
  const bytes = statSync(join(big, DB_FILE)).size;
  log(`built in ${built.seconds.toFixed(1)} s, ${fmt(bytes / READ_SIZE)} bytes/leaf`);
  const bp = await startOurs({ role: 'primary', dataDir: big, keyFile: logKey.path, interval: '1s' });
  const hashes = randomHashes(big, READ_SIZE, 20000);
  const reads = await readRates(bp, hashes, READ_SIZE);
  const sz = READ_SIZE >= 1e6 ? '10^6' : fmt(READ_SIZE);
  row(`get-inclusion-proof/s at ${sz} leaves vs hello world`, reads.incl.rate, hello, '/s', {
    min: 0.5,
    text: '≥ 0.5× hello world',
  });
  row(`get-leaves (10 leaves)/s at ${sz} vs hello world`, reads.l10.rate, hello, '/s');
  row(`get-leaves (512 leaves)/s at ${sz} vs hello world`, reads.l512.rate, hello, '/s');
  row(`bytes on disk per leaf at ${sz}`, bytes / READ_SIZE, 256, 'B', { max: 1.0, text: '≤ 256 B' });
  // The cost of checking get-leaves (checked-reads.ts), in-process on the same log: 512-leaf ranges read
  // raw, checked by hashing (first read), and checked by fingerprint (a block proven before, by an
  // earlier read or by the scrubber).
  await bp.stop();
  const ck = checkCost(big, READ_SIZE);
  rows.push({
    metric: `get-leaves (512) in-process at ${sz}: checked by hashing / by fingerprint / unchecked`,
    ours: `${fmt(ck.hashed)} / ${fmt(ck.fingerprint)} / ${fmt(ck.raw)} /s`,
    other: '',
    ratio: `${(ck.hashed / ck.raw).toFixed(2)}× / ${(ck.fingerprint / ck.raw).toFixed(2)}×`,
    target: '',
  });
  const bp2 = await startOurs({ role: 'primary', dataDir: big, keyFile: logKey.path, interval: '1s' });
  const cu = await catchUp(bp2, READ_SIZE, 'ours', 300);
  const cg = tools ? await catchUp(bp2, READ_SIZE, 'log-go', QUICK ? 30 : 120) : undefined;
  row(
    `secondary catch-up 0 → ${sz} (log-go: its secondary from our primary)`,
    cu,
    cg,
    'leaves/s',
    { min: 30000 / cu, text: '≥ 30,000/s' },
    cu / 30000,
  );
  rows[rows.length - 1].ratio = cg ? `${(cu / cg).toFixed(2)}× (vs log-go)` : '';
  rows[rows.length - 1].ok = cu >= 30000;
  await bp2.stop();
  // A leaf is one durable row plus half an interior-node row: the disk's roofline bounds catch-up.
  row('secondary catch-up vs the durable SQLite insert roofline', cu, sqliteRows, 'rows/s');
}

async function scale(hello: number) {
  for (const n of [10_000, 10_000_000]) {
    log(`scale: building ${fmt(n)} leaves`);
    const dir = join(work, `scale-${n}`);
    const b = await buildLog(dir, logKey.signer, n, done => done % 1_000_000 === 0 && log(`  ${fmt(done)}`));
    const bytes = statSync(join(dir, DB_FILE)).size;
    const p = await startOurs({ role: 'primary', dataDir: dir, keyFile: logKey.path, interval: '1s' });
    const hashes = randomHashes(dir, n, 20000);
    const load = new Load(8);
    let i = 0;
    const r = await hammer(8, SECONDS * 2, () =>
      load.request(`${p.external}/get-inclusion-proof/${n}/${hashes[i++ % hashes.length]}`),
    );
    load.close();
    const rss = rssBytes(p.pid);
    const anon = rssAnonBytes(p.pid);
    scaleResults[n] = { p99: percentile(r.latencies, 99), rate: r.rate };
    if (n === 10_000_000) {
      row('scale: bytes on disk per leaf at 10^7', bytes / n, 256, 'B', { max: 1.0, text: '≤ 256 B' });
      row('scale: RSS at 10^7 after 10 s of proofs', rss / 2 ** 20, 300, 'MiB', { max: 1.0, text: '≤ 300 MiB' });
      row(
        'scale: of which anonymous (heap; the rest is mostly the 128 MiB SQLite memory map)',
        anon / 2 ** 20,
        300,
        'MiB',
      );
      row('scale: startup time at 10^7 (spawn to serving)', p.startupMs, 2000, 'ms', { max: 1.0, text: '≤ 2 s' });
      const small = (scaleResults as Record<number, { p99: number }>)[10_000].p99;
      row(
        'scale: p99 inclusion-proof latency at 10^7 vs 10^4',
        percentile(r.latencies, 99),
        small,
        'ms',
        { max: 1.5, text: '≤ 1.5×' },
        undefined,
        2,
      );
      row('scale: get-inclusion-proof/s at 10^7 vs hello world', r.rate, hello, '/s');
      log(`scale: built in ${b.seconds.toFixed(0)} s`);
    }
    await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
const scaleResults: Record<number, unknown> = {};

await main();
process.exit(0);
