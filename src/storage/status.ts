// "sigsum-log status": what an operator needs to know about a data directory
// at a glance, read-only, safe while the node runs: role, epoch, leaves
// stored, the latest signed tree head and its age and, on a secondary, the
// largest tree head of the log it has seen (compare these across secondaries
// to pick the one to promote).
import { sha256 } from '../sigsum/crypto.js';
import { parseSignedTreeHead } from '../sigsum/treehead.js';
import { toHex } from '../sigsum/types.js';
import { STATE_KEYS, type LogStore } from './store.js';

export interface DataDirStatus {
  role: string;
  epoch: number;
  logKeyHash: string;
  leaves: number;
  latestTreeHead?: { size: number; rootHash: string; signedAt: number };
  seenTreeHead?: { size: number; rootHash: string };
}

export function dataDirStatus(store: LogStore): DataDirStatus {
  const latest = store.latestTreeHead();
  const seenText = store.getState(STATE_KEYS.seenTreeHead);
  const seen = seenText ? parseSignedTreeHead(seenText) : undefined;
  return {
    role: store.role,
    epoch: store.epoch,
    logKeyHash: toHex(sha256(Buffer.from(store.logPublicKeyHex, 'hex'))),
    leaves: store.size(),
    latestTreeHead: latest && { size: latest.size, rootHash: toHex(latest.rootHash), signedAt: latest.signedAt },
    seenTreeHead: seen && { size: seen.size, rootHash: toHex(seen.rootHash) },
  };
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

export function formatStatus(st: DataDirStatus, now: number): string {
  const lines = [`role:          ${st.role}`, `epoch:         ${st.epoch}`, `log key hash:  ${st.logKeyHash}`, `leaves stored: ${st.leaves}`];
  const th = st.latestTreeHead;
  const label = st.role === 'primary' ? 'latest signed tree head:   ' : 'latest published head held:';
  lines.push(th ? `${label} size ${th.size}, root ${th.rootHash}, ${st.role === 'primary' ? 'signed' : 'stored'} ${new Date(th.signedAt).toISOString()} (${age(now - th.signedAt)} ago)` : `${label} none`);
  if (st.role === 'secondary') {
    lines.push(st.seenTreeHead ? `largest signed head seen:   size ${st.seenTreeHead.size}, root ${st.seenTreeHead.rootHash}` : 'largest signed head seen:   none (cannot be promoted without --force-promote)');
    if (st.seenTreeHead && st.leaves < st.seenTreeHead.size) lines.push(`WARNING: the replica is ${st.seenTreeHead.size - st.leaves} leaves behind the largest signed head seen`);
  }
  return lines.join('\n') + '\n';
}
