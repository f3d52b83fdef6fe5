// A verification thread (verify-pool.ts): checks batches of Ed25519
// signatures with libsodium and answers one verdict byte per signature
// (1: libsodium accepts, so Go accepts; 0: the caller decides, see
// crypto.ts). Nothing else runs here.
import { parentPort } from 'node:worker_threads';
import { sodiumAccepts } from '../sigsum/crypto.js';
import { batchViews, type VerifyBatch, type VerifyVerdicts } from './verify-pool.js';

parentPort?.on('message', (b: VerifyBatch) => {
  const buffer = new ArrayBuffer(b.count);
  const verdicts = new Uint8Array(buffer);
  const { offsets, keys, sigs, msgs } = batchViews(b);
  for (let i = 0; i < b.count; i++) {
    const pub = keys.subarray(32 * i, 32 * i + 32);
    const sig = sigs.subarray(64 * i, 64 * i + 64);
    const msg = msgs.subarray(offsets[i], offsets[i + 1]);
    verdicts[i] = sodiumAccepts(pub, msg, sig) ? 1 : 0;
  }
  const answer: VerifyVerdicts = { id: b.id, verdicts };
  parentPort!.postMessage(answer, [buffer]);
});
