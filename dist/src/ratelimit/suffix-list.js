// A public suffix list file as log-go reads it (internal/rate-limit/domain.go)
// for its "public" rate limit: "//" comments, plain rules ("com",
// "example.com"), wildcards ("*.example.net") and exceptions
// ("!foo.example.net", which must name a child of a wildcard rule). No
// implicit "*" rule: a domain under no rule has no registered domain.
//
// Lookup keeps log-go's semantics, which differ from the PSL algorithm for
// exceptions: walking from the whole name towards the root, the first name
// that is a rule, or that a wildcard covers and no exception removes, is the
// public suffix; the registered domain is that suffix plus one more label (a
// name that is itself a suffix is its own registered domain). So with "net",
// "*.example.net" and "!foo.example.net", bar.foo.example.net has suffix
// "net" and registered domain "example.net".
import { normalizeDomain, suffixesOf } from './domain.js';
import { errorMessage } from '../util/errors.js';
export class SuffixListError extends Error {
}
export class SuffixList {
    plain;
    wildcards;
    exceptions;
    constructor(plain, wildcards, // parents: "*.example.net" -> "example.net"
    exceptions) {
        this.plain = plain;
        this.wildcards = wildcards;
        this.exceptions = exceptions;
    }
    static parse(text, where = 'public suffix list') {
        const plain = new Set();
        const wildcards = new Set();
        const exceptions = [];
        text.split('\n').forEach((raw, i) => {
            const line = raw.trim();
            const at = (msg) => new SuffixListError(`${where}: line ${i + 1}: ${msg}`);
            if (line === '' || line.startsWith('//'))
                return;
            if (line.startsWith('/'))
                throw at('a comment must start with "//"');
            const rule = line.split(/\s/)[0];
            try {
                if (rule.startsWith('*.'))
                    wildcards.add(normalizeDomain(rule.slice(2)));
                else if (rule.startsWith('!'))
                    exceptions.push([normalizeDomain(rule.slice(1)), i + 1]);
                else
                    plain.add(normalizeDomain(rule));
            }
            catch (e) {
                throw at(errorMessage(e));
            }
        });
        const exc = new Set();
        for (const [name, line] of exceptions) {
            const parent = name.split('.').slice(1).join('.');
            if (!wildcards.has(parent))
                throw new SuffixListError(`${where}: line ${line}: exception !${name} does not refer to a wildcard rule *.${parent}`);
            exc.add(name);
        }
        return new SuffixList(plain, wildcards, exc);
    }
    /** The public suffix of a normalized domain, or undefined if no rule covers it. */
    publicSuffix(domain) {
        for (const s of suffixesOf(domain)) {
            if (this.plain.has(s))
                return s;
            const parent = s.split('.').slice(1).join('.');
            if (parent !== '' && this.wildcards.has(parent) && !this.exceptions.has(s))
                return s;
        }
        return undefined;
    }
    /** The registered domain (suffix plus one label), or undefined for a domain under no rule. */
    registeredDomain(domain) {
        const suffix = this.publicSuffix(domain);
        if (suffix === undefined)
            return undefined;
        if (suffix === domain)
            return domain;
        const labels = domain.split('.');
        const n = suffix.split('.').length;
        return labels.slice(labels.length - n - 1).join('.');
    }
}
