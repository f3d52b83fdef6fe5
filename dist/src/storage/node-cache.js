// Complete-subtree hashes of the upper levels kept in memory once read: they
// never change, and every proof reads them. Stored compactly per level in
// growable buffers (32 bytes per node plus a presence bit), so the cache
// costs no garbage-collector work: at 10^7 leaves, levels >= 5 take about
// 20 MB in total.
import { asHash } from '../sigsum/types.js';
export class NodeCache {
    minLevel;
    levels = [];
    constructor(minLevel) {
        this.minLevel = minLevel;
    }
    get(level, index) {
        const l = this.levels[level];
        if (!l || index >= l.present.length * 8 || !(l.present[index >> 3] & (1 << (index & 7))))
            return undefined;
        return asHash(l.hashes.subarray(index * 32, index * 32 + 32));
    }
    set(level, index, hash) {
        let l = this.levels[level];
        const needBits = index + 1;
        if (!l || l.present.length * 8 < needBits) {
            const cap = Math.max(64, 2 ** Math.ceil(Math.log2(needBits)));
            const hashes = Buffer.alloc(cap * 32);
            const present = new Uint8Array(cap / 8);
            if (l) {
                l.hashes.copy(hashes);
                present.set(l.present);
            }
            l = this.levels[level] = { hashes, present };
        }
        l.hashes.set(hash, index * 32);
        l.present[index >> 3] |= 1 << (index & 7);
    }
}
