// The HTML info page at the URL prefix root (log-go shows one too; its
// integration test looks for "Software version:"). Public: it shows no
// internal URL and no raw error text, only a status in plain words.
import { formatPublicKey } from '../sigsum/keyfile.js';
import { sha256 } from '../sigsum/crypto.js';
import { toHex } from '../sigsum/types.js';
import { VERSION } from '../version.js';
function esc(s) {
    return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
export function infoPage(src) {
    const keyHash = toHex(sha256(src.publicKey));
    const status = src.status?.();
    return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sigsum log ${keyHash.slice(0, 16)}</title></head>
<body>
<h1>Sigsum log</h1>
<p>This is a <a href="https://www.sigsum.org/">Sigsum</a> transparency log (${esc(src.role)} node), served by sigsum-log.</p>
<ul>
<li>Log key hash: ${keyHash}</li>
<li>Log public key: ${toHex(src.publicKey)}</li>
<li>Log public key (OpenSSH): <code>${esc(formatPublicKey(src.publicKey, '').trim())}</code></li>
<li>Tree size: ${src.publishedSize()}</li>
<li>URL prefix: ${esc(JSON.stringify(src.urlPrefix))}</li>
<li>Software version: sigsum-log ${esc(VERSION)}</li>
${status ? `<li>Status: ${esc(status)}</li>\n` : ''}</ul>
</body></html>
`;
}
export function infoHandler(src) {
    return () => new Response(infoPage(src), { status: 200, headers: { 'content-type': 'text/html' } }); // log-go's header; the page declares utf-8 itself
}
