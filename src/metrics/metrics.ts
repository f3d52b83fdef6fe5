// Prometheus metrics of a node, served at /metrics on the internal listener.
//
// log-go's metrics keep their names, types, labels and buckets (protocol.md
// §9), so existing dashboards and alerts keep working: sigsum_log_go_http_*
// per endpoint, sigsum_log_go_witness_*. Ours are prefixed sigsum_log_ and
// say what log-go's do not: tree sizes and head ages, the sequencer, the
// replication quorum and each secondary's lag, each witness's state, rate
// limiting, and on a secondary its lag behind the primary. prom-client's
// default process and Node.js metrics (process_*, nodejs_*) and
// sigsum_log_build_info{version,node} come with every node.
//
// Gauges read the owners' state when scraped (collect callbacks), so no
// component updates a gauge on its hot path. Histogram bucket lines are
// written with `le` last, as Go's client does (log-go's integration test
// greps for that label order).
import client from 'prom-client';
import type { PrimaryEvents, WitnessEvents } from './events.js';
import { VERSION } from '../version.js';

export const LOG_GO_BUCKETS = [0.001, 0.002, 0.003, 0.006, 0.01, 0.02, 0.03, 0.06, 0.1, 0.2, 0.3, 0.6, 1, 2, 3, 6, 10];

export type GaugeSample = [labels: Record<string, string | number>, value: number];

export class Metrics implements PrimaryEvents, WitnessEvents {
  readonly registry = new client.Registry();
  private readonly httpReq;
  private readonly httpRsp;
  private readonly httpLatency;
  private readonly witnessRequests;
  private readonly witnessLatency;
  private readonly witnessQuorumCount;
  private readonly witnessQuorumLatency;
  private readonly batchSize;
  private readonly commitSeconds;
  private readonly rateLimitedCount;
  private readonly tokenFailures;

  constructor() {
    const r = [this.registry];
    // prom-client's process and Node.js metrics (CPU, memory, event-loop lag, GC, handles).
    client.collectDefaultMetrics({ register: this.registry });
    this.gauge(
      'sigsum_log_build_info',
      'Always 1; labels say which sigsum-log and Node.js run',
      ['version', 'node'],
      () => [[{ version: VERSION, node: process.version }, 1]],
    );
    this.httpReq = new client.Counter({
      name: 'sigsum_log_go_http_req',
      help: 'Number of HTTP requests (log-go name)',
      labelNames: ['endpoint'],
      registers: r,
    });
    this.httpRsp = new client.Counter({
      name: 'sigsum_log_go_http_rsp',
      help: 'Number of HTTP responses (log-go name)',
      labelNames: ['endpoint', 'status'],
      registers: r,
    });
    this.httpLatency = new client.Histogram({
      name: 'sigsum_log_go_http_latency',
      help: 'HTTP response latency in seconds (log-go name)',
      labelNames: ['endpoint', 'status'],
      buckets: LOG_GO_BUCKETS,
      registers: r,
    });
    this.witnessRequests = new client.Counter({
      name: 'sigsum_log_go_witness_checkpoint_requests_total',
      help: 'add-checkpoint requests per witness and outcome (log-go name)',
      labelNames: ['witness', 'status', 'retried'],
      registers: r,
    });
    this.witnessLatency = new client.Histogram({
      name: 'sigsum_log_go_witness_checkpoint_request_latency',
      help: 'Latency of successful add-checkpoint exchanges in seconds (log-go name)',
      labelNames: ['witness'],
      buckets: LOG_GO_BUCKETS,
      registers: r,
    });
    this.witnessQuorumCount = new client.Counter({
      name: 'sigsum_log_go_witness_quorum_total',
      help: 'Tree heads for which the witness quorum was (true) or was not (false) reached (log-go name)',
      labelNames: ['status'],
      registers: r,
    });
    this.witnessQuorumLatency = new client.Histogram({
      name: 'sigsum_log_go_witness_quorum_latency',
      help: 'Seconds from offering a tree head to the witness response that completed its quorum (log-go name)',
      buckets: LOG_GO_BUCKETS,
      registers: r,
    });
    this.batchSize = new client.Histogram({
      name: 'sigsum_log_sequencer_batch_leaves',
      help: 'Leaves per committed sequencer batch',
      buckets: [1, 4, 16, 64, 256, 1024, 2048, 4096, 8192],
      registers: r,
    });
    this.commitSeconds = new client.Histogram({
      name: 'sigsum_log_sequencer_commit_seconds',
      help: 'Duration of a durable batch commit (leaves and subtree hashes, one transaction)',
      buckets: LOG_GO_BUCKETS,
      registers: r,
    });
    this.rateLimitedCount = new client.Counter({
      name: 'sigsum_log_rate_limited_total',
      help: 'add-leaf requests refused by a rate limit, by kind of limit',
      labelNames: ['limit'],
      registers: r,
    });
    this.tokenFailures = new client.Counter({
      name: 'sigsum_log_token_failures_total',
      help: 'add-leaf requests whose sigsum-token did not verify, by reason',
      labelNames: ['reason'],
      registers: r,
    });
  }

  batchCommitted(leaves: number, seconds: number): void {
    this.batchSize.observe(leaves);
    this.commitSeconds.observe(seconds);
  }

  tokenFailed(reason: string): void {
    this.tokenFailures.inc({ reason });
  }

  rateLimited(limit: string): void {
    this.rateLimitedCount.inc({ limit });
  }

  witnessRequest(witness: string, status: string, retried: boolean, seconds?: number): void {
    this.witnessRequests.inc({ witness, status, retried: String(retried) });
    if (status === '200' && seconds !== undefined) this.witnessLatency.observe({ witness }, seconds);
  }

  witnessQuorum(reached: boolean, seconds?: number): void {
    this.witnessQuorumCount.inc({ status: String(reached) });
    if (reached && seconds !== undefined) this.witnessQuorumLatency.observe(seconds);
  }

  /** The request middleware's hook. */
  request(endpoint: string, status: number, seconds: number): void {
    const s = String(status);
    this.httpReq.inc({ endpoint });
    this.httpRsp.inc({ endpoint, status: s });
    this.httpLatency.observe({ endpoint, status: s }, seconds);
  }

  /** A gauge whose samples are read from the owner's state at scrape time. */
  gauge(name: string, help: string, labelNames: string[], samples: () => GaugeSample[]): void {
    new client.Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of samples()) {
          if (labelNames.length === 0) this.set(value);
          else this.set(labels, value);
        }
      },
    });
  }

  /** The exposition: bucket lines with `le` last, as Go's client writes them. */
  async text(): Promise<{ contentType: string; body: string }> {
    const raw = await this.registry.metrics();
    return {
      contentType: this.registry.contentType,
      body: raw.replace(/^(\w+_bucket)\{le="([^"]*)",([^}]*)\}/gm, '$1{$3,le="$2"}'),
    };
  }
}
