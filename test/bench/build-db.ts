// Builds a log of n leaves directly through the store (random 128-byte
// leaves, one signed tree head over all of them), for the read, catch-up and
// scale benchmarks. Leaf contents do not matter to those paths.
import { randomFillSync } from 'node:crypto';
import { leafHash } from '../../src/sigsum/merkle.js';
import { signTreeHead } from '../../src/sigsum/treehead.js';
import type { Signer } from '../../src/sigsum/crypto.js';
import { initDataDir } from '../../src/storage/datadir.js';
import type { NewLeaf } from '../../src/storage/store.js';

export function buildLog(dir: string, signer: Signer, n: number, progress?: (done: number) => void): { seconds: number } {
  const started = performance.now();
  const dd = initDataDir(dir, { role: 'primary', logPublicKey: signer.publicKey, signer, now: Date.now() });
  const db = dd.store.rawDatabase();
  db.pragma('synchronous = OFF'); // a bulk load; the result is checkpointed and fsynced below
  const batch = 16384;
  const buf = Buffer.alloc(128 * batch);
  for (let done = 0; done < n; ) {
    const k = Math.min(batch, n - done);
    randomFillSync(buf, 0, 128 * k);
    const leaves: NewLeaf[] = [];
    for (let i = 0; i < k; i++) {
      const leaf = buf.subarray(128 * i, 128 * (i + 1));
      leaves.push({ leaf: Buffer.from(leaf), leafHash: leafHash(leaf) });
    }
    dd.store.append(leaves);
    done += k;
    progress?.(done);
  }
  db.pragma('synchronous = FULL');
  dd.store.storeTreeHead(signTreeHead(signer, { size: n, rootHash: dd.store.edgeRoot() }), Date.now());
  db.pragma('wal_checkpoint(TRUNCATE)');
  dd.close();
  return { seconds: (performance.now() - started) / 1000 };
}
