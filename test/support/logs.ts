// PrimaryLog and SecondaryLog wired for unit tests (what src/node/ does for a
// real node, without listeners): a fresh data directory, a memory logger, an
// injectable clock, and hooks to inject faults into the storage ports.
import { SeedSigner, verifyAsync } from '../../src/sigsum/crypto.js';
import { leafSignedData, parseAddLeafRequest } from '../../src/sigsum/leaf.js';
import { noEvents } from '../../src/metrics/events.js';
import { PrimaryLog, type PrimaryLogOptions } from '../../src/primary/primary-log.js';
import { Sequencer } from '../../src/primary/sequencer.js';
import type { Replication } from '../../src/primary/replication.js';
import type { AddLeafOutcome } from '../../src/primary/outcomes.js';
import { holdsLog, initDataDir, openDataDir, type OpenDataDir } from '../../src/storage/datadir.js';
import { Cosigner } from '../../src/witness/cosigner.js';
import type { Policy } from '../../src/sigsum/policy.js';
import type { RateLimiter } from '../../src/ratelimit/limiter.js';
import type { TokenVerifier } from '../../src/ratelimit/token-verifier.js';
import type { TreeWriter } from '../../src/storage/ports.js';
import { Logger } from '../../src/util/logger.js';
import { SecondaryLog } from '../../src/secondary/secondary-log.js';
import { PrimaryClient } from '../../src/secondary/primary-client.js';
import { secondaryStateBody } from '../../src/secondary/secondary-state.js';
import { CheckedReads } from '../../src/storage/checked-reads.js';
import { buildApp } from '../../src/http/app.js';
import { primaryInternalRoutes, secondaryInternalRoutes } from '../../src/http/internal-routes.js';
import { listen, type Listener } from '../../src/http/listener.js';
import { LISTENER } from '../../src/node/defaults.js';
import { FakeClock, logSigner, tempDir } from './fixtures.js';

type T = Parameters<typeof tempDir>[0];

export interface TestPrimary {
  log: PrimaryLog;
  dd: OpenDataDir;
  clock: FakeClock;
  dir: string;
  lines: string[];
  sequencer: Sequencer;
  /** Parses and submits a raw add-leaf body. */
  submit: (body: string, token?: string) => Promise<AddLeafOutcome>;
}

export async function testPrimary(
  t: T,
  opts: {
    clock?: FakeClock;
    verified?: { n: number };
    maxPool?: number;
    writer?: (store: OpenDataDir['store']) => TreeWriter;
    extra?: Partial<PrimaryLogOptions>;
    submissions?: Partial<PrimaryLogOptions['submissions']>;
    /** Set later (the secondary needs the primary's URL first); read by the log on every round. */
    replication?: { current?: Replication };
    /** A witness policy: a Cosigner over the node's witness state. */
    witnesses?: { policy: Policy; gate: boolean; timeoutMs: number; maxFutureSkewMs?: number };
    /** Reuse this data directory (a restart) instead of a new one. */
    dir?: string;
    /** Rate limits over the node's counters. */
    limits?: (store: OpenDataDir['store']) => { limiter: RateLimiter; tokens: TokenVerifier };
  } = {},
): Promise<TestPrimary> {
  const clock = opts.clock ?? new FakeClock();
  const { logger, lines } = Logger.memory('info');
  const dir = opts.dir ?? tempDir(t);
  const dd = holdsLog(dir)
    ? openDataDir(dir, { logPublicKey: logSigner.publicKey })
    : await initDataDir(dir, {
        role: 'primary',
        logPublicKey: logSigner.publicKey,
        signer: logSigner,
        now: clock.now(),
      });
  t.after(() => dd.close());
  const cosigner =
    opts.witnesses &&
    new Cosigner(logSigner.publicKey, {
      ...opts.witnesses,
      tree: dd.store,
      memory: dd.state.witnesses,
      clock,
      logger,
      events: noEvents,
    });
  const verified = opts.verified ?? { n: 0 };
  const owner: { log?: PrimaryLog } = {};
  const sequencer = new Sequencer(
    opts.writer ? opts.writer(dd.store) : dd.store,
    { batchInterval: 1000, maxBatch: 100, maxPool: opts.maxPool ?? 10 },
    logger,
    () => owner.log?.batchCommitted(),
  );
  const options: PrimaryLogOptions = {
    tree: dd.store,
    heads: dd.store,
    identity: dd.store,
    state: dd.state,
    signer: logSigner,
    sequencer,
    cosigner,
    interval: 1000,
    resignPeriod: 10_000,
    clock,
    logger,
    ...opts.extra,
    submissions: {
      hold: { waitMs: 0, maxHeld: 0 },
      events: noEvents,
      limits: opts.limits?.(dd.store),
      verifyLeaf: (k, c, s) => {
        verified.n++;
        return verifyAsync(k, leafSignedData(c), s);
      },
      ...opts.submissions,
    },
  };
  const ref = opts.replication;
  if (ref) Object.defineProperty(options, 'replication', { get: () => ref.current });
  const l = (owner.log = new PrimaryLog(options));
  return {
    log: l,
    dd,
    clock,
    dir,
    lines,
    sequencer,
    submit: (body, token) => l.addLeaf(parseAddLeafRequest(body), token, () => new AbortController().signal),
  };
}

export const otherSigner = (n: number) => new SeedSigner(new Uint8Array(32).fill(n));

export interface TestSecondary {
  log: SecondaryLog;
  dd: OpenDataDir;
  lines: string[];
}

export async function testSecondary(
  t: T,
  primaryUrl: string,
  opts: { signer?: SeedSigner; chunk?: number; parallel?: number; logUrl?: string; clock?: FakeClock } = {},
): Promise<TestSecondary> {
  const dd = await initDataDir(tempDir(t), { role: 'secondary', logPublicKey: logSigner.publicKey, now: 1 });
  t.after(() => dd.close());
  const { logger, lines } = Logger.memory('debug');
  const log = new SecondaryLog({
    tree: dd.store,
    heads: dd.store,
    epochs: dd.store,
    cells: { seen: dd.state.seenTreeHead, published: dd.state.publishedTreeHead },
    signer: opts.signer ?? secondarySigner,
    logKey: logSigner.publicKey,
    client: new PrimaryClient(primaryUrl, opts.logUrl, 2000),
    interval: 60_000,
    chunk: opts.chunk ?? 8192,
    parallel: opts.parallel ?? 4,
    clock: opts.clock ?? new FakeClock(),
    logger,
  });
  return { log, dd, lines };
}

export const secondarySigner = new SeedSigner(new Uint8Array(32).fill(5));

/** A listener serving a secondary's internal API (what the primary asks). */
export async function serveSecondary(t: T, log: SecondaryLog, tree: OpenDataDir['store']): Promise<Listener> {
  const site = secondaryInternalRoutes('', {
    signedReplicaHead: e => log.signedReplicaHead(e),
    announceEpoch: a => log.announceEpoch(a),
    stateBody: () => secondaryStateBody(log, tree),
  });
  const l = await listen('127.0.0.1:0', buildApp(site, { logger: Logger.memory('error').logger }), LISTENER);
  t.after(() => l.close(0));
  return l;
}

/** A listener serving a primary's internal API over a PrimaryLog. */
export async function servePrimary(t: T, log: PrimaryLog, tree: OpenDataDir['store']): Promise<Listener> {
  const reads = new CheckedReads(tree, () => {});
  const site = primaryInternalRoutes(
    '',
    {
      localHead: () => log.localHead(),
      signedTreeHead: () => log.committedTreeHead(),
      treeHeadBody: () => log.treeHeadBody(),
      epoch: () => log.epoch(),
      reads,
      waitForGrowth: (b, ms, s) => log.waitForGrowth(b, ms, s),
    },
    { maxRange: 512, costly: [] },
  );
  const l = await listen('127.0.0.1:0', buildApp(site, { logger: Logger.memory('error').logger }), LISTENER);
  t.after(() => l.close(0));
  return l;
}
