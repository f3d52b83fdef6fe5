// Domain names as sigsum-go normalizes them for rate limits
// (pkg/submit-token/normalize.go): NFKC, lower case, IDNA to an A-label and
// back to a U-label; a name that does not survive the round trip unchanged
// is refused. node:url's UTS #46 conversion does the IDNA part.
import { domainToASCII, domainToUnicode } from 'node:url';

export class DomainError extends Error {}

export function normalizeDomain(name: string): string {
  const n = name.normalize('NFKC').toLowerCase();
  if (n === '' || n.startsWith('.') || n.endsWith('.') || n.includes('..')) throw new DomainError(`invalid domain name ${JSON.stringify(name)}`);
  const ascii = domainToASCII(n);
  if (ascii === '') throw new DomainError(`invalid domain name ${JSON.stringify(name)}`);
  const back = domainToUnicode(ascii);
  if (back !== n) throw new DomainError(`domain name ${JSON.stringify(name)} is not normalized (want ${JSON.stringify(back)})`);
  return back;
}

/** "a.b.c" -> ["a.b.c", "b.c", "c"] */
export function suffixesOf(domain: string): string[] {
  const labels = domain.split('.');
  return labels.map((_, i) => labels.slice(i).join('.'));
}
