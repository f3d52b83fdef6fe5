import { makeLeaves } from './leaves.js';
import { Load, closedLoop } from './http-load.js';
const url = process.argv[2];
const leaves = makeLeaves(Number(process.argv[3] ?? 20000), 'prof' + Date.now());
const load = new Load(64);
const secs = await closedLoop(leaves, 64, async l => { await load.request(url + '/add-leaf', 'POST', l.body); });
console.log((leaves.length / secs).toFixed(0), 'req/s');
load.close();
process.exit(0);
