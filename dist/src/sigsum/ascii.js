// The strict ASCII key/value format of Sigsum log.md §2.2.1, parsed the way
// sigsum-go's pkg/ascii does: lines end in "\n" only (a CR stays part of the
// value), keys come in a fixed order, nothing may follow the last expected
// line, hex is case-insensitive on input and lowercase on output, integers are
// decimal without sign or leading zeros and below 2^63.
//
// Error messages follow sigsum-go's wording, so that our 400 bodies read like
// log-go's (clients only look at the status code, but operators compare logs).
import { goQuote } from './go-quote.js';
export class ParseError extends Error {
}
export const MAX_INT63 = (1n << 63n) - 1n;
function goRune(code) {
    const u = 'U+' + code.toString(16).toUpperCase().padStart(4, '0');
    const printable = (code >= 0x20 && code < 0x7f) || (code >= 0xa1 && code !== 0xad);
    return printable ? `${u} '${String.fromCharCode(code)}'` : u;
}
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++)
    HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
    HEX_VALUE[0x41 + i] = 10 + i;
    HEX_VALUE[0x61 + i] = 10 + i;
}
/** Go's hex.DecodeString on a latin1 string: invalid bytes are reported before odd length. */
export function decodeHex(s) {
    const out = new Uint8Array(s.length >> 1);
    let j = 1;
    for (; j < s.length; j += 2) {
        const a = HEX_VALUE[s.charCodeAt(j - 1) & 0xff];
        const b = HEX_VALUE[s.charCodeAt(j) & 0xff];
        if (a < 0 || s.charCodeAt(j - 1) > 0xff)
            throw new ParseError(`encoding/hex: invalid byte: ${goRune(s.charCodeAt(j - 1))}`);
        if (b < 0 || s.charCodeAt(j) > 0xff)
            throw new ParseError(`encoding/hex: invalid byte: ${goRune(s.charCodeAt(j))}`);
        out[(j - 1) >> 1] = (a << 4) | b;
    }
    if (s.length % 2 === 1) {
        const c = s.charCodeAt(j - 1);
        if (c > 0xff || HEX_VALUE[c] < 0)
            throw new ParseError(`encoding/hex: invalid byte: ${goRune(c)}`);
        throw new ParseError('encoding/hex: odd length hex string');
    }
    return out;
}
/** Hex of an exact byte length (sigsum-go's decodeHex into a fixed-size array). */
export function decodeHexSized(s, size) {
    const b = decodeHex(s);
    if (b.length !== size)
        throw new ParseError(`unexpected length of hex data, expected ${size}, got ${b.length}`);
    return b;
}
/** sigsum-go ascii.IntFromDecimal: no sign, no leading zeros, < 2^63. */
export function parseDecimal(s) {
    if (s.length > 1 && s[0] === '0')
        throw new ParseError(`invalid decimal number ${goQuote(s)}, must be no leading zeros`);
    if (!/^[0-9]+$/.test(s))
        throw new ParseError(`strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`);
    const v = BigInt(s);
    if (v > MAX_INT63)
        throw new ParseError(`strconv.ParseUint: parsing ${goQuote(s)}: value out of range`);
    return v;
}
/** A decimal that must also fit a JavaScript safe integer (tree sizes, indices). */
export function parseSafeInt(s) {
    const v = parseDecimal(s);
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
        throw new ParseError(`number ${s} is too large`);
    return Number(v);
}
/**
 * Reads key=value lines in a fixed order. The input is a latin1 string (one
 * char per byte), so arbitrary bytes survive until hex decoding rejects them.
 */
export class AsciiParser {
    text;
    pos = 0;
    constructor(text) {
        this.text = text;
    }
    static fromBytes(b) {
        return new AsciiParser(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'));
    }
    nextLine() {
        if (this.pos >= this.text.length)
            throw new ParseError('EOF');
        const nl = this.text.indexOf('\n', this.pos);
        if (nl < 0)
            throw new ParseError('unexpected EOF');
        const line = this.text.slice(this.pos, nl);
        this.pos = nl + 1;
        return line;
    }
    /** The key of the next line, or undefined at the end (no consumption). */
    peekKey() {
        if (this.pos >= this.text.length)
            return undefined;
        const nl = this.text.indexOf('\n', this.pos);
        const end = nl < 0 ? this.text.length : nl;
        const eq = this.text.indexOf('=', this.pos);
        if (eq < 0 || eq > end)
            return undefined;
        return this.text.slice(this.pos, eq);
    }
    /** The raw value of the next line, which must have this key. */
    getValue(key) {
        const line = this.nextLine();
        if (line.length === 0)
            throw new ParseError('encountered an empty line');
        const eq = line.indexOf('=');
        if (eq < 0)
            throw new ParseError(`invalid input line: ${goQuote(line)}`);
        const k = line.slice(0, eq);
        if (k !== key)
            throw new ParseError(`invalid input line, expected ${key}, got key: ${goQuote(k)}`);
        return line.slice(eq + 1);
    }
    getHex(key, size) {
        return decodeHexSized(this.getValue(key), size);
    }
    getInt(key) {
        return parseDecimal(this.getValue(key));
    }
    getSafeInt(key) {
        return parseSafeInt(this.getValue(key));
    }
    /** A value made of exactly n space-separated fields. */
    getFields(key, n) {
        const parts = this.getValue(key).split(' ');
        if (parts.length !== n)
            throw new ParseError(`bad number of values for ${key}: expected ${n}, got ${parts.length}`);
        return parts;
    }
    atEnd() {
        return this.pos >= this.text.length;
    }
    getEOF() {
        if (this.pos < this.text.length) {
            const nl = this.text.indexOf('\n', this.pos);
            const line = this.text.slice(this.pos, nl < 0 ? undefined : nl);
            throw new ParseError(`garbage line at end of data: ${goQuote(line)}`);
        }
    }
}
/** Formats one output line: key=value\n, hex lowercase. */
export function line(key, ...values) {
    return (key +
        '=' +
        values
            .map(v => v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') : String(v))
            .join(' ') +
        '\n');
}
/** "node_hash=<hex>\n" lines for a proof, hex-encoded in one pass. */
export function hashLines(key, hashes) {
    if (hashes.length === 0)
        return '';
    const hex = Buffer.concat(hashes).toString('hex');
    const prefix = key + '=';
    let out = '';
    for (let i = 0; i < hashes.length; i++)
        out += prefix + hex.slice(64 * i, 64 * i + 64) + '\n';
    return out;
}
