// The C2SP tlog-witness add-checkpoint exchange as the Sigsum log uses it
// (protocol.md §12.6): the request body ("old N", base64 consistency proof
// lines, blank line, the log's checkpoint note), the 409 size body, and the
// cosignature lines of a 200 answer. Pure functions: the log's witness client
// and the test witness both use them.
import { parseSignatureLine, checkpointSignatureLine, parseCosignatureBlob, NoteError, } from './checkpoint.js';
import { checkpointBody, originForKey } from './treehead.js';
import { asHash } from './types.js';
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';
/** The log's checkpoint for a signed tree head: body, blank line, its signature line (key ID type 0x01). */
export function checkpointNote(logKey, sth) {
    return checkpointBody(originForKey(logKey), sth) + '\n' + checkpointSignatureLine(logKey, sth.signature);
}
export function formatAddCheckpoint(oldSize, proof, checkpoint) {
    let s = `old ${oldSize}\n`;
    for (const h of proof)
        s += Buffer.from(h).toString('base64') + '\n';
    return s + '\n' + checkpoint;
}
const DECIMAL = /^(0|[1-9][0-9]{0,18})$/;
function decimal(s, what) {
    if (!DECIMAL.test(s))
        throw new NoteError(`invalid ${what} ${JSON.stringify(s)}`);
    const v = BigInt(s);
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
        throw new NoteError(`${what} too large`);
    return Number(v);
}
function hash64(s, what) {
    if (!/^[A-Za-z0-9+/]{43}=$/.test(s))
        throw new NoteError(`invalid ${what}: want 32 bytes of base64`);
    return asHash(new Uint8Array(Buffer.from(s, 'base64')));
}
/** Parses an add-checkpoint body strictly (for witnesses). */
export function parseAddCheckpoint(text) {
    const lines = text.split('\n');
    if (lines.pop() !== '')
        throw new NoteError('request must end with a newline');
    const first = /^old (\S+)$/.exec(lines[0] ?? '');
    if (!first)
        throw new NoteError('first line must be "old <size>"');
    const oldSize = decimal(first[1], 'old size');
    let i = 1;
    const proof = [];
    for (; i < lines.length && lines[i] !== ''; i++) {
        if (proof.length >= 63)
            throw new NoteError('too many proof lines');
        proof.push(hash64(lines[i], 'proof line'));
    }
    if (lines[i] !== '')
        throw new NoteError('missing blank line after the proof');
    i++;
    const [origin, sizeLine, rootLine] = lines.slice(i, i + 3);
    if (origin === undefined || rootLine === undefined)
        throw new NoteError('truncated checkpoint');
    if (origin === '')
        throw new NoteError('empty origin');
    const size = decimal(sizeLine, 'checkpoint size');
    const rootHash = hash64(rootLine, 'root hash');
    i += 3;
    // Sigsum checkpoints carry no extension lines: next is the blank line before the signatures.
    if (lines[i] !== '')
        throw new NoteError('unexpected extension line in checkpoint');
    i++;
    const signatures = lines.slice(i).map(l => parseSignatureLine(l));
    if (signatures.length === 0)
        throw new NoteError('checkpoint has no signature');
    return { oldSize, proof, origin, size, rootHash, body: `${origin}\n${sizeLine}\n${rootLine}\n`, signatures };
}
/** Parses the 409 body "<decimal>\n". */
export function parseTlogSize(text) {
    const m = /^(0|[1-9][0-9]*)\n$/.exec(text);
    if (!m)
        return undefined;
    const v = Number(m[1]);
    return Number.isSafeInteger(v) ? v : undefined;
}
/** The signature lines of a 200 answer; any malformed line is an error (as sigsum-go). */
export function parseCosignatureLines(text) {
    const lines = text.split('\n');
    if (lines.pop() !== '')
        throw new NoteError('response must end with a newline');
    if (lines.length === 0)
        throw new NoteError('no signature lines');
    return lines.map(l => parseSignatureLine(l));
}
/**
 * The first cosignature line for `witness` (key ID of type 0x04 under the
 * line's own key name; lines of other sizes, e.g. other signature types, are
 * skipped), or undefined.
 */
export function findCosignature(lines, witness) {
    for (const l of lines) {
        const c = parseCosignatureBlob(l, witness);
        if (c)
            return c;
    }
    return undefined;
}
