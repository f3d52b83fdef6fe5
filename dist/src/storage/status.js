// "sigsum-log status": what an operator needs to know about a data directory
// at a glance, read-only, safe while the node runs: whether a node is running
// on it (and its pid), role, epoch, leaves stored, the latest signed tree head
// and the age of the latest signature (a re-signed unchanged head counts, as
// in the sigsum_log_tree_head_age_seconds metric), the published head and,
// on a secondary, the largest tree head of the log it has seen (compare these
// across secondaries to pick the one to promote).
import { sha256 } from '../sigsum/crypto.js';
import { toHex } from '../sigsum/types.js';
export function dataDirStatus(store, state, running) {
    const latest = store.latestTreeHead();
    const seen = state.seenTreeHead.get();
    const published = state.publishedTreeHead.get();
    const lastSigning = state.lastSigning.get();
    const publishedAt = state.publishedAt.get();
    return {
        running,
        role: store.role,
        epoch: store.epoch,
        logKeyHash: toHex(sha256(Buffer.from(store.logPublicKeyHex, 'hex'))),
        leaves: store.size(),
        latestTreeHead: latest && { size: latest.size, rootHash: toHex(latest.rootHash), signedAt: latest.signedAt },
        lastSigning,
        published: published
            ? { size: published.size, cosignatures: published.cosignatures.length, at: publishedAt }
            : latest && { size: latest.size, cosignatures: 0 },
        seenTreeHead: seen && { size: seen.size, rootHash: toHex(seen.rootHash) },
    };
}
function age(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 120)
        return `${s}s`;
    if (s < 7200)
        return `${Math.round(s / 60)}m`;
    if (s < 172800)
        return `${Math.round(s / 3600)}h`;
    return `${Math.round(s / 86400)}d`;
}
export function formatStatus(st, now) {
    const when = (t) => `${new Date(t).toISOString()} (${age(now - t)} ago)`;
    const lines = [
        `node:          ${st.running.running ? `running${st.running.pid ? ` (pid ${st.running.pid})` : ''}` : 'not running'}`,
        `role:          ${st.role}`,
        `epoch:         ${st.epoch}`,
        `log key hash:  ${st.logKeyHash}`,
        `leaves stored: ${st.leaves}`,
    ];
    const th = st.latestTreeHead;
    if (st.role === 'primary') {
        lines.push(th
            ? `latest signed tree head:   size ${th.size}, root ${th.rootHash}, first signed ${when(th.signedAt)}`
            : 'latest signed tree head:   none');
        if (st.lastSigning)
            lines.push(`latest signature:          size ${st.lastSigning.size}, ${when(st.lastSigning.at)}`);
        if (st.published)
            lines.push(`published tree head:       size ${st.published.size}, ${st.published.cosignatures} cosignature(s)${st.published.at ? `, published ${when(st.published.at)}` : ''}`);
    }
    else {
        lines.push(th
            ? `latest published head held: size ${th.size}, root ${th.rootHash}, stored ${when(th.signedAt)}`
            : 'latest published head held: none');
        lines.push(st.seenTreeHead
            ? `largest signed head seen:   size ${st.seenTreeHead.size}, root ${st.seenTreeHead.rootHash}`
            : 'largest signed head seen:   none');
        if (st.seenTreeHead && st.leaves < st.seenTreeHead.size)
            lines.push(`WARNING: the replica is ${st.seenTreeHead.size - st.leaves} leaves behind the largest signed head seen`);
    }
    return lines.join('\n') + '\n';
}
