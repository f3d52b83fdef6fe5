// The tree heads signed by the log key that a secondary sees, checked
// against its replica:
//   seen      - the largest signed head seen (possibly beyond the replica);
//               it must never shrink, a size never gets a second root, and
//               promotion needs it; stored durably before it is relied on.
//   published - the newest published head the replica holds; it bounds the
//               secondary's public reads; stored in tree_heads and state.
// Any disagreement is a Divergence: replication halts.
// Owned by the SecondaryLog's poll loop; HTTP handlers only read.
import { formatCosignedTreeHead, verifyTreeHead, } from '../sigsum/treehead.js';
import { bytesEqual, toHex } from '../sigsum/types.js';
/** A mismatch between the primary and this replica: replication stops. */
export class Divergence extends Error {
}
export class LogHeads {
    tree;
    heads;
    cells;
    logKey;
    clock;
    seen;
    published;
    publishedBody;
    constructor(tree, heads, cells, logKey, clock, logger) {
        this.tree = tree;
        this.heads = heads;
        this.cells = cells;
        this.logKey = logKey;
        this.clock = clock;
        const seen = cells.seen.get();
        if (seen) {
            if (!verifyTreeHead(logKey, seen))
                throw new Error('the stored last-seen tree head does not verify with the log key');
            this.seen = seen;
        }
        const cth = cells.published.get();
        if (cth) {
            if (verifyTreeHead(logKey, cth) && cth.size <= tree.size() && bytesEqual(tree.rootAt(cth.size), cth.rootHash))
                this.setPublished(cth, false);
            else
                logger.warning('ignoring the stored published tree head: it does not match the replica', { size: cth.size });
        }
        if (!this.published) {
            const latest = heads.latestTreeHead();
            if (latest)
                this.setPublished({ ...latest, cosignatures: [] }, false);
        }
    }
    seenTreeHead() {
        return this.seen;
    }
    publishedTreeHead() {
        return this.published;
    }
    /** The get-tree-head body as the primary served it, or undefined before any verified head. */
    publishedTreeHeadBody() {
        return this.publishedBody;
    }
    /** A tree head signed by the log key: checked against the replica and against the largest one seen. */
    observeSigned(sth, latest = true) {
        if (!verifyTreeHead(this.logKey, sth))
            throw new Divergence(`the primary serves a tree head of size ${sth.size} that does not verify with the log key ${toHex(this.logKey)}`);
        const seen = this.seen;
        if (seen) {
            // The published head may trail the latest signed one; only the latter must never shrink.
            if (latest && sth.size < seen.size)
                throw new Divergence(`the log signed a tree head of size ${sth.size} after one of size ${seen.size}: it rolled back`);
            if (sth.size === seen.size && !bytesEqual(sth.rootHash, seen.rootHash))
                throw new Divergence(`the log signed two different roots for size ${sth.size}: a fork`);
        }
        this.checkAgainstReplica(sth);
        if (!seen || sth.size > seen.size) {
            this.cells.seen.set(sth);
            this.seen = sth;
        }
    }
    /** The log's published head: served from now on once the replica holds it. */
    observePublished(cth, body) {
        this.observeSigned(cth, false);
        if (cth.size > this.tree.size())
            return; // not replicated yet: keep serving the previous head
        if (this.published && cth.size < this.published.size)
            return;
        if (body === this.publishedBody)
            return;
        if (!this.published || cth.size > this.published.size)
            this.heads.storeTreeHead(cth, this.clock.now());
        this.setPublished(cth, true, body);
    }
    setPublished(cth, persist, body = formatCosignedTreeHead(cth)) {
        if (persist)
            this.cells.published.set(cth);
        this.published = cth;
        this.publishedBody = body;
    }
    checkAgainstReplica(th) {
        if (th.size > this.tree.size())
            return;
        const root = this.tree.rootAt(th.size);
        if (!bytesEqual(root, th.rootHash))
            throw new Divergence(`the log signed root ${toHex(th.rootHash)} for size ${th.size}, but this replica's root at that size is ${toHex(root)}`);
    }
}
