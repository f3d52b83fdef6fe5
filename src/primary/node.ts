// Assembles a primary node: data directory (locked and checked), the
// PrimaryLog, and its two listeners. Returns a handle whose stop() shuts down
// in order: stop accepting requests, commit the pool and sign what is durable,
// close storage, release the lock.
import { sha256, type Signer } from '../sigsum/crypto.js';
import { toHex } from '../sigsum/types.js';
import { openDataDir } from '../storage/datadir.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { primaryInternalRoutes } from '../http/internal-api.js';
import { Mux } from '../http/mux.js';
import { publicMux, type Handler } from '../http/public-api.js';
import { dispatcher, mount, NodeListeners, normalizePrefix, type Listener } from '../http/server.js';
import { PrimaryLog } from './primary-log.js';
import { defaultSequencerOptions } from './sequencer.js';
import { promoteReplica } from './promote.js';
import { Replication, type SecondaryConfig } from './replication.js';
import type { Policy } from '../sigsum/policy.js';
import { Metrics } from '../metrics/metrics.js';
import { registerPrimaryGauges } from '../metrics/node-gauges.js';
import { opsRoutes } from '../http/ops-api.js';
import type { RateLimitConfig } from '../ratelimit/config.js';
import type { TxtResolver } from '../ratelimit/dns.js';
import { RateLimiter } from '../ratelimit/limiter.js';
import { TokenVerifier } from '../ratelimit/token-verifier.js';

export interface PrimaryNodeConfig {
  dataDir: string;
  signer: Signer;
  externalEndpoint: string;
  internalEndpoint: string;
  urlPrefix: string;
  interval: number;
  resignPeriod: number;
  maxRange: number;
  batchInterval?: number;
  secondaries: SecondaryConfig[];
  /** Secondaries that must hold a leaf before it is signed; default all. */
  replicationQuorum?: number;
  /** Deadline of each request to a secondary (ms). */
  peerTimeout: number;
  /** Witnesses and publication: the policy (witnesses with URLs are asked), whether to wait for its quorum, per-request timeout (ms). */
  witnesses?: { policy: Policy; gate: boolean; timeoutMs: number };
  /** Hold add-leaf until publication on a quiet log (held-requests.ts); off when absent. */
  hold?: { waitMs: number; maxHeld: number };
  /** Rate limits (parsed rate-limit file) and the token verifier's DNS resolver. */
  rateLimits?: { config: RateLimitConfig; allowTestDomain: boolean; resolver: TxtResolver; dnsTimeoutMs: number };
  /** Turn a secondary's replica into the primary (failover), see promote.ts. */
  promote?: { force: boolean; progress?: (done: number, total: number) => void };
  clock: Clock;
  logger: Logger;
}

export interface PrimaryNode {
  log: PrimaryLog;
  metrics: Metrics;
  external: Listener;
  internal: Listener;
  stop(): Promise<void>;
}

export const MAX_ADD_LEAF_BODY = 4096;

export async function startPrimary(cfg: PrimaryNodeConfig): Promise<PrimaryNode> {
  const dd = openDataDir(cfg.dataDir, { logPublicKey: cfg.signer.publicKey });
  const metrics = new Metrics();
  let log: PrimaryLog;
  try {
    if (cfg.promote) {
      promoteReplica(dd.store, cfg.signer, { force: cfg.promote.force, now: cfg.clock.now(), logger: cfg.logger, progress: cfg.promote.progress });
    } else if (dd.store.role !== 'primary') {
      throw new Error(
        `${cfg.dataDir} holds a secondary's replica. To make this node the log's primary (failover), stop the old primary and start with --promote; ` +
          'to keep it a secondary, start it with --role secondary.',
      );
    }
    const replication =
      cfg.secondaries.length > 0
        ? new Replication(cfg.secondaries, dd.store, { quorum: cfg.replicationQuorum ?? cfg.secondaries.length, timeoutMs: cfg.peerTimeout, clock: cfg.clock, logger: cfg.logger })
        : undefined;
    log = new PrimaryLog(dd.store, cfg.signer, {
      interval: cfg.interval,
      resignPeriod: cfg.resignPeriod,
      sequencer: { ...defaultSequencerOptions, ...(cfg.batchInterval ? { batchInterval: cfg.batchInterval } : {}) },
      clock: cfg.clock,
      logger: cfg.logger,
      replication,
      witnesses: cfg.witnesses,
      metrics,
      hold: cfg.hold,
      limits: cfg.rateLimits && {
        limiter: new RateLimiter(cfg.rateLimits.config, dd.store, { clock: cfg.clock, allowTestDomain: cfg.rateLimits.allowTestDomain }),
        tokens: new TokenVerifier(cfg.signer.publicKey, cfg.rateLimits.resolver, { timeoutMs: cfg.rateLimits.dnsTimeoutMs, clock: cfg.clock }),
      },
    });
  } catch (e) {
    dd.close();
    throw e;
  }
  const prefix = normalizePrefix(cfg.urlPrefix);
  const publicSite = publicMux(prefix, log, log, { maxRange: cfg.maxRange, maxAddLeafBody: MAX_ADD_LEAF_BODY }, { role: 'primary', publicKey: cfg.signer.publicKey, status: () => log.lastRotationError });
  registerPrimaryGauges(metrics, log, cfg.clock);
  const life = new NodeListeners();
  const health = () => ({
    ready: !life.stopping,
    lines: [
      `role primary, epoch ${log.epoch()}`,
      `published tree size ${log.publishedSize()}, signed tree size ${log.committedTreeHead().size}, local tree size ${log.store.size()}`,
      ...(log.lastRotationError ? [`warning: not signing: ${log.lastRotationError}`] : []),
      ...(log.replication?.statuses().filter(s => !s.ok).map(s => `warning: secondary ${s.url}: ${s.error ?? 'not asked yet'}`) ?? []),
      ...(log.cosigner?.statuses().filter(s => s.ok === false).map(s => `warning: witness ${s.name}: ${s.error}`) ?? []),
      ...(life.stopping ? ['shutting down'] : []),
    ],
  });
  const internalMux = new Mux<Handler>([...mount(prefix, primaryInternalRoutes(log, { maxRange: cfg.maxRange })), ...opsRoutes(metrics, health)]);
  await life.open(cfg.externalEndpoint, dispatcher(publicSite, cfg.logger, (e, st, sec) => metrics.request(e, st, sec)), cfg.internalEndpoint, dispatcher(internalMux, cfg.logger), () => dd.close());
  const { external, internal } = life;
  log.start();
  cfg.logger.info('primary started', {
    log_key_hash: toHex(sha256(cfg.signer.publicKey)),
    external: external.url + (prefix ? `/${prefix}` : ''),
    internal: internal.url + (prefix ? `/${prefix}` : ''),
    tree_size: log.publishedSize(),
    epoch: dd.store.epoch,
    secondaries: cfg.secondaries.length,
    replication_quorum: log.replication?.quorum ?? 0,
    rate_limits: cfg.rateLimits ? 'on' : 'off',
    witnesses: log.cosigner?.statuses().length ?? 0,
    publication: log.cosigner ? (log.cosigner.gate ? `after the witness quorum "${cfg.witnesses!.policy.quorumName}"` : 'at once') : 'at once, no witnesses',
  });
  if (!log.replication) {
    cfg.logger.warning('no secondary configured: tree heads are signed as soon as leaves are on this one disk. This is a test setup without protection against data loss; production logs need --secondary-url/--secondary-pubkey-file');
  }
  return {
    log,
    metrics,
    external,
    internal,
    stop: life.stopper(() => log.stop(), () => dd.close(), () => cfg.logger.info('primary stopped', { tree_size: log.committedTreeHead().size })),
  };
}
