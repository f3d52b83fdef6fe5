// Fingerprints of leaf blocks that get-leaves has already proven against the
// stored tree (checked-reads.ts): a CRC-32 over the raw leaves of each block
// of 4, remembered after the block's Merkle check passed. A later read of the
// same block compares the CRC of what it read with the remembered one (0.2 µs
// a leaf instead of a SHA-256 of every leaf and node), and falls back to the
// Merkle check on any difference. A random change to the stored bytes (a bit
// flip, rows swapped, a row lost) passes unnoticed with probability 2^-32 per
// read; the scrubber re-hashes everything regardless. Bounded memory: pages of
// 65,536 blocks (256 KiB, 262,144 leaves), at most MAX_PAGES of them, least
// recently used first out.
import { crc32 } from 'node:zlib';
const PAGE_BLOCKS = 65536;
const MAX_PAGES = 64; // 16 MiB: fingerprints for about 16.7 million leaves
export class VerifiedBlocks {
    maxPages;
    pages = new Map(); // owned by the caller's one thread; Map order = recency
    constructor(maxPages = MAX_PAGES) {
        this.maxPages = maxPages;
    }
    /** Fingerprint of a block's leaves (never 0, which marks an unknown block). */
    static fingerprint(leaves, from, count) {
        let c = 0;
        for (let i = from; i < from + count; i++)
            c = crc32(leaves[i], c);
        return c === 0 ? 1 : c;
    }
    /** True iff `block` was proven with exactly this fingerprint. */
    has(block, fingerprint) {
        const page = this.pages.get(Math.floor(block / PAGE_BLOCKS));
        return page !== undefined && page[block % PAGE_BLOCKS] === fingerprint;
    }
    remember(block, fingerprint) {
        const key = Math.floor(block / PAGE_BLOCKS);
        let page = this.pages.get(key);
        if (page)
            this.pages.delete(key);
        else {
            page = new Uint32Array(PAGE_BLOCKS);
            if (this.pages.size >= this.maxPages)
                this.pages.delete(this.pages.keys().next().value);
        }
        this.pages.set(key, page);
        page[block % PAGE_BLOCKS] = fingerprint;
    }
    /** Forgets everything (after damage was found, every block is proven again). */
    clear() {
        this.pages.clear();
    }
}
