// The body of get-secondary-state (src/sigsum/secondary-state.ts) for this
// secondary: read from its own state, nothing computed from storage beyond
// the in-memory right edge.
import { formatSecondaryState } from '../sigsum/secondary-state.js';
export function secondaryStateBody(log, tree) {
    return formatSecondaryState({
        epoch: log.fence.epoch,
        replica: { size: tree.size(), rootHash: tree.root() },
        seen: log.heads.seenTreeHead(),
    });
}
