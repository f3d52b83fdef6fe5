// RFC 6962 / RFC 9162 Merkle tree: hashing, proof generation over any store of
// complete-subtree hashes, proof verification, and the compact range (the
// tree's right edge) that lets the sequencer append without reading the tree.
//
// Subtree addressing: node (level, index) covers leaves
// [index·2^level, (index+1)·2^level); level 0 is the leaf hash. Only complete
// (perfect) subtrees are ever stored, so every stored hash is immutable.
import { createHash, hash } from 'node:crypto';
import { asHash, bytesEqual } from './types.js';
import { sodium } from './sodium.js';
export const EMPTY_ROOT = asHash(createHash('sha256').digest());
// One-shot hashing of a reused scratch buffer: several times cheaper than a
// Hash object per call, and this runs once per leaf and per tree node.
// libsodium's one-shot call costs less than node:crypto's per call here
// (1.5 vs 2.3 µs for a leaf, 0.7 vs 1.6 µs for a node, measured on the
// benchmark machine), and every served leaf is hashed (checked-reads.ts).
const leafInput = Buffer.alloc(1 + 128);
const nodeInput = Buffer.alloc(1 + 64);
nodeInput[0] = 1;
function digestWith(lib) {
    if (!lib)
        return input => asHash(hash('sha256', input, 'buffer'));
    return input => {
        const out = Buffer.allocUnsafe(32);
        lib.crypto_hash_sha256(out, input);
        return asHash(out);
    };
}
const digest = digestWith(sodium);
export function leafHash(leaf) {
    if (leaf.length !== 128)
        return asHash(createHash('sha256')
            .update(Buffer.from([0]))
            .update(leaf)
            .digest());
    leafInput.set(leaf, 1);
    return digest(leafInput);
}
export function nodeHash(left, right) {
    if (left.length !== 32 || right.length !== 32)
        return asHash(createHash('sha256')
            .update(Buffer.from([1]))
            .update(left)
            .update(right)
            .digest());
    nodeInput.set(left, 1);
    nodeInput.set(right, 33);
    return digest(nodeInput);
}
/** Largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n) {
    let k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}
function isPow2(n) {
    return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}
/**
 * Hash of the leaf range [start, end), where start is a multiple of the
 * largest power of two <= end-start (true for every range a proof needs).
 * Built from at most log2(n) stored complete subtrees.
 */
export function rangeHash(read, start, end) {
    const n = end - start;
    if (n <= 0)
        throw new Error('empty range');
    if (isPow2(n))
        return read(Math.log2(n), start / n);
    // Decompose into complete subtrees, largest first, then fold right to left.
    const parts = [];
    let pos = start;
    let rest = n;
    while (rest > 0) {
        let size = 1;
        while (size * 2 <= rest)
            size *= 2;
        parts.push(read(Math.log2(size), pos / size));
        pos += size;
        rest -= size;
    }
    let h = parts[parts.length - 1];
    for (let i = parts.length - 2; i >= 0; i--)
        h = nodeHash(parts[i], h);
    return h;
}
export function rootHash(read, size) {
    return size === 0 ? EMPTY_ROOT : rangeHash(read, 0, size);
}
/**
 * Root of a tree of `size` leaves in which the hashes of leaves [start,
 * start + leafHashes.length) are given and every other complete subtree is
 * read: O(range + log n) hashes. Equal to the tree's root exactly when the
 * given leaves are the tree's leaves at those indices (a range proof).
 */
export function rootFromRange(read, size, start, leafHashes) {
    const end = start + leafHashes.length;
    if (start < 0 || end > size || leafHashes.length === 0)
        throw new Error(`range [${start}, ${end}) outside tree of size ${size}`);
    const mth = (a, b) => {
        const n = b - a;
        if (n === 1)
            return a >= start && a < end ? leafHashes[a - start] : read(0, a);
        if ((b <= start || a >= end) && isPow2(n) && a % n === 0)
            return read(Math.log2(n), a / n);
        const k = splitPoint(n);
        return nodeHash(mth(a, a + k), mth(a + k, b));
    };
    return mth(0, size);
}
/** RFC 9162 §2.1.3.1 PATH(m, D[n]): audit path of leaf `index` in a tree of `size`, leaf-nearest first. */
export function inclusionProof(read, index, size) {
    if (index < 0 || index >= size)
        throw new Error(`index ${index} outside tree of size ${size}`);
    const path = [];
    const rec = (m, start, n) => {
        if (n === 1)
            return;
        const k = splitPoint(n);
        if (m < k) {
            rec(m, start, k);
            path.push(rangeHash(read, start + k, start + n));
        }
        else {
            rec(m - k, start + k, n - k);
            path.push(rangeHash(read, start, start + k));
        }
    };
    rec(index, 0, size);
    return path;
}
/** RFC 9162 §2.1.4.1 PROOF(m, D[n]) for 0 < m < n. */
export function consistencyProof(read, oldSize, newSize) {
    if (!(oldSize > 0 && oldSize < newSize))
        throw new Error(`no consistency proof from ${oldSize} to ${newSize}`);
    const path = [];
    const sub = (m, start, n, complete) => {
        if (m === n) {
            if (!complete)
                path.push(rangeHash(read, start, start + n));
            return;
        }
        const k = splitPoint(n);
        if (m <= k) {
            sub(m, start, k, complete);
            path.push(rangeHash(read, start + k, start + n));
        }
        else {
            sub(m - k, start + k, n - k, false);
            path.push(rangeHash(read, start, start + k));
        }
    };
    sub(oldSize, 0, newSize, true);
    return path;
}
/** RFC 9162 §2.1.3.2 inclusion verification. */
export function verifyInclusion(leaf, index, size, path, root) {
    if (index >= size || index < 0)
        return false;
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    for (const p of path) {
        if (sn === 0)
            return false;
        if (fn % 2 === 1 || fn === sn) {
            r = nodeHash(p, r);
            if (fn % 2 === 0) {
                while (fn % 2 === 0 && fn !== 0) {
                    fn = Math.floor(fn / 2);
                    sn = Math.floor(sn / 2);
                }
            }
        }
        else {
            r = nodeHash(r, p);
        }
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
    }
    return sn === 0 && bytesEqual(r, root);
}
/** RFC 9162 §2.1.4.2 consistency verification; old == new needs equal roots and an empty proof. */
export function verifyConsistency(oldSize, newSize, oldRoot, newRoot, path) {
    if (oldSize > newSize)
        return false;
    if (oldSize === newSize)
        return path.length === 0 && bytesEqual(oldRoot, newRoot);
    if (oldSize === 0)
        return path.length === 0;
    if (path.length === 0)
        return false;
    let proof = path;
    if (isPow2(oldSize))
        proof = [oldRoot, ...path];
    let fn = oldSize - 1;
    let sn = newSize - 1;
    while (fn % 2 === 1) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
    }
    let fr = proof[0];
    let sr = proof[0];
    for (const c of proof.slice(1)) {
        if (sn === 0)
            return false;
        if (fn % 2 === 1 || fn === sn) {
            fr = nodeHash(c, fr);
            sr = nodeHash(c, sr);
            if (fn % 2 === 0) {
                while (fn % 2 === 0 && fn !== 0) {
                    fn = Math.floor(fn / 2);
                    sn = Math.floor(sn / 2);
                }
            }
        }
        else {
            sr = nodeHash(sr, c);
        }
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
    }
    return sn === 0 && bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot);
}
/**
 * The right edge of a tree: the roots of its complete subtrees, largest
 * first. Appending a leaf yields the completed subtrees to store, without
 * reading anything back.
 */
export class CompactRange {
    size_;
    peaks;
    levels;
    constructor(size_, peaks, // peaks[i] covers a subtree of level levels[i]
    levels) {
        this.size_ = size_;
        this.peaks = peaks;
        this.levels = levels;
    }
    static empty() {
        return new CompactRange(0, [], []);
    }
    /** Loads the edge of a tree of `size` leaves from stored complete subtrees: O(log n) reads. */
    static load(read, size) {
        const peaks = [];
        const levels = [];
        let pos = 0;
        for (let level = 52; level >= 0; level--) {
            const w = 2 ** level;
            if (size - pos >= w) {
                peaks.push(read(level, pos / w));
                levels.push(level);
                pos += w;
            }
        }
        return new CompactRange(size, peaks, levels);
    }
    /** The edge of a tree of `size` leaves from its peaks (largest first), as peakHashes() returns them. */
    static fromPeaks(size, peaks) {
        const levels = [];
        for (let level = 52; level >= 0; level--)
            if (Math.floor(size / 2 ** level) % 2 === 1)
                levels.push(level);
        if (levels.length !== peaks.length)
            throw new Error(`a tree of ${size} leaves has ${levels.length} peaks, not ${peaks.length}`);
        return new CompactRange(size, [...peaks], levels);
    }
    get size() {
        return this.size_;
    }
    /** The roots of the complete subtrees of the edge, largest first. */
    peakHashes() {
        return [...this.peaks];
    }
    clone() {
        return new CompactRange(this.size_, [...this.peaks], [...this.levels]);
    }
    /**
     * Appends a leaf hash; calls emit(level, index, hash) for the leaf and for
     * every complete subtree the append closes.
     */
    append(leaf, emit) {
        const index = this.size_;
        emit?.(0, index, leaf);
        let h = leaf;
        let level = 0;
        while (this.levels.length > 0 && this.levels[this.levels.length - 1] === level) {
            h = nodeHash(this.peaks.pop(), h);
            this.levels.pop();
            level++;
            emit?.(level, Math.floor(index / 2 ** level), h);
        }
        this.peaks.push(h);
        this.levels.push(level);
        this.size_++;
    }
    root() {
        if (this.peaks.length === 0)
            return EMPTY_ROOT;
        let h = this.peaks[this.peaks.length - 1];
        for (let i = this.peaks.length - 2; i >= 0; i--)
            h = nodeHash(this.peaks[i], h);
        return h;
    }
}
