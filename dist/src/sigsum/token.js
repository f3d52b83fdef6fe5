// The sigsum-token request header (log.md §3.5, sigsum-go pkg/submit-token):
// "<domain> <hex signature>", split on single spaces into exactly two parts.
// The signature is a submit token over "sigsum.org/v1/submit-token\0" ‖ log key.
import { decodeHexSized, ParseError } from './ascii.js';
import { asSignature } from './types.js';
export function parseSubmitHeader(value) {
    const parts = value.split(' ');
    if (parts.length !== 2)
        throw new ParseError(`expected 2 parts, got ${parts.length}`);
    if (parts[0] === '')
        throw new ParseError('empty domain');
    return { domain: parts[0], token: asSignature(decodeHexSized(parts[1], 64)) };
}
export function submitTokenSignedData(logKey) {
    return Buffer.concat([Buffer.from('sigsum.org/v1/submit-token\0', 'latin1'), logKey]);
}
