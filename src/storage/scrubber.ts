// The scrubber: re-verifies the whole stored tree continuously in the
// background, at a bounded rate (--scrub-rate leaves per second), with the
// same checks as `sigsum-log verify` (fsck.ts: every leaf rehashed, the
// unique index checked, every stored subtree recomputed, every stored signed
// head checked). A pass ends at the stored size; the next starts at once, but
// passes start at most once per MIN_PASS_MS (a small log is not re-read, and
// its pass logged, in a loop).
// The rate is a ceiling: a tick (every TICK_MS) never holds the event loop
// longer than MAX_TICK_MS, so a high rate on a slow disk costs throughput of
// the scrubber, not latency of the node. Blocks it proves are handed to the
// checked reads (`proven`), which then serve them by fingerprint.
//
// Resumable: the position and the right edge of what was checked are saved
// (without an fsync, every SAVE_EVERY_MS and at the end of a pass) and a
// restart continues from there, after checking that the saved edge matches
// the stored subtrees (else the pass starts over).
//
// Damage found goes to the same report as a checked read (an ERROR line, the
// damage metrics, /health not ready); the pass then starts over after
// RETRY_AFTER_MS, so damage that persists is reported again (counted, not
// logged twice).
//
// Mutable state (checker, timers, counters) is owned by the timer task.
import { asHash, bytesEqual, toHex, type PublicKey } from '../sigsum/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { errorMessage } from '../util/errors.js';
import { TreeChecker } from './fsck.js';
import { STORED_NODE_MIN_LEVEL, type LeafScanner, type StateCell } from './ports.js';
import type { ScrubCursor } from './state.js';

const TICK_MS = 250;
/** Leaves per TreeChecker step, and the most event-loop time one tick may take (the rate is a ceiling). */
const CHUNK = 1024;
const MAX_TICK_MS = 50;
const SAVE_EVERY_MS = 10_000;
const RETRY_AFTER_MS = 60_000;
const MIN_PASS_MS = 3_600_000;

export interface ScrubberOptions {
  /** Leaves per second (> 0). */
  rate: number;
  clock: Clock;
  logger: Logger;
  /** Damage found (StorageHealth.report). */
  report: (what: string) => void;
  /** Each aligned block of leaves found to hash to its stored subtree (CheckedReads.proven). */
  proven?: (first: number, leaves: Uint8Array[]) => void;
}

export interface ScrubProgress {
  /** Leaves checked in the current pass. */
  position: number;
  /** Unix ms when the current pass started. */
  passStarted: number;
  /** Unix ms when the last full pass ended, if one did. */
  lastComplete?: number;
  passes: number;
}

export class Scrubber {
  private checker: TreeChecker | undefined;
  private cursor: ScrubCursor;
  private passes = 0;
  private timer: NodeJS.Timeout | undefined;
  private savedAt = 0; // monotonic ms
  private restUntil = 0; // monotonic ms: after damage, or after a pass that took less than MIN_PASS_MS

  constructor(
    private readonly store: LeafScanner,
    private readonly cell: StateCell<ScrubCursor>,
    private readonly logKey: PublicKey,
    private readonly opts: ScrubberOptions,
  ) {
    this.cursor = this.resume();
  }

  progress(): ScrubProgress {
    return {
      position: this.cursor.position,
      passStarted: this.cursor.passStarted,
      lastComplete: this.cursor.lastComplete,
      passes: this.passes,
    };
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.save();
  }

  /** One step of at most rate × TICK_MS leaves (public for tests). */
  tick(budget = Math.max(1, Math.round((this.opts.rate * TICK_MS) / 1000))): void {
    if (this.opts.clock.monotonic() < this.restUntil) return;
    try {
      this.step(budget);
    } catch (e) {
      this.damaged(`while scrubbing at leaf ${this.cursor.position}: ${errorMessage(e)}`);
    }
  }

  private step(budget: number): void {
    if (!this.checker) {
      this.checker = this.checkerAt(this.cursor);
      if (this.checker.position === 0) {
        this.cursor = { ...this.cursor, passStarted: this.opts.clock.now() };
        const problem = this.checker.begin();
        if (problem) return this.damaged(problem);
      }
    }
    const c = this.checker;
    const size = this.store.size();
    // The budget in chunks, and no more than MAX_TICK_MS of the event loop per tick whatever the rate.
    const until = this.opts.clock.monotonic() + MAX_TICK_MS;
    for (let left = budget; c.position < size && left > 0 && this.opts.clock.monotonic() <= until;) {
      const n = Math.min(left, CHUNK, size - c.position);
      const r = c.step(n, this.opts.proven);
      left -= n;
      this.cursor = { ...this.cursor, position: c.position, peaks: c.peaks().map(toHex) };
      if (r.problem) return this.damaged(r.problem);
    }
    if (c.position >= size) {
      const problem = c.finish();
      if (problem) return this.damaged(problem);
      const now = this.opts.clock.now();
      this.passes++;
      this.opts.logger.info('scrubber: a full pass over the stored tree found no damage', {
        leaves: c.position,
        seconds: Math.round((now - this.cursor.passStarted) / 1000),
      });
      this.restUntil = this.opts.clock.monotonic() + Math.max(0, MIN_PASS_MS - (now - this.cursor.passStarted));
      this.cursor = { position: 0, peaks: [], passStarted: now, lastComplete: now };
      this.checker = undefined;
      this.save();
      return;
    }
    if (this.opts.clock.monotonic() - this.savedAt >= SAVE_EVERY_MS) this.save();
  }

  private damaged(problem: string): void {
    this.opts.report(problem);
    this.checker = undefined;
    this.cursor = { ...this.cursor, position: 0, peaks: [], passStarted: this.opts.clock.now() };
    this.restUntil = this.opts.clock.monotonic() + RETRY_AFTER_MS;
    this.save();
  }

  private save(): void {
    this.savedAt = this.opts.clock.monotonic();
    try {
      this.cell.set(this.cursor, false); // progress only: no fsync
    } catch (e) {
      this.opts.logger.warning('scrubber: could not save its position', { error: errorMessage(e) });
    }
  }

  /** The saved cursor if it fits the stored tree, else a new pass. */
  private resume(): ScrubCursor {
    const fresh = { position: 0, peaks: [], passStarted: this.opts.clock.now() };
    let saved: ScrubCursor | undefined;
    try {
      saved = this.cell.get();
    } catch {
      saved = undefined;
    }
    if (!saved) return fresh;
    if (saved.position > this.store.size()) return { ...fresh, lastComplete: saved.lastComplete };
    try {
      this.checkerAt(saved);
      return saved;
    } catch {
      return { ...fresh, lastComplete: saved.lastComplete };
    }
  }

  /** A checker at the cursor; throws if its peaks do not match the stored subtrees. */
  private checkerAt(cursor: ScrubCursor): TreeChecker {
    if (cursor.position === 0) return new TreeChecker(this.store, this.logKey);
    const peaks = cursor.peaks.map(p => asHash(new Uint8Array(Buffer.from(p, 'hex'))));
    let start = 0;
    for (const [i, level] of peakLevels(cursor.position).entries()) {
      if (level >= STORED_NODE_MIN_LEVEL) {
        const stored = this.store.storedNode(level, start / 2 ** level);
        if (!stored || !bytesEqual(stored, peaks[i])) throw new Error('saved scrub position does not match the tree');
      }
      start += 2 ** level;
    }
    return new TreeChecker(this.store, this.logKey, { position: cursor.position, peaks });
  }
}

/** Levels of the complete subtrees that make up a tree of `size` leaves, largest first. */
function peakLevels(size: number): number[] {
  const levels: number[] = [];
  for (let level = 52; level >= 0; level--) if (Math.floor(size / 2 ** level) % 2 === 1) levels.push(level);
  return levels;
}
