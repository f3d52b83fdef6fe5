// The rate-limit file (log-go's format, doc/rate-limit.md):
//   key <hex SHA-256 of a submitter public key> <limit>
//   domain <domain> <limit>       the domain and all its subdomains
//   public <suffix list file> <limit>   at most once; 0 disables public access
// "#" starts a comment anywhere; limits are per 24 hours, decimal, < 2^31.
// Duplicate key or domain lines, several public lines and unknown keywords
// are errors naming the line. The suffix list path is relative to the
// working directory, as in log-go.
import { readFileSync } from 'node:fs';
import { normalizeDomain } from './domain.js';
import { SuffixList } from './suffix-list.js';
import { errorCode, errorMessage } from '../util/errors.js';
export class RateLimitConfigError extends Error {
}
export function parseRateLimitConfig(text, where, readFile = p => readFileSync(p, 'utf8')) {
    const cfg = { keys: new Map(), domains: new Map(), publicLimit: 0 };
    let sawPublic = false;
    text.split('\n').forEach((raw, i) => {
        const at = (msg) => new RateLimitConfigError(`${where}: line ${i + 1}: ${msg}`);
        const hash = raw.indexOf('#');
        const fields = (hash >= 0 ? raw.slice(0, hash) : raw)
            .trim()
            .split(/\s+/)
            .filter(f => f !== '');
        if (fields.length === 0)
            return;
        if (fields.length !== 3)
            throw at(`want 3 fields (keyword, value, limit), got ${fields.length}`);
        const [keyword, value, limitText] = fields;
        if (!/^[0-9]+$/.test(limitText) || Number(limitText) >= 2 ** 31)
            throw at(`invalid limit ${JSON.stringify(limitText)}: want a decimal number below 2^31`);
        const limit = Number(limitText);
        switch (keyword) {
            case 'key': {
                if (!/^[0-9a-fA-F]{64}$/.test(value))
                    throw at(`invalid key hash ${JSON.stringify(value)}: want 64 hex digits`);
                const k = value.toLowerCase();
                if (cfg.keys.has(k))
                    throw at(`duplicate key ${k}`);
                cfg.keys.set(k, limit);
                break;
            }
            case 'domain': {
                let d;
                try {
                    d = normalizeDomain(value);
                }
                catch (e) {
                    throw at(errorMessage(e));
                }
                if (cfg.domains.has(d))
                    throw at(`duplicate domain ${d}`);
                cfg.domains.set(d, limit);
                break;
            }
            case 'public': {
                if (sawPublic)
                    throw at('only one public line is allowed');
                sawPublic = true;
                cfg.publicLimit = limit;
                if (limit > 0) {
                    let list;
                    try {
                        list = readFile(value);
                    }
                    catch (e) {
                        throw at(`cannot read public suffix list ${value}: ${errorCode(e) ?? errorMessage(e)}`);
                    }
                    cfg.suffixes = SuffixList.parse(list, value);
                }
                break;
            }
            default:
                throw at(`unknown keyword ${JSON.stringify(keyword)} (want key, domain or public)`);
        }
    });
    return cfg;
}
