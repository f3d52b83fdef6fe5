import { parseAddLeafRequest, leafOfRequest, verifyLeafSignatureAsync } from '../../src/sigsum/leaf.js';
import { makeLeaves } from './leaves.js';
const leaves = makeLeaves(20000, 'x');
const reqs = leaves.map(l => parseAddLeafRequest(Buffer.from(l.body)));
const t = performance.now();
let inflight = 0, next = 0, mainTime = 0;
await new Promise<void>(done => {
  const pump = () => {
    while (inflight < 64 && next < reqs.length) {
      const r = reqs[next++];
      inflight++;
      const s = performance.now();
      verifyLeafSignatureAsync(r.publicKey, leafOfRequest(r).checksum, r.signature).then(() => { inflight--; if (next >= reqs.length && inflight === 0) done(); else setImmediate(pump); });
      mainTime += performance.now() - s;
    }
  };
  pump();
});
console.log('steady 64 in flight: wall', (performance.now() - t).toFixed(0), 'ms; main-thread time in verify calls', mainTime.toFixed(0), 'ms');
