import { normalizeDomain, suffixesOf } from './domain.js';
import { errorMessage } from '../util/errors.js';
export const TEST_DOMAIN = 'test.sigsum.org';
const HOUR = 3_600_000;
const WINDOW_HOURS = 24;
export class RateLimiter {
    cfg;
    store;
    opts;
    counts = new Map();
    dirty = new Set(); // `${hour}\t${counter}`
    constructor(cfg, store, opts) {
        this.cfg = cfg;
        this.store = store;
        this.opts = opts;
        for (const r of store.rateCounts(this.hour() - WINDOW_HOURS + 1))
            this.bucket(r.counter).set(r.hour, r.count);
    }
    hour() {
        return Math.floor(this.opts.clock.now() / HOUR);
    }
    bucket(counter) {
        let b = this.counts.get(counter);
        if (!b)
            this.counts.set(counter, (b = new Map()));
        return b;
    }
    /** Submissions counted for `counter` in the last 24 hours. */
    used(counter) {
        const b = this.counts.get(counter);
        if (!b)
            return 0;
        const from = this.hour() - WINDOW_HOURS + 1;
        let n = 0;
        for (const [h, c] of b)
            if (h >= from)
                n += c;
        return n;
    }
    /** Decides and, if allowed, charges one submission; release() undoes the charge. */
    reserve(keyHashHex, tokenDomain) {
        const rule = this.rule(keyHashHex, tokenDomain);
        if (!rule.ok)
            return rule;
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
                if (released)
                    return;
                released = true;
                const n = b.get(hour) ?? 0;
                if (n > 0)
                    b.set(hour, n - 1);
                this.dirty.add(`${hour}\t${counter}`);
            },
        };
    }
    rule(keyHashHex, tokenDomain) {
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
                message: 'no rate limit allows submissions without a sigsum-token header from this key: submit with a token for your domain (sigsum-token)',
            };
        }
        let domain;
        try {
            domain = normalizeDomain(tokenDomain);
        }
        catch (e) {
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
    flush() {
        if (this.dirty.size === 0)
            return;
        const rows = [];
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
            for (const h of b.keys())
                if (h < pruneBefore)
                    b.delete(h);
            if (b.size === 0)
                this.counts.delete(counter);
        }
    }
}
