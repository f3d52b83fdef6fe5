// Composition of a secondary node: the data directory (locked and checked),
// storage health, the SecondaryLog with its client of the primary, checked
// reads, and the two listeners. Public listener: the read endpoints for the
// tree head the primary published (monitors can read from replicas);
// add-leaf answers (404) not primary. Internal listener: what the primary and
// promotion probes use, /metrics and /health.
import { sha256, type Signer } from '../sigsum/crypto.js';
import { toHex, type PublicKey } from '../sigsum/types.js';
import { CheckedReads } from '../storage/checked-reads.js';
import type { TreeReader } from '../storage/ports.js';
import { openDataDir } from '../storage/datadir.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { Metrics } from '../metrics/metrics.js';
import { closePeerConnections } from '../net/http-client.js';
import { PrimaryClient } from '../secondary/primary-client.js';
import { SecondaryLog } from '../secondary/secondary-log.js';
import { secondaryStateBody } from '../secondary/secondary-state.js';
import { infoHandler } from '../http/info-page.js';
import { secondaryInternalRoutes } from '../http/internal-routes.js';
import type { Listener } from '../http/listener.js';
import { opsRoutes } from '../http/ops-routes.js';
import { publicSite } from '../http/public-routes.js';
import { SECONDARY, SHUTDOWN_MS } from './defaults.js';
import { registerSecondaryGauges } from './gauges.js';
import { secondaryHealth } from './health.js';
import { app, costlyPermits, normalizePrefix, openListeners, withPrefix } from './listeners.js';
import { startScrubber, StorageHealth } from './storage-health.js';

export interface SecondaryNodeConfig {
  dataDir: string;
  /** This node's own key (signs get-secondary-tree-head). */
  signer: Signer;
  logPublicKey: PublicKey;
  primaryUrl: string;
  logUrl?: string;
  externalEndpoint: string;
  internalEndpoint: string;
  urlPrefix: string;
  /** Poll period once caught up (ms). */
  interval: number;
  maxRange: number;
  peerTimeout: number;
  /** Leaves per second the background scrubber re-verifies (0 or undefined: off). */
  scrubRate?: number;
  clock: Clock;
  logger: Logger;
}

export interface SecondaryNode {
  log: SecondaryLog;
  metrics: Metrics;
  /** The node's tree, read-only (embedders, tests). */
  tree: TreeReader;
  external: Listener;
  internal: Listener;
  stop(): Promise<void>;
}

export async function startSecondary(cfg: SecondaryNodeConfig): Promise<SecondaryNode> {
  const { logger, clock } = cfg;
  const dd = openDataDir(cfg.dataDir, { logPublicKey: cfg.logPublicKey });
  const abort = new AbortController();
  const storage = new StorageHealth(dd.lock, logger);
  let log: SecondaryLog;
  try {
    if (dd.store.role !== 'secondary') {
      throw new Error(
        `${cfg.dataDir} holds a primary (epoch ${dd.store.epoch}); a primary cannot be turned back into a secondary. Give the secondary a new, empty data directory.`,
      );
    }
    log = new SecondaryLog({
      tree: dd.store,
      heads: dd.store,
      epochs: dd.store,
      cells: { seen: dd.state.seenTreeHead, published: dd.state.publishedTreeHead },
      signer: cfg.signer,
      logKey: cfg.logPublicKey,
      client: new PrimaryClient(cfg.primaryUrl, cfg.logUrl, cfg.peerTimeout, abort.signal),
      interval: cfg.interval,
      ...SECONDARY,
      storageFailure: storage.failure,
      clock,
      logger,
    });
  } catch (e) {
    dd.close();
    throw e;
  }
  const prefix = normalizePrefix(cfg.urlPrefix);
  const metrics = new Metrics();
  const observe = (e: string, st: number, sec: number) => metrics.request(e, st, sec);
  const reads = new CheckedReads(dd.store, storage.report);
  let stopping = false;
  const info = infoHandler({
    role: 'secondary',
    publicKey: cfg.logPublicKey,
    urlPrefix: prefix,
    publishedSize: () => log.publishedTreeHead()?.size ?? 0,
    status: () => log.publicStatus(),
  });
  const external = app(
    publicSite(
      prefix,
      { publishedHead: () => log.publishedTreeHead(), treeHeadBody: () => log.treeHeadBody(), reads },
      undefined,
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
        site: secondaryInternalRoutes(prefix, {
          signedReplicaHead: e => log.signedReplicaHead(e),
          announceEpoch: a => log.announceEpoch(a),
          stateBody: () => secondaryStateBody(log, dd.store),
        }),
      },
      ...opsRoutes({ metrics: () => metrics.text(), health: () => secondaryHealth(log, dd.store, storage, stopping) }),
    ],
    logger,
    observe,
  );
  let listeners;
  try {
    listeners = await openListeners(cfg.externalEndpoint, external, cfg.internalEndpoint, internal);
  } catch (e) {
    dd.close();
    throw e;
  }
  const scrubber = startScrubber(dd, cfg.logPublicKey, cfg.scrubRate, storage, reads, clock, logger);
  registerSecondaryGauges(metrics, log, dd.store, storage, scrubber, cfg.dataDir);
  log.start();
  storage.start();
  logger.info('secondary started', {
    log_key_hash: toHex(sha256(cfg.logPublicKey)),
    secondary_key_hash: toHex(sha256(cfg.signer.publicKey)),
    primary: cfg.primaryUrl,
    external: withPrefix(listeners.external.url, prefix),
    internal: withPrefix(listeners.internal.url, prefix),
    replica_size: dd.store.size(),
    epoch: dd.store.epoch,
  });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      abort.abort();
      await Promise.all([log.stop(), listeners.close(SHUTDOWN_MS / 2)]);
      scrubber?.stop();
      storage.stop();
      closePeerConnections();
      dd.close();
      logger.info('secondary stopped', { replica_size: dd.store.size() });
    })());
  return { log, metrics, tree: dd.store, external: listeners.external, internal: listeners.internal, stop };
}
