// Domain names as sigsum-go normalizes them for rate limits
// (pkg/submit-token/normalize.go): NFKC, lower case, IDNA to an A-label and
// back to a U-label; a name that does not survive the round trip unchanged
// is refused. node:url's UTS #46 conversion does the IDNA part.
import { domainToASCII, domainToUnicode } from 'node:url';
export class DomainError extends Error {
}
export function normalizeDomain(name) {
    const n = name.normalize('NFKC').toLowerCase();
    if (n === '' || n.startsWith('.') || n.endsWith('.') || n.includes('..'))
        throw new DomainError(`invalid domain name ${JSON.stringify(name)}`);
    const ascii = domainToASCII(n);
    if (ascii === '')
        throw new DomainError(`invalid domain name ${JSON.stringify(name)}`);
    const back = domainToUnicode(ascii);
    if (back !== n)
        throw new DomainError(`domain name ${JSON.stringify(name)} is not normalized (want ${JSON.stringify(back)})`);
    return back;
}
/** "a.b.c" -> ["a.b.c", "b.c", "c"] */
export function suffixesOf(domain) {
    const labels = domain.split('.');
    return labels.map((_, i) => labels.slice(i).join('.'));
}
/**
 * The name to look up in DNS for a domain from a request header: IDNA to
 * A-labels (lower case), at most 253 characters, labels of 1 to 63
 * characters of letters, digits, hyphens or underscores, no empty label
 * (one trailing dot is dropped). Throws DomainError otherwise, so a request
 * cannot make the log send junk (or a 5,000-character name) to DNS.
 */
export function dnsName(domain) {
    const d = domain.endsWith('.') ? domain.slice(0, -1) : domain;
    if (d === '' || d.length > 253 * 4)
        throw new DomainError(`invalid domain name: ${d === '' ? 'empty' : 'too long'}`);
    const ascii = /^[\x20-\x7e]*$/.test(d) ? d.toLowerCase() : domainToASCII(d.normalize('NFKC').toLowerCase());
    if (ascii === '')
        throw new DomainError('invalid domain name: not a valid internationalized domain name');
    if (ascii.length > 253)
        throw new DomainError(`invalid domain name: ${ascii.length} characters, more than 253`);
    for (const label of ascii.split('.')) {
        if (label === '')
            throw new DomainError('invalid domain name: empty label');
        if (label.length > 63)
            throw new DomainError(`invalid domain name: a label of ${label.length} characters, more than 63`);
        if (!/^[a-z0-9_-]+$/.test(label))
            throw new DomainError(`invalid domain name: label ${JSON.stringify(label)} has characters other than letters, digits, "-" and "_"`);
    }
    return ascii;
}
