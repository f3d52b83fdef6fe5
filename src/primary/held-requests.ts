// add-leaf requests held open until their leaf is in the published tree head
// (then 'included', a 200) or a deadline passes (then 'accepted', a 202,
// as without holding).
//
// Only a repeated add-leaf for a leaf that is accepted but not yet published
// is held: that request is the client polling for its 200 (sigsum-submit
// re-posts right after submitting, then every 2 s). Holding it answers at
// the moment of publication instead of on the client's next poll, and the
// client finds its proof at once. A first submission is always answered at
// once (202), so holding never slows a client that submits many leaves.
// Held requests tie up connections and timers, so their number is bounded.
//
// Owned by the event loop: `held` is changed by hold() and settle().
import type { Hash } from '../sigsum/types.js';

export type HeldOutcome = { kind: 'included' } | { kind: 'accepted' };

interface Held {
  leafHash: Hash;
  resolve: (o: HeldOutcome) => void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  release: () => void;
}

export class HeldRequests {
  private held = new Set<Held>();

  constructor(private readonly opts: { waitMs: number; maxHeld: number }) {}

  get count(): number {
    return this.held.size;
  }

  /** Whether one more request may be held. */
  canHold(): boolean {
    return this.opts.waitMs > 0 && this.held.size < this.opts.maxHeld;
  }

  /** Waits for publication; `signal` (the client went away) ends the wait at once. */
  hold(leafHash: Hash, signal?: AbortSignal): Promise<HeldOutcome> {
    return new Promise(resolve => {
      const release = () => {
        clearTimeout(h.timer);
        this.held.delete(h);
        signal?.removeEventListener('abort', release);
        resolve({ kind: 'accepted' });
      };
      const h: Held = { leafHash, resolve, timer: setTimeout(release, this.opts.waitMs), signal, release };
      if (signal?.aborted) return release();
      signal?.addEventListener('abort', release, { once: true });
      this.held.add(h);
    });
  }

  /** Answers 200 to every held request whose leaf `published` says is in the published head. */
  settle(published: (leafHash: Hash) => boolean): void {
    for (const h of this.held) {
      if (!published(h.leafHash)) continue;
      clearTimeout(h.timer);
      this.held.delete(h);
      h.signal?.removeEventListener('abort', h.release);
      h.resolve({ kind: 'included' });
    }
  }

  /** Answers every held request with 202 (shutdown). */
  releaseAll(): void {
    for (const h of [...this.held]) h.release();
  }
}
