// Go's %q (strconv.Quote) for the byte strings this project carries input in
// (one char per byte, as parsed from a URL or a request body): error bodies
// that quote the client's input must match log-go's byte for byte. The bytes
// are read as UTF-8 the way Go reads them (an invalid sequence is one byte,
// written \xHH); printable runes (unicode.IsPrint: letters, marks, numbers,
// punctuation, symbols and the ASCII space) appear as themselves; the rest are
// escaped as \a \b \f \n \r \t \v, \xHH below U+0020 and for U+007F, \uHHHH
// or \UHHHHHHHH. The result is a JavaScript string (send it as UTF-8).
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const NAMED = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v' };
const hex = (n, width) => n.toString(16).padStart(width, '0');
/** Go's utf8.DecodeRune on bytes at i: [rune, width], or [-1, 1] for an invalid sequence. */
function decodeRune(b, i) {
    const c = b[i];
    if (c < 0x80)
        return [c, 1];
    const cont = (k) => i + k < b.length && (b[i + k] & 0xc0) === 0x80;
    if (c >= 0xc2 && c <= 0xdf && cont(1))
        return [((c & 0x1f) << 6) | (b[i + 1] & 0x3f), 2];
    if (c >= 0xe0 && c <= 0xef && cont(1) && cont(2)) {
        const r = ((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f);
        if (r >= 0x800 && (r < 0xd800 || r > 0xdfff))
            return [r, 3];
    }
    if (c >= 0xf0 && c <= 0xf4 && cont(1) && cont(2) && cont(3)) {
        const r = ((c & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f);
        if (r >= 0x10000 && r <= 0x10ffff)
            return [r, 4];
    }
    return [-1, 1];
}
/** strconv.Quote of the bytes of `s` (a byte string; chars above U+00FF are taken as their UTF-8 bytes). */
export function goQuote(s) {
    // eslint-disable-next-line no-control-regex
    const bytes = /[^\u0000-\u00ff]/.test(s) ? Buffer.from(s, 'utf8') : Buffer.from(s, 'latin1');
    let out = '"';
    for (let i = 0; i < bytes.length;) {
        const [r, width] = decodeRune(bytes, i);
        if (r < 0)
            out += '\\x' + hex(bytes[i], 2);
        else if (r === 0x22 || r === 0x5c)
            out += '\\' + String.fromCharCode(r);
        else if (PRINTABLE.test(String.fromCodePoint(r)))
            out += String.fromCodePoint(r);
        else if (NAMED[r] !== undefined)
            out += NAMED[r];
        else if (r < 0x20 || r === 0x7f)
            out += '\\x' + hex(r, 2);
        else if (r < 0x10000)
            out += '\\u' + hex(r, 4);
        else
            out += '\\U' + hex(r, 8);
        i += width;
    }
    return out + '"';
}
