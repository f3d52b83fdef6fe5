// A secondary's fence: the highest primary epoch it knows of, learned from
// the primary it follows (the epoch header of every internal answer) or from
// a promoted primary's signed announcement. Once it knows epoch E, it never
// again copies from, or signs a replica head for, a primary of a lower epoch,
// and says so in its log (once per offending epoch). The epoch is stored
// durably before it is relied on.
import { verifyEpoch } from '../sigsum/epoch.js';
/** The primary is older than one this node already knows: a transient refusal, retried (it may be re-pointed). */
export class StaleEpoch extends Error {
}
export class Fence {
    store;
    logKey;
    logger;
    primaryUrl;
    refusedLogged = new Set(); // epochs whose refusal was logged
    constructor(store, logKey, logger, primaryUrl) {
        this.store = store;
        this.logKey = logKey;
        this.logger = logger;
        this.primaryUrl = primaryUrl;
    }
    get epoch() {
        return this.store.epoch;
    }
    /** The followed primary says it is of `epoch`: refuse an older one, record a newer one. */
    followed(epoch) {
        if (epoch < this.store.epoch) {
            throw new StaleEpoch(`refusing to follow a primary of epoch ${epoch}: this node already knows a primary of epoch ${this.store.epoch}, which was promoted after it (an older primary must never overtake a newer one)`);
        }
        this.raise(epoch, 'following a primary of a new epoch', { primary: this.primaryUrl });
    }
    /** A promoted primary's announcement (POST announce-epoch). */
    announce(a) {
        if (!verifyEpoch(this.logKey, a))
            return { kind: 'bad-signature' };
        if (a.epoch < this.store.epoch)
            return { kind: 'stale', epoch: this.store.epoch };
        this.raise(a.epoch, 'a promoted primary announced its epoch: primaries of lower epochs are refused from now on', {});
        return { kind: 'accepted', epoch: this.store.epoch };
    }
    /** Whether a primary that says it is of `epoch` (0 without a header, as log-go) may have a signed replica head. */
    allows(epoch) {
        if (epoch >= this.store.epoch)
            return true;
        if (!this.refusedLogged.has(epoch)) {
            this.refusedLogged.add(epoch);
            this.logger.warning('refusing get-secondary-tree-head to a primary of an older epoch (fenced)', {
                requester_epoch: epoch,
                epoch: this.store.epoch,
            });
        }
        return false;
    }
    raise(epoch, msg, fields) {
        if (epoch <= this.store.epoch)
            return;
        this.store.raiseEpoch(epoch);
        this.logger.info(msg, { ...fields, epoch });
    }
}
