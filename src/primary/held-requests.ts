// add-leaf requests held open until their leaf is in the published tree head
// (then 200) or a deadline passes (then 202, as without holding).
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

export interface HeldOutcome {
  status: 200 | 202;
}

interface Held {
  leafHash: Hash;
  resolve: (o: HeldOutcome) => void;
  timer: NodeJS.Timeout;
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

  hold(leafHash: Hash): Promise<HeldOutcome> {
    return new Promise(resolve => {
      const h: Held = {
        leafHash,
        resolve,
        timer: setTimeout(() => {
          this.held.delete(h);
          resolve({ status: 202 });
        }, this.opts.waitMs),
      };
      this.held.add(h);
    });
  }

  /** Answers 200 to every held request whose leaf `published` says is in the published head. */
  settle(published: (leafHash: Hash) => boolean): void {
    for (const h of this.held) {
      if (!published(h.leafHash)) continue;
      clearTimeout(h.timer);
      this.held.delete(h);
      h.resolve({ status: 200 });
    }
  }

  /** Answers every held request with 202 (shutdown). */
  releaseAll(): void {
    for (const h of this.held) {
      clearTimeout(h.timer);
      h.resolve({ status: 202 });
    }
    this.held.clear();
  }
}
