// Ed25519 verification of add-leaf signatures on worker threads: requests
// made in the same turn of the event loop go to a thread as one batch (one
// message each way), so the main thread spends a few microseconds per leaf
// instead of a whole verification. The threads run libsodium as an
// accept-only fast path (crypto.ts); a signature it does not accept is
// decided by the full Go-semantics verifier on libuv's thread pool, so every
// verdict equals Go's crypto/ed25519. Without libsodium (it did not load)
// there is no pool and verification stays on the thread pool.
//
// Bounded: at most MAX_BATCH signatures per message, MAX_PENDING in flight
// (beyond that, straight to the fallback). A thread that dies is replaced;
// its batch is decided by the fallback; after MAX_DEATHS the pool retires.
import { Worker } from 'node:worker_threads';
import { verifyAsync } from '../sigsum/crypto.js';
import { leafSignedData } from '../sigsum/leaf.js';
import { sodiumLoadError } from '../sigsum/sodium.js';
import type { Hash, PublicKey, Signature } from '../sigsum/types.js';
import type { Logger } from '../util/logger.js';

/**
 * One batch in one transferred buffer (a single transfer costs less than
 * several): `count + 1` message offsets (u32), then the keys (32 bytes each),
 * the signatures (64 bytes each) and the messages.
 */
export interface VerifyBatch {
  id: number;
  count: number;
  buffer: ArrayBuffer;
}

/** Views of a batch's parts. */
export function batchViews(b: VerifyBatch): {
  offsets: Uint32Array;
  keys: Uint8Array;
  sigs: Uint8Array;
  msgs: Uint8Array;
} {
  const n = b.count;
  const keysAt = 4 * (n + 1);
  const sigsAt = keysAt + 32 * n;
  const msgsAt = sigsAt + 64 * n;
  return {
    offsets: new Uint32Array(b.buffer, 0, n + 1),
    keys: new Uint8Array(b.buffer, keysAt, 32 * n),
    sigs: new Uint8Array(b.buffer, sigsAt, 64 * n),
    msgs: new Uint8Array(b.buffer, msgsAt),
  };
}

export interface VerifyVerdicts {
  id: number;
  verdicts: Uint8Array;
}

const MAX_BATCH = 256;
const MAX_PENDING = 16384;
/** Thread deaths tolerated over the pool's life before it retires. */
const MAX_DEATHS = 5;

interface Item {
  pub: PublicKey;
  msg: Uint8Array;
  sig: Signature;
  resolve: (ok: boolean) => void;
}

interface Thread {
  worker: Worker;
  batches: Map<number, Item[]>; // sent, not answered
}

export class VerifyPool {
  private readonly threads: Thread[] = [];
  private queue: Item[] = []; // owned by verify()/flush()
  private scheduled = false;
  private pending = 0;
  private nextId = 1;
  private next = 0; // round robin
  private closed = false;
  private deaths = 0;

  private constructor(
    size: number,
    private readonly logger: Logger,
  ) {
    for (let i = 0; i < size; i++) this.threads.push(this.spawn());
  }

  /** A pool of `threads` verification threads, or undefined when libsodium is not available (logged once). */
  static start(threads: number, logger: Logger): VerifyPool | undefined {
    if (sodiumLoadError) {
      logger.warning('libsodium is not available: Ed25519 verification uses OpenSSL on the thread pool', {
        reason: sodiumLoadError,
      });
      return undefined;
    }
    return threads > 0 ? new VerifyPool(threads, logger) : undefined;
  }

  /** The add-leaf check: the submitter's signature over the checksum. */
  verifyLeaf = (publicKey: PublicKey, checksum: Hash, signature: Signature): Promise<boolean> =>
    this.verify(publicKey, leafSignedData(checksum), signature);

  verify(pub: PublicKey, msg: Uint8Array, sig: Signature): Promise<boolean> {
    if (this.closed || this.pending >= MAX_PENDING || pub.length !== 32 || sig.length !== 64)
      return verifyAsync(pub, msg, sig);
    this.pending++;
    return new Promise<boolean>(resolve => {
      this.queue.push({ pub, msg, sig, resolve });
      if (this.queue.length >= MAX_BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    }).finally(() => this.pending--);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.scheduled = false;
    for (const it of this.queue.splice(0)) this.settle(it, false);
    // Batches the threads still hold are settled by their 'exit' handlers.
    await Promise.all(this.threads.map(t => t.worker.terminate()));
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const items = this.queue.splice(0, MAX_BATCH);
      const t = this.threads[this.next++ % this.threads.length];
      const id = this.nextId++;
      const msgLen = items.reduce((n, it) => n + it.msg.length, 0);
      const n = items.length;
      const b: VerifyBatch = { id, count: n, buffer: new ArrayBuffer(4 * (n + 1) + 96 * n + msgLen) };
      const { offsets, keys, sigs, msgs } = batchViews(b);
      let at = 0;
      items.forEach((it, i) => {
        keys.set(it.pub, 32 * i);
        sigs.set(it.sig, 64 * i);
        offsets[i] = at;
        msgs.set(it.msg, at);
        at += it.msg.length;
      });
      offsets[n] = at;
      t.batches.set(id, items);
      t.worker.ref(); // a thread with work in flight keeps the process alive (idle ones do not)
      t.worker.postMessage(b, [b.buffer]);
    }
  }

  private spawn(): Thread {
    const url = new URL(import.meta.url.endsWith('.ts') ? './verify-worker.ts' : './verify-worker.js', import.meta.url);
    // From source (tests, development) the thread needs tsx too.
    const worker = new Worker(url, url.pathname.endsWith('.ts') ? { execArgv: ['--import', 'tsx'] } : {});
    worker.unref();
    const t: Thread = { worker, batches: new Map() };
    worker.on('message', (v: VerifyVerdicts) => {
      const items = t.batches.get(v.id);
      if (!items) return;
      t.batches.delete(v.id);
      if (t.batches.size === 0) worker.unref();
      items.forEach((it, i) => this.settle(it, v.verdicts[i] === 1));
    });
    worker.on('error', e => {
      if (!this.closed) this.logger.error('a signature verification thread failed', { error: e.message });
    });
    // After 'error' too: whatever the thread had not answered is decided by
    // the fallback; the thread is replaced unless threads keep dying, then
    // the pool retires and verification stays on the fallback.
    worker.on('exit', () => {
      for (const items of t.batches.values()) for (const it of items) this.settle(it, false);
      t.batches.clear();
      if (this.closed) return;
      this.deaths++;
      if (this.deaths > MAX_DEATHS) {
        this.logger.error('signature verification threads keep failing: verifying with OpenSSL on the thread pool', {
          deaths: this.deaths,
        });
        void this.close();
        return;
      }
      const i = this.threads.indexOf(t);
      if (i >= 0) this.threads[i] = this.spawn();
    });
    return t;
  }

  /** Accepted by libsodium: valid. Otherwise the full verifier decides (Go's verdict). */
  private settle(it: Item, accepted: boolean): void {
    if (accepted) it.resolve(true);
    else void verifyAsync(it.pub, it.msg, it.sig).then(it.resolve);
  }
}
