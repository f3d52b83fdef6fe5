// Builds a log of n leaves directly through the store (random 128-byte
// leaves, one signed tree head over all of them), for the read, catch-up and
// scale benchmarks. Leaf contents do not matter to those paths. The bulk load
// runs on its own connection with synchronous=OFF; the result is
// checkpointed and fsynced at the end.
import Database from 'better-sqlite3';
import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { leafHash } from '../../src/sigsum/merkle.js';
import { signTreeHeadSync } from '../../src/sigsum/treehead.js';
import type { SyncSigner } from '../../src/sigsum/crypto.js';
import { initDataDir } from '../../src/storage/datadir.js';
import type { NewLeaf } from '../../src/storage/ports.js';
import { DB_FILE, SqliteStore } from '../../src/storage/sqlite.js';

export async function buildLog(
  dir: string,
  signer: SyncSigner,
  n: number,
  progress?: (done: number) => void,
): Promise<{ seconds: number }> {
  const started = performance.now();
  (await initDataDir(dir, { role: 'primary', logPublicKey: signer.publicKey, signer, now: Date.now() })).close();
  const path = join(dir, DB_FILE);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const store = new SqliteStore(db, path);
  const batch = 16384;
  const buf = Buffer.alloc(128 * batch);
  for (let done = 0; done < n;) {
    const k = Math.min(batch, n - done);
    randomFillSync(buf, 0, 128 * k);
    const leaves: NewLeaf[] = [];
    for (let i = 0; i < k; i++) {
      const leaf = buf.subarray(128 * i, 128 * (i + 1));
      leaves.push({ leaf: Buffer.from(leaf), leafHash: leafHash(leaf) });
    }
    store.append(leaves);
    done += k;
    progress?.(done);
  }
  db.pragma('synchronous = FULL');
  store.storeTreeHead(signTreeHeadSync(signer, { size: n, rootHash: store.root() }), Date.now());
  db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  return { seconds: (performance.now() - started) / 1000 };
}
