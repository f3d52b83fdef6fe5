// Limits of this machine, measured in the same run as the servers: Ed25519
// verifications per second on one core (OpenSSL through node:crypto with a
// cached key, and libsodium through sodium-native) and batched
// durable SQLite inserts per second (1024 rows per transaction, WAL,
// synchronous=FULL, a leaves-like table).
import Database from 'better-sqlite3';
import { randomFillSync } from 'node:crypto';
import { createPublicKey, verify as opensslVerify } from 'node:crypto';
import { SeedSigner, sha256, sodiumAccepts } from '../../src/sigsum/crypto.js';

export function verifyRoofline(kind: 'openssl' | 'libsodium', seconds = 1): number {
  const s = new SeedSigner(sha256(Buffer.from('roofline')));
  const msg = Buffer.alloc(56, 7);
  const sig = s.sign(msg);
  const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), s.publicKey]);
  const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  const one =
    kind === 'openssl' ? () => opensslVerify(null, msg, key, sig) : () => sodiumAccepts(s.publicKey, msg, sig);
  if (!one()) throw new Error(`${kind} rejects a valid signature`);
  let n = 0;
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 100; i++) one();
    n += 100;
  }
  return n / seconds;
}

export function sqliteRoofline(path: string, rows = 200_000): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'CREATE TABLE t(idx INTEGER PRIMARY KEY, h BLOB NOT NULL, leaf BLOB NOT NULL); CREATE UNIQUE INDEX th ON t(h);',
  );
  const ins = db.prepare('INSERT INTO t(idx, h, leaf) VALUES (?, ?, ?)');
  const leaf = Buffer.alloc(128);
  const h = Buffer.alloc(32);
  const started = performance.now();
  for (let done = 0; done < rows; done += 1024) {
    db.transaction(() => {
      for (let i = done; i < done + 1024; i++) {
        randomFillSync(h);
        ins.run(i, Buffer.from(h), leaf);
      }
    })();
  }
  const secs = (performance.now() - started) / 1000;
  db.close();
  return rows / secs;
}
