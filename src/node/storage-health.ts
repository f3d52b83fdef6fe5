// What a node knows about the health of its storage, as states:
//   damage   - stored data found not to match the tree (by a checked read or
//              the scrubber): kept until restart; /health is not ready, one
//              ERROR line per distinct damage, a metric;
//   vanished - the database file was deleted or replaced under the node (rm
//              -rf, an unmounted volume): noticed within STORAGE_CHECK_MS and
//              before every commit and signature; no further commit, no
//              further signature, so no further 200; reads go on from the
//              still-open file, which holds exactly what was published.
import type { PublicKey } from '../sigsum/types.js';
import type { OpenDataDir } from '../storage/datadir.js';
import type { DataDirLock } from '../storage/lock.js';
import { Scrubber } from '../storage/scrubber.js';
import type { CheckedReads } from '../storage/checked-reads.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { STORAGE_CHECK_MS } from './defaults.js';

const MAX_REMEMBERED = 32;

export class StorageHealth {
  /** Distinct damages found since start (at most MAX_REMEMBERED kept). */
  readonly damages: string[] = [];
  damageCount = 0;
  private vanished: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly lock: DataDirLock,
    private readonly logger: Logger,
  ) {}

  /** A checked read or the scrubber found damage. */
  report = (what: string): void => {
    this.damageCount++;
    if (this.damages.includes(what)) return;
    if (this.damages.length < MAX_REMEMBERED) this.damages.push(what);
    this.logger.error(
      'STORAGE DAMAGE: stored data does not match the tree; answers that depend on it are refused (500). Run "sigsum-log verify" and restore this node from a good replica',
      { damage: what },
    );
  };

  /** Why storage must not be written, if it must not (checks the file now: a few syscalls). */
  failure = (): string | undefined => {
    if (this.vanished) return this.vanished;
    const why = this.lock.check();
    if (why) {
      this.vanished = why;
      this.logger.error(
        'STORAGE GONE: the database this node writes to has vanished or been replaced; no further leaves are committed or signed. Reads continue from the open file (it holds what was published). Restart the node on the right data directory',
        { reason: why },
      );
    }
    return this.vanished;
  };

  /** The failure found by the last check (every STORAGE_CHECK_MS and before every write), without checking now. */
  known = (): string | undefined => this.vanished;

  /** Throws when storage must not be written (the Sequencer's guard). */
  guard = (): void => {
    const f = this.failure();
    if (f) throw Object.assign(new Error(`storage unusable: ${f}`), { code: 'STORAGE_GONE' });
  };

  start(): void {
    this.timer = setInterval(() => this.failure(), STORAGE_CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** The background scrubber over the node's tree, reporting into `storage`; undefined when the rate is 0. */
export function startScrubber(
  dd: OpenDataDir,
  logKey: PublicKey,
  rate: number | undefined,
  storage: StorageHealth,
  reads: CheckedReads,
  clock: Clock,
  logger: Logger,
): Scrubber | undefined {
  if (!rate) return undefined;
  const s = new Scrubber(dd.store, dd.state.scrub, logKey, {
    rate,
    clock,
    logger,
    report: what => {
      reads.forgetProven();
      storage.report(what);
    },
    // What the scrubber proves, get-leaves need not hash again (fingerprints, verified-blocks.ts).
    proven: reads.proven,
  });
  s.start();
  return s;
}
