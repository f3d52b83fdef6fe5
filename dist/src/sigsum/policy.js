// Sigsum trust policies (sigsum-go doc/policy.md, pkg/policy): which logs and
// witnesses exist and which witness cosignatures make a tree head
// trustworthy. The log uses its own policy file to find its witnesses (those
// with a URL) and to decide when a tree head has enough cosignatures to be
// published.
//
// Syntax, one statement per line:
//   log <hex pubkey> [url]
//   witness <name> <hex pubkey> [url]
//   group <name> any|all|<k> <member>...
//   quorum <name>
// Fields are separated by spaces or tabs; a line whose first non-blank
// character is # is a comment. Validation follows sigsum-go: names are defined
// before use and never redefined ("none" is predefined: no cosignatures
// needed), a name is a member of at most one group, keys are not repeated,
// exactly one quorum line; control characters other than tab are rejected.
// Errors name the line.
import { sha256 } from './crypto.js';
import { asPublicKey, toHex } from './types.js';
import { errorMessage } from '../util/errors.js';
export class PolicyError extends Error {
}
const NONE = { kind: 'group', name: 'none', k: 0, members: [] };
function parseKey(hex) {
    if (!/^[0-9a-fA-F]{64}$/.test(hex))
        throw new Error(`invalid public key ${JSON.stringify(hex)}: want 64 hex digits`);
    return asPublicKey(new Uint8Array(Buffer.from(hex, 'hex')));
}
function parseUrl(s) {
    let u;
    try {
        u = new URL(s);
    }
    catch {
        throw new Error(`invalid URL ${JSON.stringify(s)}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
        throw new Error(`invalid URL ${JSON.stringify(s)}: want http or https`);
    return s;
}
export function parsePolicy(text) {
    const logs = [];
    const witnesses = [];
    const names = new Map([['none', NONE]]);
    const usedAsMember = new Set();
    const keys = new Set();
    let quorum;
    const entity = (hex, url) => {
        const publicKey = parseKey(hex);
        const keyHash = toHex(sha256(publicKey));
        if (keys.has(keyHash))
            throw new Error(`duplicate key ${hex.toLowerCase()}`);
        keys.add(keyHash);
        return { publicKey, keyHash, ...(url !== undefined ? { url: parseUrl(url) } : {}) };
    };
    const define = (name, q) => {
        if (names.has(name))
            throw new Error(`duplicate name ${JSON.stringify(name)}`);
        names.set(name, q);
    };
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '')
        lines.pop();
    lines.forEach((raw, i) => {
        const at = (msg) => new PolicyError(`line ${i + 1}: ${msg}`);
        // eslint-disable-next-line no-control-regex
        const ctl = /[\x00-\x08\x0a-\x1f\x7f]/.exec(raw);
        if (ctl)
            throw at(`invalid control character 0x${ctl[0].charCodeAt(0).toString(16).padStart(2, '0')}${ctl[0] === '\r' ? ' (CRLF line ends are not allowed)' : ''}`);
        const trimmed = raw.replace(/^[ \t]+/, '');
        if (trimmed === '' || trimmed.startsWith('#'))
            return;
        const [keyword, ...args] = trimmed.split(/[ \t]+/).filter(f => f !== '');
        try {
            switch (keyword) {
                case 'log':
                    if (args.length < 1 || args.length > 2)
                        throw new Error('invalid log line: public key required, URL optional');
                    logs.push(entity(args[0], args[1]));
                    break;
                case 'witness': {
                    if (args.length < 2 || args.length > 3)
                        throw new Error('invalid witness line: name and public key required, URL optional');
                    const [name, hex, url] = args;
                    if (names.has(name))
                        throw new Error(`duplicate name ${JSON.stringify(name)}`);
                    const w = { name, ...entity(hex, url) };
                    witnesses.push(w);
                    define(name, { kind: 'witness', keyHash: w.keyHash });
                    break;
                }
                case 'group': {
                    if (args.length < 3)
                        throw new Error('invalid group line: name, threshold and at least one member required');
                    const [name, threshold, ...members] = args;
                    const n = members.length;
                    let k;
                    if (threshold === 'any')
                        k = 1;
                    else if (threshold === 'all')
                        k = n;
                    else if (/^[0-9]+$/.test(threshold))
                        k = Number(threshold);
                    else
                        throw new Error(`invalid threshold ${JSON.stringify(threshold)}: want any, all or a number`);
                    if (k < 1 || k > n)
                        throw new Error(`threshold ${k} out of range 1..${n}`);
                    const qs = members.map(m => {
                        const q = names.get(m);
                        if (!q || m === 'none')
                            throw new Error(`undefined name ${JSON.stringify(m)}`);
                        if (usedAsMember.has(m))
                            throw new Error(`${JSON.stringify(m)} is already a member of a group`);
                        usedAsMember.add(m);
                        return q;
                    });
                    define(name, { kind: 'group', name, k, members: qs });
                    break;
                }
                case 'quorum': {
                    if (args.length !== 1)
                        throw new Error('invalid quorum line: one group or witness name required');
                    if (quorum)
                        throw new Error('quorum can only be set once');
                    const q = names.get(args[0]);
                    if (!q)
                        throw new Error(`undefined name ${JSON.stringify(args[0])}`);
                    quorum = { q, name: args[0] };
                    break;
                }
                default:
                    throw new Error(`unknown keyword ${JSON.stringify(keyword)}`);
            }
        }
        catch (e) {
            throw at(errorMessage(e));
        }
    });
    if (!quorum)
        throw new PolicyError('no quorum defined (add a "quorum <name>" line, or "quorum none")');
    return { logs, witnesses, quorum: quorum.q, quorumName: quorum.name };
}
/** Whether cosignatures by the witnesses with these key hashes (hex) satisfy the quorum. */
export function quorumSatisfied(q, cosigned) {
    if (q.kind === 'witness')
        return cosigned.has(q.keyHash);
    let n = 0;
    for (const m of q.members)
        if (quorumSatisfied(m, cosigned))
            n++;
    return n >= q.k;
}
/** True for "quorum none" (or any quorum that needs no cosignature). */
export function quorumTrivial(q) {
    return quorumSatisfied(q, new Set());
}
