// add-leaf requests held open until their leaf is in the published tree head
// (then 200) or a deadline passes (then 202, as without holding). A client
// such as sigsum-submit then gets 200 on its first request and finds its
// proof at once, instead of sleeping after a 202 and asking again.
//
// Holding ties up a connection, so it is bounded: at most `maxHeld`
// requests at a time, and only while fewer than 4 × maxHeld leaves wait for
// publication; a loaded log answers at once, so throughput does not degrade
// into connections ÷ interval (a burst can only stall up to maxHeld
// connections for one interval, at its start).
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

  /** Whether a new request may be held, given how many leaves await publication. */
  canHold(backlog: number): boolean {
    return this.opts.waitMs > 0 && this.held.size < this.opts.maxHeld && backlog < 4 * this.opts.maxHeld;
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
