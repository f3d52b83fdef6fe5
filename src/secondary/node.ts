// Assembles a secondary node: data directory (locked and checked), the
// SecondaryLog, and its two listeners. Public listener: the read endpoints for
// the tree head the primary published (so monitors can read from replicas);
// add-leaf answers (404) not primary. Internal listener:
// get-secondary-tree-head for the primary.
import { sha256, type Signer } from '../sigsum/crypto.js';
import { toHex, type PublicKey } from '../sigsum/types.js';
import { initDataDir, holdsLog, openDataDir } from '../storage/datadir.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { secondaryInternalRoutes } from '../http/internal-api.js';
import { Mux } from '../http/mux.js';
import { publicMux, type Handler } from '../http/public-api.js';
import { dispatcher, mount, NodeListeners, normalizePrefix, type Listener } from '../http/server.js';
import { MAX_ADD_LEAF_BODY } from '../primary/node.js';
import { PrimaryClient } from './primary-client.js';
import { defaultSecondaryOptions, SecondaryLog } from './secondary-log.js';
import { Metrics } from '../metrics/metrics.js';
import { registerSecondaryGauges } from '../metrics/node-gauges.js';
import { opsRoutes } from '../http/ops-api.js';

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
  /** Create the data directory if it holds no log yet. */
  initIfMissing?: boolean;
  clock: Clock;
  logger: Logger;
}

export interface SecondaryNode {
  log: SecondaryLog;
  metrics: Metrics;
  external: Listener;
  internal: Listener;
  stop(): Promise<void>;
}

export async function startSecondary(cfg: SecondaryNodeConfig): Promise<SecondaryNode> {
  if (cfg.initIfMissing && !holdsLog(cfg.dataDir)) {
    initDataDir(cfg.dataDir, { role: 'secondary', logPublicKey: cfg.logPublicKey, now: cfg.clock.now() }).close();
    cfg.logger.info('first run: created an empty replica', { data_dir: cfg.dataDir });
  }
  const dd = openDataDir(cfg.dataDir, { logPublicKey: cfg.logPublicKey });
  let log: SecondaryLog;
  try {
    if (dd.store.role !== 'secondary') {
      throw new Error(`${cfg.dataDir} holds a primary (epoch ${dd.store.epoch}); a primary cannot be turned back into a secondary. Give the secondary a new, empty data directory.`);
    }
    const client = new PrimaryClient(cfg.primaryUrl, cfg.logUrl, cfg.peerTimeout);
    log = new SecondaryLog(dd.store, cfg.signer, cfg.logPublicKey, client, { ...defaultSecondaryOptions, interval: cfg.interval, clock: cfg.clock, logger: cfg.logger });
  } catch (e) {
    dd.close();
    throw e;
  }
  const prefix = normalizePrefix(cfg.urlPrefix);
  const publicSite = publicMux(prefix, log, undefined, { maxRange: cfg.maxRange, maxAddLeafBody: MAX_ADD_LEAF_BODY }, { role: 'secondary', publicKey: cfg.logPublicKey, status: () => log.status() });
  const metrics = new Metrics();
  registerSecondaryGauges(metrics, log);
  const life = new NodeListeners();
  const health = () => ({
    ready: !life.stopping && !log.halted && log.publishedTreeHead() !== undefined,
    lines: [
      `role secondary, epoch ${dd.store.epoch}`,
      `replica size ${dd.store.size()}, primary size ${log.upstreamSize}, published tree size ${log.publishedSize()}`,
      ...(log.publishedTreeHead() ? [] : ['no verified tree head yet']),
      ...(log.status() ? [log.status()!] : []),
      ...(life.stopping ? ['shutting down'] : []),
    ],
  });
  const observe = (e: string, st: number, sec: number) => metrics.request(e, st, sec);
  const internalMux = new Mux<Handler>([...mount(prefix, secondaryInternalRoutes(log)), ...opsRoutes(metrics, health)]);
  await life.open(cfg.externalEndpoint, dispatcher(publicSite, cfg.logger, observe), cfg.internalEndpoint, dispatcher(internalMux, cfg.logger, observe), () => dd.close());
  const { external, internal } = life;
  log.start();
  cfg.logger.info('secondary started', {
    log_key_hash: toHex(sha256(cfg.logPublicKey)),
    secondary_key_hash: toHex(sha256(cfg.signer.publicKey)),
    primary: cfg.primaryUrl,
    external: external.url + (prefix ? `/${prefix}` : ''),
    internal: internal.url + (prefix ? `/${prefix}` : ''),
    replica_size: dd.store.size(),
    epoch: dd.store.epoch,
  });
  return {
    log,
    metrics,
    external,
    internal,
    stop: life.stopper(() => log.stop(), () => dd.close(), () => cfg.logger.info('secondary stopped', { replica_size: dd.store.size() })),
  };
}
