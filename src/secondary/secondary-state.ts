// The body of get-secondary-state (src/sigsum/secondary-state.ts) for this
// secondary: read from its own state, nothing computed from storage beyond
// the in-memory right edge.
import { formatSecondaryState } from '../sigsum/secondary-state.js';
import type { TreeReader } from '../storage/ports.js';
import type { SecondaryLog } from './secondary-log.js';

export function secondaryStateBody(log: SecondaryLog, tree: Pick<TreeReader, 'size' | 'root'>): string {
  return formatSecondaryState({
    epoch: log.fence.epoch,
    replica: { size: tree.size(), rootHash: tree.root() },
    seen: log.heads.seenTreeHead(),
  });
}
