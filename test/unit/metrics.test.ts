// Metrics, health and request logging of running nodes (in process): after a
// run with a secondary and a witness, log-go's metric lines match the regexes
// of log-go's integration test (protocol.md §11 step 7) and ours are present
// with plausible values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { join } from 'node:path';
import { SeedSigner } from '../../src/sigsum/crypto.js';
import { parsePolicy } from '../../src/sigsum/policy.js';
import { startPrimary, startSecondary } from '../../src/node/index.js';
import { initDataDir } from '../../src/storage/datadir.js';
import { Logger } from '../../src/util/logger.js';
import { systemClock } from '../../src/util/clock.js';
import { h } from '../support/vectors.js';
import { logSigner, submitterSigner, tempDir, waitFor } from '../support/fixtures.js';
import { addLeaf, getTreeHead, makeLeaf } from '../support/client.js';
import { freePort } from '../support/process.js';
import { TestWitness } from '../support/witness.js';

const CONFIG = join(import.meta.dirname, '..', '..', 'config');

/** Metric names in an exposition, with the _bucket, _sum and _count series of histograms and summaries. */
function exportedNames(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    out.add(m[1]);
    if (m[2] === 'histogram' || m[2] === 'summary') for (const s of ['_bucket', '_sum', '_count']) out.add(m[1] + s);
  }
  return out;
}

const PROMQL_WORDS = new Set([
  'by',
  'on',
  'and',
  'or',
  'unless',
  'without',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'le',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression reads (not functions, keywords, labels or durations). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\b\d+(\.\d+)?(e\d+)?\b/gi, '0')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|on|without|ignoring)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .filter(m => !/^\s*\(/.test(bare.slice(m.index + m[0].length))) // a function call
    .map(m => m[0])
    .filter(w => !PROMQL_WORDS.has(w.toLowerCase()) && !/^\d/.test(w));
}

test('metrics after a run with a secondary and a witness; /health; one log line per request at debug', async t => {
  const dir = tempDir(t);
  const secondaryKey = new SeedSigner(h('81'.repeat(32)));
  const w = await new TestWitness({
    name: 'witness.example/metrics',
    signer: new SeedSigner(h('82'.repeat(32))),
    logs: [logSigner.publicKey],
  }).start();
  t.after(() => w.stop());
  writeFileSync(join(dir, 'policy'), `${w.policyLine()}quorum ${w.policyName}\n`);
  (
    await initDataDir(join(dir, 'p'), {
      role: 'primary',
      logPublicKey: logSigner.publicKey,
      signer: logSigner,
      now: Date.now(),
    })
  ).close();
  (
    await initDataDir(join(dir, 's'), { role: 'secondary', logPublicKey: logSigner.publicKey, now: Date.now() })
  ).close();
  (
    await initDataDir(join(dir, 'lonely'), { role: 'secondary', logPublicKey: logSigner.publicKey, now: Date.now() })
  ).close();
  const [pInt, sInt] = [await freePort(), await freePort()];
  const { logger: slog } = Logger.memory('info');
  const sec = await startSecondary({
    dataDir: join(dir, 's'),
    signer: secondaryKey,
    logPublicKey: logSigner.publicKey,
    primaryUrl: `http://127.0.0.1:${pInt}/testonly`,
    externalEndpoint: '127.0.0.1:0',
    internalEndpoint: `127.0.0.1:${sInt}`,
    urlPrefix: 'testonly',
    interval: 50,
    maxRange: 512,
    peerTimeout: 1000,
    scrubRate: 1000,
    clock: systemClock,
    logger: slog,
  });
  t.after(() => sec.stop());
  const { logger, lines } = Logger.memory('debug');
  const pri = await startPrimary({
    dataDir: join(dir, 'p'),
    signer: logSigner,
    externalEndpoint: '127.0.0.1:0',
    internalEndpoint: `127.0.0.1:${pInt}`,
    urlPrefix: 'testonly',
    interval: 100,
    resignInterval: 10_000,
    maxRange: 512,
    peerTimeout: 1000,
    scrubRate: 1000,
    clock: systemClock,
    logger,
    hold: { waitMs: 0, maxHeld: 0 },
    secondaries: [{ url: `http://127.0.0.1:${sInt}/testonly`, publicKey: secondaryKey.publicKey }],
    witnesses: { policy: parsePolicy(`${w.policyLine()}quorum ${w.policyName}\n`), gate: true, timeoutMs: 1000 },
  });
  t.after(() => pri.stop());
  const base = `${pri.external.url}/testonly`;
  const leaves = Array.from({ length: 5 }, (_, i) => makeLeaf(submitterSigner, `metrics ${i}`));
  for (const l of leaves) await addLeaf(base, l.body);
  for (const l of leaves) await waitFor('200', async () => (await addLeaf(base, l.body)) === 200);
  await waitFor('published size 5', async () => (await getTreeHead(base)).size === 5);
  await waitFor(
    'secondary published size 5',
    async () =>
      (await fetch(`${sec.external.url}/testonly/get-tree-head`)).status === 200 &&
      (await getTreeHead(`${sec.external.url}/testonly`)).size === 5,
  );

  const scrape = async (url: string) => {
    const r = await fetch(`${url}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/plain/);
    return r.text();
  };
  const pm = await scrape(pri.internal.url);
  const sm = await scrape(sec.internal.url);
  // log-go's integration test, step 7.
  assert.match(pm, /^sigsum_log_go_http_latency_bucket\{endpoint="get-[^"]*tree-head",status="200",le="1"\} [1-9]/m);
  assert.match(sm, /^sigsum_log_go_http_latency_bucket\{endpoint="get-[^"]*tree-head",status="200",le="1"\} [1-9]/m);
  assert.match(pm, /^sigsum_log_go_witness_checkpoint_requests_total\{[^}]*status="200"[^}]*\} [1-9]/m);
  assert.match(pm, /^sigsum_log_go_witness_checkpoint_request_latency_bucket\{[^}]*le="10"\} [1-9]/m);
  assert.match(pm, /^sigsum_log_go_witness_quorum_total\{status="true"\} [1-9]/m);
  assert.match(pm, /^sigsum_log_go_witness_quorum_latency_bucket\{le="10"\} [1-9]/m);
  assert.match(pm, /^sigsum_log_go_http_req\{endpoint="add-leaf"\} (\d+)/m);
  assert.match(pm, /^sigsum_log_go_http_rsp\{endpoint="add-leaf",status="202"\} [1-9]/m);
  assert.match(
    pm,
    new RegExp(
      `^sigsum_log_go_witness_checkpoint_requests_total\\{witness="127.0.0.1:${w.port}",status="200",retried="false"\\} [1-9]`,
      'm',
    ),
  );
  // Ours.
  const value = (text: string, re: string) => Number(new RegExp(`^${re} (\\S+)$`, 'm').exec(text)?.[1]);
  assert.equal(value(pm, 'sigsum_log_tree_size\\{head="published"\\}'), 5);
  assert.equal(value(pm, 'sigsum_log_tree_size\\{head="signed"\\}'), 5);
  assert.equal(value(pm, 'sigsum_log_tree_size\\{head="local"\\}'), 5);
  assert.ok(value(pm, 'sigsum_log_tree_head_age_seconds\\{head="signed"\\}') < 60);
  assert.equal(value(pm, 'sigsum_log_pending_leaves'), 0);
  assert.equal(value(pm, 'sigsum_log_signing_ok'), 1);
  assert.ok(value(pm, 'sigsum_log_sequencer_batch_leaves_count') >= 1);
  assert.ok(value(pm, 'sigsum_log_sequencer_commit_seconds_sum') > 0);
  assert.equal(value(pm, `sigsum_log_secondary_replicated_size\\{secondary="http://127.0.0.1:${sInt}/testonly"\\}`), 5);
  assert.equal(value(pm, `sigsum_log_secondary_lag_leaves\\{secondary="http://127.0.0.1:${sInt}/testonly"\\}`), 0);
  assert.equal(value(pm, `sigsum_log_secondary_up\\{secondary="http://127.0.0.1:${sInt}/testonly"\\}`), 1);
  assert.equal(value(pm, `sigsum_log_witness_cosigned_size\\{witness="127.0.0.1:${w.port}"\\}`), 5);
  assert.ok(
    Math.abs(
      value(pm, `sigsum_log_witness_last_success_timestamp_seconds\\{witness="127.0.0.1:${w.port}"\\}`) -
        Date.now() / 1000,
    ) < 60,
  );
  assert.equal(value(sm, 'sigsum_log_replica_size'), 5);
  assert.equal(value(sm, 'sigsum_log_replica_lag_leaves'), 0);
  assert.equal(value(sm, 'sigsum_log_replication_halted'), 0);
  assert.match(sm, /^sigsum_log_go_http_req\{endpoint="get-secondary-tree-head"\} [1-9]/m);
  // Internal get-leaves is not counted (as log-go), mux-level 404s neither.
  assert.doesNotMatch(pm, /endpoint="get-leaves\/"/);
  // prom-client's process and Node.js metrics, and the build.
  assert.match(pm, /^process_resident_memory_bytes \d+/m);
  assert.match(pm, /^nodejs_eventloop_lag_p99_seconds /m);
  assert.match(pm, /^sigsum_log_build_info\{version="\d+\.\d+\.\d+",node="v\d+[^"]*"\} 1$/m);
  assert.ok(value(pm, 'sigsum_log_disk_free_bytes') > 0);
  assert.ok(value(pm, 'sigsum_log_database_bytes') > 0);

  // The alert rules and the dashboard in config/ parse and name only metrics these nodes export.
  const exported = exportedNames(pm + sm);
  const rules = parseYaml(readFileSync(join(CONFIG, 'prometheus-alerts.yml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const exprs: [string, string][] = rules.groups.flatMap(g =>
    g.rules.map((r): [string, string] => [`alert ${r.alert}`, r.expr]),
  );
  assert.ok(exprs.length >= 10);
  const dashboard = JSON.parse(readFileSync(join(CONFIG, 'grafana-dashboard.json'), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  for (const p of dashboard.panels) for (const tg of p.targets) exprs.push([`panel ${p.title}`, tg.expr]);
  for (const [where, expr] of exprs) {
    const names = metricNames(expr);
    assert.ok(names.length > 0, `${where}: no metric in ${expr}`);
    for (const n of names) assert.ok(exported.has(n), `${where}: ${n} is not exported`);
  }

  const health = await fetch(`${pri.internal.url}/health`);
  assert.equal(health.status, 200);
  assert.match(
    await health.text(),
    /^ready\nrole primary, epoch 0\npublished tree size 5, signed tree size 5, local tree size 5\n$/,
  );
  const sh = await fetch(`${sec.internal.url}/health`);
  assert.equal(sh.status, 200);
  assert.match(await sh.text(), /^ready\nrole secondary/);
  assert.ok(lines.some(l => /DEBUG request method=POST path=\/testonly\/add-leaf status=202 ms=/.test(l)));
  assert.ok(lines.some(l => /DEBUG request method=GET path=\/testonly\/get-tree-head status=200/.test(l)));

  // A secondary that has nothing verified yet is not ready.
  const lonely = await startSecondary({
    dataDir: join(dir, 'lonely'),
    signer: secondaryKey,
    logPublicKey: logSigner.publicKey,
    primaryUrl: 'http://127.0.0.1:9',
    externalEndpoint: '127.0.0.1:0',
    internalEndpoint: '127.0.0.1:0',
    urlPrefix: '',
    interval: 1000,
    maxRange: 512,
    peerTimeout: 200,
    clock: systemClock,
    logger: slog,
  });
  t.after(() => lonely.stop());
  const lh = await fetch(`${lonely.internal.url}/health`);
  assert.equal(lh.status, 503);
  assert.match(await lh.text(), /^not ready\n.*\nno verified tree head yet/s);
  // Its public info page says replication fails, in plain words: no internal URL, no raw error text.
  await waitFor('replication to fail', () => lonely.log.failing.active || undefined);
  const info = await (await fetch(`${lonely.external.url}/`)).text();
  assert.match(
    info,
    /Status: replication is failing \(see the operator&#39;s logs\)|Status: replication is failing \(see the operator's logs\)/,
  );
  assert.doesNotMatch(info, /127\.0\.0\.1|ECONNREFUSED|http:\/\/[^"]*:9/);
});
