// Submit tokens (sigsum-go pkg/submit-token): the sigsum-token header names a
// domain and carries an Ed25519 signature over "sigsum.org/v1/submit-token\0"
// ‖ log public key, made with a key published in TXT records at
// _sigsum_v1.<domain> (falling back to _sigsum_v0 when that name does not
// exist). At most the first 10 records are used; each must be a hex public
// key. Lookups have a deadline and are cached for the records' TTL (bounded),
// failures briefly; the resolver is injectable so tests never use the
// network.
import { verify } from '../sigsum/crypto.js';
import { parseSubmitHeader, submitTokenSignedData } from '../sigsum/token.js';
import { asPublicKey } from '../sigsum/types.js';
import { BusyError, NotFoundError } from '../net/dns.js';
import { dnsName } from './domain.js';
import { errorMessage } from '../util/errors.js';
export const MAX_TOKEN_KEYS = 10;
export class TokenError extends Error {
    reason;
    constructor(message, 
    /** Short reason for metrics. */
    reason) {
        super(message);
        this.reason = reason;
    }
}
export class TokenVerifier {
    resolver;
    opts;
    cache = new Map();
    inflight = new Map();
    signedData;
    constructor(logKey, resolver, opts) {
        this.resolver = resolver;
        this.opts = opts;
        this.signedData = submitTokenSignedData(logKey);
    }
    /** Verifies a sigsum-token header value; returns the domain it names. */
    async verify(header) {
        let parsed;
        try {
            parsed = parseSubmitHeader(header);
        }
        catch (e) {
            throw new TokenError(`malformed sigsum-token header: ${errorMessage(e)}`, 'malformed');
        }
        let name;
        try {
            name = dnsName(parsed.domain);
        }
        catch (e) {
            throw new TokenError(errorMessage(e), 'malformed');
        }
        const answer = await this.lookupKeys(name);
        let good = 0;
        for (const rec of answer.records.slice(0, MAX_TOKEN_KEYS)) {
            if (!/^[0-9a-fA-F]{64}$/.test(rec.trim()))
                continue;
            good++;
            if (verify(asPublicKey(Buffer.from(rec.trim(), 'hex')), this.signedData, parsed.token))
                return parsed.domain;
        }
        if (good === 0)
            throw new TokenError(`no public key in the TXT records of _sigsum_v1.${parsed.domain}`, 'no-key');
        throw new TokenError(`token signature does not verify with any of the ${good} key(s) published for ${parsed.domain} (made for another log?)`, 'bad-signature');
    }
    async lookupKeys(domain) {
        try {
            return await this.cached(`_sigsum_v1.${domain}`);
        }
        catch (e) {
            if (e instanceof TokenError && e.reason === 'not-found')
                return this.cached(`_sigsum_v0.${domain}`);
            throw e;
        }
    }
    cached(name) {
        const hit = this.cache.get(name);
        if (hit && hit.expires > this.opts.clock.now())
            return hit.error ? Promise.reject(hit.error) : Promise.resolve(hit.answer);
        // Concurrent requests for one name share one lookup.
        let p = this.inflight.get(name);
        if (!p) {
            p = this.fetch(name).finally(() => this.inflight.delete(name));
            this.inflight.set(name, p);
        }
        return p;
    }
    async fetch(name) {
        const now = this.opts.clock.now();
        try {
            const answer = await this.withTimeout(name);
            const ttl = Math.max(0, Math.min(answer.ttl, this.opts.maxTtl ?? 3600));
            this.remember(name, { expires: now + ttl * 1000, answer });
            return answer;
        }
        catch (e) {
            if (e instanceof BusyError)
                throw new TokenError(`DNS lookup of ${name} not started: ${e.message}`, 'busy');
            const err = e instanceof NotFoundError
                ? new TokenError(`${name}: no such DNS name`, 'not-found')
                : new TokenError(`DNS lookup of ${name} failed: ${errorMessage(e)}`, 'dns');
            this.remember(name, { expires: now + (this.opts.negativeTtl ?? 30) * 1000, error: err });
            throw err;
        }
    }
    withTimeout(name) {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
            this.resolver(name).then(a => {
                clearTimeout(timer);
                resolve(a);
            }, (e) => {
                clearTimeout(timer);
                reject(e instanceof Error ? e : new Error(String(e)));
            });
        });
    }
    remember(name, e) {
        if (this.cache.size >= 10_000)
            this.cache.delete(this.cache.keys().next().value);
        this.cache.set(name, e);
    }
}
