// Assembles a primary node: data directory (locked and checked), the
// PrimaryLog, and its two listeners. Returns a handle whose stop() shuts down
// in order: stop accepting requests, commit the pool and sign what is durable,
// close storage, release the lock.
import { sha256, type Signer } from '../sigsum/crypto.js';
import { toHex } from '../sigsum/types.js';
import { openDataDir } from '../storage/datadir.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { infoRoutes } from '../http/info.js';
import { internalRoutes } from '../http/internal-api.js';
import { Mux } from '../http/mux.js';
import { publicRoutes, type Handler } from '../http/public-api.js';
import { dispatcher, listen, mount, normalizePrefix, type Listener } from '../http/server.js';
import type { Route } from '../http/mux.js';
import { PrimaryLog } from './primary-log.js';
import { defaultSequencerOptions } from './sequencer.js';

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
  clock: Clock;
  logger: Logger;
}

export interface PrimaryNode {
  log: PrimaryLog;
  external: Listener;
  internal: Listener;
  stop(): Promise<void>;
}

export const MAX_ADD_LEAF_BODY = 4096;

export async function startPrimary(cfg: PrimaryNodeConfig): Promise<PrimaryNode> {
  const dd = openDataDir(cfg.dataDir, { logPublicKey: cfg.signer.publicKey, role: 'primary' });
  const log = new PrimaryLog(dd.store, cfg.signer, {
    interval: cfg.interval,
    resignPeriod: cfg.resignPeriod,
    sequencer: { ...defaultSequencerOptions, ...(cfg.batchInterval ? { batchInterval: cfg.batchInterval } : {}) },
    clock: cfg.clock,
    logger: cfg.logger,
  });
  const prefix = normalizePrefix(cfg.urlPrefix);
  const publicMux = new Mux<Handler>([
    ...mount(prefix, publicRoutes(log, log, { maxRange: cfg.maxRange, maxAddLeafBody: MAX_ADD_LEAF_BODY })),
    ...(infoRoutes({ role: 'primary', publicKey: cfg.signer.publicKey, urlPrefix: prefix, publishedSize: () => log.publishedSize(), status: () => log.lastRotationError }) as Route<Handler>[]),
  ]);
  const internalMux = new Mux<Handler>(mount(prefix, internalRoutes(log, { maxRange: cfg.maxRange })));
  let external: Listener | undefined;
  let internal: Listener | undefined;
  try {
    external = await listen(cfg.externalEndpoint, dispatcher(publicMux, cfg.logger));
    internal = await listen(cfg.internalEndpoint, dispatcher(internalMux, cfg.logger));
  } catch (e) {
    await external?.close();
    dd.close();
    throw e;
  }
  log.start();
  cfg.logger.info('primary started', {
    log_key_hash: toHex(sha256(cfg.signer.publicKey)),
    external: external.url + (prefix ? `/${prefix}` : ''),
    internal: internal.url + (prefix ? `/${prefix}` : ''),
    tree_size: log.publishedSize(),
  });
  let stopping: Promise<void> | undefined;
  return {
    log,
    external,
    internal,
    stop() {
      stopping ??= (async () => {
        await Promise.all([external!.close(), internal!.close()]);
        await log.stop();
        dd.close();
        cfg.logger.info('primary stopped', { tree_size: log.committedTreeHead().size });
      })();
      return stopping;
    },
  };
}
