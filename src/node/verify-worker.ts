// A verification thread (verify-pool.ts): checks batches of Ed25519
// signatures with libsodium and answers one verdict byte per signature
// (1: libsodium accepts, so Go accepts; 0: the caller decides, see
// crypto.ts). Nothing else runs here.
import { parentPort } from 'node:worker_threads';
import { sodiumAccepts } from '../sigsum/crypto.js';
import type { VerifyBatch, VerifyVerdicts } from './verify-pool.js';

parentPort?.on('message', (b: VerifyBatch) => {
  const buffer = new ArrayBuffer(b.count);
  const verdicts = new Uint8Array(buffer);
  for (let i = 0; i < b.count; i++) {
    const pub = b.keys.subarray(32 * i, 32 * i + 32);
    const sig = b.sigs.subarray(64 * i, 64 * i + 64);
    const msg = b.msgs.subarray(b.offsets[i], b.offsets[i + 1]);
    verdicts[i] = sodiumAccepts(pub, msg, sig) ? 1 : 0;
  }
  const answer: VerifyVerdicts = { id: b.id, verdicts };
  parentPort!.postMessage(answer, [buffer]);
});
