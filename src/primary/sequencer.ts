// The sequencer pool: accepted (signature-checked, deduplicated) leaves wait
// here in arrival order until the next batch commit appends them to storage in
// one durable transaction (many leaves per fsync). A leaf leaves the pool only
// after its batch committed, so a failed commit loses nothing: the leaves stay
// pooled, duplicates keep answering 202, and the next tick retries.
//
// Owned by the event loop: add() inserts, flushOnce() removes after a commit.
import type { Hash } from '../sigsum/types.js';
import type { NewLeaf, TreeWriter } from '../storage/ports.js';
import { Condition } from '../util/condition.js';
import type { Logger } from '../util/logger.js';
import { errorCode, errorMessage } from '../util/errors.js';

export interface SequencerOptions {
  /** Milliseconds between batch commits. */
  batchInterval: number;
  /** Most leaves per transaction (bounds how long one commit blocks the event loop). */
  maxBatch: number;
  /** Most leaves waiting; beyond it add() refuses (back-pressure). */
  maxPool: number;
}

export function hashKey(h: Hash): string {
  return Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('latin1');
}

export class Sequencer {
  private pool = new Map<string, NewLeaf>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Commits failing (disk full, I/O error, storage gone): logged once per state. */
  readonly failing: Condition;

  constructor(
    private readonly writer: TreeWriter,
    private readonly opts: SequencerOptions,
    logger: Logger,
    /** Called after every successful commit: new durable size, leaves committed, seconds the commit took. */
    private readonly onCommit: (size: number, leaves: number, seconds: number) => void = () => {},
    /** Throws when storage must not be written (the data directory vanished): checked before every commit. */
    private readonly storageGuard: () => void = () => {},
  ) {
    this.failing = new Condition(logger, 'batch commits failing; leaves stay pooled and are retried', 'error');
  }

  get pending(): number {
    return this.pool.size;
  }

  has(leafHash: Hash): boolean {
    return this.pool.has(hashKey(leafHash));
  }

  /** Queues a leaf; false if the pool is full. Idempotent for a leaf already pooled. */
  add(l: NewLeaf): boolean {
    const k = hashKey(l.leafHash);
    if (this.pool.has(k)) return true;
    if (this.pool.size >= this.opts.maxPool) return false;
    this.pool.set(k, l);
    if (this.running && this.pool.size >= this.opts.maxBatch) this.schedule(0);
    return true;
  }

  start(): void {
    this.running = true;
    this.schedule(this.opts.batchInterval);
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const more = this.flushOnce();
      this.schedule(more ? 0 : this.opts.batchInterval);
    }, delay);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Commits up to maxBatch pooled leaves; true if more are waiting (and the commit worked). */
  flushOnce(): boolean {
    if (this.pool.size === 0) return false;
    const batch: NewLeaf[] = [];
    for (const l of this.pool.values()) {
      batch.push(l);
      if (batch.length >= this.opts.maxBatch) break;
    }
    let size: number;
    const started = performance.now();
    try {
      this.storageGuard();
      size = this.writer.append(batch);
    } catch (e) {
      this.failing.set(errorCode(e) ?? 'commit', errorMessage(e), { leaves: batch.length });
      return false;
    }
    this.failing.clear('batch commits work again', { size });
    for (const l of batch) this.pool.delete(hashKey(l.leafHash));
    this.onCommit(size, batch.length, (performance.now() - started) / 1000);
    return this.pool.size > 0;
  }

  /** Commits everything pooled (shutdown). Throws if a commit fails. */
  flushAll(): void {
    while (this.pool.size > 0) {
      const before = this.pool.size;
      this.flushOnce();
      if (this.pool.size === before)
        throw new Error(`could not commit ${before} pooled leaves: ${this.failing.message ?? 'unknown error'}`);
    }
  }
}
