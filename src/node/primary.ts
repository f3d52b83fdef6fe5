// Composition of a primary node: the data directory (locked and checked),
// storage health, the Sequencer, Replication, the Cosigner, rate limits, the
// PrimaryLog, checked reads, and the two listeners. Each component gets only
// the storage ports it uses. stop() shuts down in the order that keeps every
// promise: add-leaf is refused, the pool is committed, final signing rounds
// run while the internal listener still serves the secondaries, then the
// listeners close, then storage; bounded by SHUTDOWN_MS in all.
import { sha256, type Signer } from '../sigsum/crypto.js';
import { signEpoch } from '../sigsum/epoch.js';
import type { Policy } from '../sigsum/policy.js';
import { toHex, type Hash } from '../sigsum/types.js';
import { CheckedReads } from '../storage/checked-reads.js';
import type { TreeReader } from '../storage/ports.js';
import { openDataDir } from '../storage/datadir.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { Metrics } from '../metrics/metrics.js';
import { closePeerConnections } from '../net/http-client.js';
import type { TxtResolver } from '../net/dns.js';
import { PrimaryLog } from '../primary/primary-log.js';
import { promoteReplica } from '../primary/promote.js';
import { survey } from '../primary/promotion-survey.js';
import { Replication, type SecondaryConfig } from '../primary/replication.js';
import { Sequencer } from '../primary/sequencer.js';
import type { RateLimitConfig } from '../ratelimit/config.js';
import { RateLimiter } from '../ratelimit/limiter.js';
import { TokenVerifier } from '../ratelimit/token-verifier.js';
import { Cosigner } from '../witness/cosigner.js';
import { infoHandler } from '../http/info-page.js';
import { primaryInternalRoutes } from '../http/internal-routes.js';
import { opsRoutes } from '../http/ops-routes.js';
import { publicSite } from '../http/public-routes.js';
import { SEQUENCER, SHUTDOWN_MS } from './defaults.js';
import { registerPrimaryGauges } from './gauges.js';
import { primaryHealth } from './health.js';
import { app, costlyPermits, normalizePrefix, openListeners, withPrefix } from './listeners.js';
import { VerifyPool } from './verify-pool.js';
import { availableParallelism } from 'node:os';
import { startScrubber, StorageHealth } from './storage-health.js';
import type { Listener } from '../http/listener.js';
import { errorMessage } from '../util/errors.js';

export interface PrimaryNodeConfig {
  dataDir: string;
  signer: Signer;
  externalEndpoint: string;
  internalEndpoint: string;
  urlPrefix: string;
  /** Milliseconds between signing rounds. */
  interval: number;
  resignInterval: number;
  maxRange: number;
  /** Milliseconds between batch commits (tests use long ones). */
  batchInterval?: number;
  secondaries: SecondaryConfig[];
  /** Secondaries that must hold a leaf before it is signed; default all. */
  replicationQuorum?: number;
  /** Deadline of each request to a secondary (ms). */
  peerTimeout: number;
  /** Leaves per second the background scrubber re-verifies (0 or undefined: off). */
  scrubRate?: number;
  /** Witnesses and publication: the policy (witnesses with URLs are asked), whether to wait for its quorum, per-request deadline (ms). */
  witnesses?: { policy: Policy; gate: boolean; timeoutMs: number };
  /** Hold a repeated add-leaf until publication on a quiet log (held-requests.ts). */
  hold: { waitMs: number; maxHeld: number };
  /** Rate limits (parsed rate-limit file) and the token verifier's DNS resolver. */
  rateLimits?: { config: RateLimitConfig; allowTestDomain: boolean; resolver: TxtResolver; dnsTimeoutMs: number };
  /** Threads that verify add-leaf signatures (verify-pool.ts); 0: OpenSSL on libuv's pool; default cores - 1. */
  workers?: number;
  /** Turn a secondary's replica into the primary (failover), see promote.ts. */
  promote?: {
    /** --force-promote with --expect-size and --expect-root. */
    force?: { size: number; root: Hash };
    /** The old primary's URLs: promotion is refused while any answers. */
    oldPrimaryUrls: string[];
    progress?: (done: number, total: number) => void;
  };
  clock: Clock;
  logger: Logger;
}

export interface PrimaryNode {
  log: PrimaryLog;
  metrics: Metrics;
  /** The node's tree, read-only (embedders, tests). */
  tree: TreeReader;
  external: Listener;
  internal: Listener;
  stop(): Promise<void>;
}

export async function startPrimary(cfg: PrimaryNodeConfig): Promise<PrimaryNode> {
  const { logger, clock } = cfg;
  const dd = openDataDir(cfg.dataDir, { logPublicKey: cfg.signer.publicKey });
  const abort = new AbortController();
  const storage = new StorageHealth(dd.lock, logger);
  const metrics = new Metrics();
  let log: PrimaryLog;
  const verifyPool = VerifyPool.start(cfg.workers ?? Math.max(1, availableParallelism() - 1), logger);
  try {
    if (cfg.promote) {
      const { oldPrimaryUrls } = cfg.promote;
      await promoteReplica(dd.store, dd.state.seenTreeHead, cfg.signer, {
        force: cfg.promote.force,
        survey: probeHead =>
          survey({
            logKey: cfg.signer.publicKey,
            secondaries: cfg.secondaries,
            policy: cfg.witnesses?.policy,
            oldPrimaryUrls,
            probeHead,
            timeoutMs: cfg.peerTimeout,
          }),
        policy: cfg.witnesses?.policy,
        publishGated: cfg.witnesses?.gate ?? false,
        now: clock.now(),
        logger,
        progress: cfg.promote.progress,
      });
    } else if (dd.store.role !== 'primary') {
      throw new Error(
        `${cfg.dataDir} holds a secondary's replica. To make this node the log's primary (failover), stop the old primary and start with --promote; ` +
          'to keep it a secondary, start it with --role secondary.',
      );
    }
    const sequencer = new Sequencer(
      dd.store,
      { ...SEQUENCER, ...(cfg.batchInterval ? { batchInterval: cfg.batchInterval } : {}) },
      logger,
      (_size, leaves, seconds) => {
        log.batchCommitted();
        metrics.batchCommitted(leaves, seconds);
        try {
          limiter?.flush();
        } catch (e) {
          logger.error('could not store rate-limit counters', { error: errorMessage(e) });
        }
      },
      storage.guard,
    );
    const epoch = dd.store.epoch;
    const replication =
      cfg.secondaries.length > 0
        ? new Replication(cfg.secondaries, dd.store, {
            quorum: cfg.replicationQuorum ?? cfg.secondaries.length,
            timeoutMs: cfg.peerTimeout,
            epoch,
            announcement: epoch > 0 ? await signEpoch(cfg.signer, epoch) : undefined,
            signal: abort.signal,
            clock,
            logger,
          })
        : undefined;
    const cosigner = cfg.witnesses
      ? new Cosigner(cfg.signer.publicKey, {
          ...cfg.witnesses,
          signal: abort.signal,
          tree: dd.store,
          memory: dd.state.witnesses,
          clock,
          logger,
          events: metrics,
        })
      : undefined;
    const limiter =
      cfg.rateLimits &&
      new RateLimiter(cfg.rateLimits.config, dd.store, { clock, allowTestDomain: cfg.rateLimits.allowTestDomain });
    const tokens =
      cfg.rateLimits &&
      new TokenVerifier(cfg.signer.publicKey, cfg.rateLimits.resolver, {
        timeoutMs: cfg.rateLimits.dnsTimeoutMs,
        clock,
      });
    log = new PrimaryLog({
      tree: dd.store,
      heads: dd.store,
      identity: dd.store,
      state: dd.state,
      signer: cfg.signer,
      sequencer,
      replication,
      cosigner,
      interval: cfg.interval,
      resignPeriod: cfg.resignInterval,
      storageFailure: storage.failure,
      knownStorageFailure: storage.known,
      clock,
      logger,
      submissions: {
        hold: cfg.hold,
        limits: limiter && tokens && { limiter, tokens },
        events: metrics,
        verifyLeaf: verifyPool?.verifyLeaf,
      },
    });
  } catch (e) {
    dd.close();
    await verifyPool?.close();
    throw e;
  }

  const prefix = normalizePrefix(cfg.urlPrefix);
  const reads = new CheckedReads(dd.store, storage.report);
  const publishedHead = () => log.publishedTreeHead();
  const observe = (e: string, st: number, sec: number) => metrics.request(e, st, sec);
  let stopping = false;
  const bounds = {
    interval: cfg.interval,
    resignInterval: cfg.resignInterval,
    peerTimeout: cfg.peerTimeout,
    witnessTimeout: cfg.witnesses?.timeoutMs ?? 0,
  };
  const info = infoHandler({
    role: 'primary',
    publicKey: cfg.signer.publicKey,
    urlPrefix: prefix,
    publishedSize: () => log.publishedTreeHead().size,
    status: () =>
      log.superseded.active
        ? 'this server is no longer the primary of this log'
        : log.signing.active
          ? "not signing new tree heads (see the operator's logs)"
          : undefined,
  });
  const external = app(
    publicSite(
      prefix,
      { publishedHead, treeHeadBody: () => log.treeHeadBody(), reads },
      log,
      { maxRange: cfg.maxRange, costly: [costlyPermits().middleware()] },
      info,
    ),
    logger,
    observe,
  );
  const internal = app(
    [
      {
        pattern: '/',
        site: primaryInternalRoutes(
          prefix,
          {
            localHead: () => log.localHead(),
            signedTreeHead: () => log.committedTreeHead(),
            treeHeadBody: () => log.treeHeadBody(),
            epoch: () => log.epoch(),
            reads,
            waitForGrowth: (b, ms, s) => log.waitForGrowth(b, ms, s),
          },
          { maxRange: cfg.maxRange, costly: [costlyPermits().middleware()] },
        ),
      },
      ...opsRoutes({
        metrics: () => metrics.text(),
        health: () => primaryHealth(log, dd.store, storage, clock, bounds, stopping),
      }),
    ],
    logger,
  );
  let listeners;
  try {
    listeners = await openListeners(cfg.externalEndpoint, external, cfg.internalEndpoint, internal);
  } catch (e) {
    dd.close();
    await verifyPool?.close();
    throw e;
  }
  const scrubber = startScrubber(dd, cfg.signer.publicKey, cfg.scrubRate, storage, reads, clock, logger);
  registerPrimaryGauges(metrics, log, dd.store, storage, clock, scrubber, cfg.dataDir);
  log.start();
  storage.start();
  const d = dd.store.durability();
  logger.info('primary started', {
    log_key_hash: toHex(sha256(cfg.signer.publicKey)),
    external: withPrefix(listeners.external.url, prefix),
    internal: withPrefix(listeners.internal.url, prefix),
    tree_size: log.publishedTreeHead().size,
    epoch: dd.store.epoch,
    storage: `journal_mode=${d.journalMode} synchronous=${d.synchronous === 2 ? 'FULL' : d.synchronous}`,
    secondaries: cfg.secondaries.length,
    replication_quorum: log.replication?.quorum ?? 0,
    rate_limits: cfg.rateLimits ? 'on' : 'off',
    witnesses: log.cosigner?.statuses().length ?? 0,
    publication: log.cosigner
      ? log.cosigner.gate
        ? `after the witness quorum "${cfg.witnesses!.policy.quorumName}"`
        : 'at once'
      : 'at once, no witnesses',
  });
  if (!log.replication) {
    logger.warning(
      'no secondary configured: tree heads are signed as soon as leaves are on this one disk. This is a test setup without protection against data loss; production logs need --secondary-url/--secondary-pubkey-file',
    );
  }
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      const deadline = clock.monotonic() + SHUTDOWN_MS;
      const unsigned = await log.finish(deadline - 1000);
      if (unsigned > 0)
        logger.warning(
          'shutdown: stored leaves left unsigned (they were answered 202 only; the next start signs them once replicated)',
          {
            unsigned,
            signed_size: log.committedTreeHead().size,
          },
        );
      abort.abort();
      await Promise.all([log.cosigner?.stop(), listeners.close(Math.max(0, deadline - clock.monotonic() - 200))]);
      scrubber?.stop();
      await verifyPool?.close();
      storage.stop();
      closePeerConnections();
      dd.close();
      logger.info('primary stopped', { tree_size: log.committedTreeHead().size });
    })());
  return { log, metrics, tree: dd.store, external: listeners.external, internal: listeners.internal, stop };
}
