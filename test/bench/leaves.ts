// Distinct, validly signed add-leaf bodies for the load (a few submitter
// keys, as real traffic has), generated before any timing starts.
import { SeedSigner, sha256 } from '../../src/sigsum/crypto.js';
import { formatAddLeafRequest, leafOfRequest, signLeaf } from '../../src/sigsum/leaf.js';
import type { Hash } from '../../src/sigsum/types.js';

export interface BenchLeaf {
  body: string;
  leafHash: Hash;
}

export function makeLeaves(n: number, tag: string, keys = 16): BenchLeaf[] {
  const signers = Array.from({ length: keys }, (_, i) => new SeedSigner(sha256(Buffer.from(`bench submitter ${i}`))));
  const out: BenchLeaf[] = [];
  for (let i = 0; i < n; i++) {
    const signer = signers[i % keys];
    const message = sha256(Buffer.from(`${tag} ${i}`));
    const req = { message, signature: signLeaf(signer, message), publicKey: signer.publicKey };
    out.push({ body: formatAddLeafRequest(req), leafHash: leafOfRequest(req).leafHash });
  }
  return out;
}
