// Rate limits on add-leaf, with log-go's precedence (internal/rate-limit):
//   1. a "key" line for SHA-256 of the submitter's public key;
//   2. without a token: refused;
//   3. the longest "domain" line matching the token's domain;
//   4. the "public" limit, counted per registered domain (suffix list);
//   5. otherwise refused.
// test.sigsum.org (whose token key is public) gets limit 0 unless
// --allow-test-domain.
//
// Better than log-go: the caller checks for duplicates first, so a retry of
// an accepted leaf is never charged nor refused; a reservation is released
// when the submission fails (403, 503); windows slide over the last 24 hours
// in hourly buckets instead of resetting every 24 h from process start; and
// counters are stored in the database (flushed after every batch commit and
// at shutdown), so a restart does not reset them.
//
// Mutable state (event loop only): counts (counter -> hour -> count) and the
// set of dirty (counter, hour) pairs.
import type { RateCount, RateCounterStore } from '../storage/ports.js';
import type { Clock } from '../util/clock.js';
import { normalizeDomain, suffixesOf } from './domain.js';
import type { RateLimitConfig } from './config.js';
import { errorMessage } from '../util/errors.js';

export const TEST_DOMAIN = 'test.sigsum.org';
const HOUR = 3_600_000;
const WINDOW_HOURS = 24;

export type RateDecision =
  | { ok: true; counter: string; release: () => void }
  | { ok: false; limit: 'key' | 'domain' | 'public' | 'no-token' | 'unknown-domain' | 'test-domain'; message: string };

export class RateLimiter {
  private readonly counts = new Map<string, Map<number, number>>();
  private readonly dirty = new Set<string>(); // `${hour}\t${counter}`

  constructor(
    private readonly cfg: RateLimitConfig,
    private readonly store: RateCounterStore,
    private readonly opts: { clock: Clock; allowTestDomain: boolean },
  ) {
    for (const r of store.rateCounts(this.hour() - WINDOW_HOURS + 1)) this.bucket(r.counter).set(r.hour, r.count);
  }

  private hour(): number {
    return Math.floor(this.opts.clock.now() / HOUR);
  }

  private bucket(counter: string): Map<number, number> {
    let b = this.counts.get(counter);
    if (!b) this.counts.set(counter, (b = new Map<number, number>()));
    return b;
  }

  /** Submissions counted for `counter` in the last 24 hours. */
  used(counter: string): number {
    const b = this.counts.get(counter);
    if (!b) return 0;
    const from = this.hour() - WINDOW_HOURS + 1;
    let n = 0;
    for (const [h, c] of b) if (h >= from) n += c;
    return n;
  }

  /** Decides and, if allowed, charges one submission; release() undoes the charge. */
  reserve(keyHashHex: string, tokenDomain: string | undefined): RateDecision {
    const rule = this.rule(keyHashHex, tokenDomain);
    if (!rule.ok) return rule;
    const { counter, limit, describe } = rule;
    if (limit === 0 || this.used(counter) >= limit) {
      return { ok: false, limit: rule.kind, message: `rate limit for ${describe} exceeded (${limit} per 24 hours)` };
    }
    const hour = this.hour();
    const b = this.bucket(counter);
    b.set(hour, (b.get(hour) ?? 0) + 1);
    this.dirty.add(`${hour}\t${counter}`);
    let released = false;
    return {
      ok: true,
      counter,
      release: () => {
        if (released) return;
        released = true;
        const n = b.get(hour) ?? 0;
        if (n > 0) b.set(hour, n - 1);
        this.dirty.add(`${hour}\t${counter}`);
      },
    };
  }

  private rule(
    keyHashHex: string,
    tokenDomain: string | undefined,
  ):
    | { ok: true; counter: string; limit: number; kind: 'key' | 'domain' | 'public'; describe: string }
    | Extract<RateDecision, { ok: false }> {
    const keyLimit = this.cfg.keys.get(keyHashHex);
    if (keyLimit !== undefined)
      return {
        ok: true,
        counter: `key:${keyHashHex}`,
        limit: keyLimit,
        kind: 'key',
        describe: `submitter key ${keyHashHex}`,
      };
    if (tokenDomain === undefined) {
      return {
        ok: false,
        limit: 'no-token',
        message:
          'no rate limit allows submissions without a sigsum-token header from this key: submit with a token for your domain (sigsum-token)',
      };
    }
    let domain: string;
    try {
      domain = normalizeDomain(tokenDomain);
    } catch (e) {
      return { ok: false, limit: 'unknown-domain', message: errorMessage(e) };
    }
    const suffixes = suffixesOf(domain);
    if (!this.opts.allowTestDomain && suffixes.includes(TEST_DOMAIN)) {
      return {
        ok: false,
        limit: 'test-domain',
        message: `tokens for ${TEST_DOMAIN} are not accepted by this log (its key is public)`,
      };
    }
    for (const s of suffixes) {
      const limit = this.cfg.domains.get(s);
      if (limit !== undefined)
        return { ok: true, counter: `domain:${s}`, limit, kind: 'domain', describe: `domain "${s}"` };
    }
    if (this.cfg.publicLimit > 0 && this.cfg.suffixes) {
      const reg = this.cfg.suffixes.registeredDomain(domain);
      if (reg === undefined)
        return {
          ok: false,
          limit: 'unknown-domain',
          message: `rate limit for unknown domain exceeded: ${domain} is under no known public suffix`,
        };
      return {
        ok: true,
        counter: `public:${reg}`,
        limit: this.cfg.publicLimit,
        kind: 'public',
        describe: `registered domain "${reg}" (public limit)`,
      };
    }
    return {
      ok: false,
      limit: 'unknown-domain',
      message: `rate limit for unknown domain exceeded: no limit configured for ${domain}`,
    };
  }

  /** Writes changed counters to the database (one transaction). */
  flush(): void {
    if (this.dirty.size === 0) return;
    const rows: RateCount[] = [];
    for (const k of this.dirty) {
      const tab = k.indexOf('\t');
      const hour = Number(k.slice(0, tab));
      const counter = k.slice(tab + 1);
      rows.push({ counter, hour, count: this.counts.get(counter)?.get(hour) ?? 0 });
    }
    const pruneBefore = this.hour() - WINDOW_HOURS + 1;
    this.store.saveRateCounts(rows, pruneBefore);
    this.dirty.clear();
    for (const [counter, b] of this.counts) {
      for (const h of b.keys()) if (h < pruneBefore) b.delete(h);
      if (b.size === 0) this.counts.delete(counter);
    }
  }
}
