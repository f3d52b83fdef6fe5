// Promotion (failover): turns a secondary's replica into the log's primary,
// once, after proving that doing so cannot roll back or fork the log.
//
// Local checks, in order: the data directory holds a secondary replica of
// this very log key; a full fsck of the replica (every leaf rehashed, every
// subtree and stored tree head checked); the replica holds the largest tree
// head signed by the log that this node has seen and agrees with it. Then it
// signs a tree head over the whole replica (leaves beyond the last signed
// head may have been answered 200 by the old primary and must be kept), and
// stores it together with the role change and an epoch one above any it has
// followed, in one transaction: a crash leaves either the old secondary or
// the new primary, and running the promotion again is safe.
import { fsck } from '../storage/fsck.js';
import { signTreeHead, verifyTreeHead, type SignedTreeHead } from '../sigsum/treehead.js';
import type { Signer } from '../sigsum/crypto.js';
import { bytesEqual, toHex } from '../sigsum/types.js';
import type { HeadStore, LeafScanner, PromotionStore, StateCell, TreeReader } from '../storage/ports.js';
import type { Logger } from '../util/logger.js';

export class PromotionRefused extends Error {}

export interface PromoteOptions {
  /** Promote even if the replica is smaller than the last head seen, or none was seen. Never overrides an inconsistency. */
  force: boolean;
  now: number;
  logger: Logger;
  progress?: (done: number, total: number) => void;
}

export interface PromotionResult {
  epoch: number;
  treeHead: SignedTreeHead;
  seen?: SignedTreeHead;
}

export type PromotionPorts = PromotionStore & HeadStore & LeafScanner & Pick<TreeReader, 'rootAt' | 'size'>;

export async function promoteReplica(
  store: PromotionPorts,
  seenCell: StateCell<SignedTreeHead>,
  signer: Signer,
  opts: PromoteOptions,
): Promise<PromotionResult> {
  if (store.role !== 'secondary') {
    throw new PromotionRefused(
      `the data directory already holds a primary (epoch ${store.epoch}); start it without --promote`,
    );
  }
  if (toHex(signer.publicKey) !== store.logPublicKeyHex) {
    throw new PromotionRefused(
      `--key-file is not this log's key: the replica belongs to log key ${store.logPublicKeyHex}, the key file holds ${toHex(signer.publicKey)}`,
    );
  }
  opts.logger.info('promotion: checking every stored leaf and subtree hash of the replica', { leaves: store.size() });
  const check = fsck(store, signer.publicKey, opts.progress);
  if (!check.ok) throw new PromotionRefused(`the replica is damaged, refusing to promote it: ${check.problem}`);

  const size = store.size();
  const seen = readSeen(store, seenCell, signer);
  if (seen) {
    if (size >= seen.size) {
      const root = store.rootAt(seen.size);
      if (!bytesEqual(root, seen.rootHash)) {
        throw new PromotionRefused(
          `the replica disagrees with the log's signed tree head of size ${seen.size} (root ${toHex(root)}, signed ${toHex(seen.rootHash)}). ` +
            'Signing a tree head over this replica would fork the log; this cannot be forced. Promote another secondary.',
        );
      }
    } else if (!opts.force) {
      throw new PromotionRefused(
        `the replica has ${size} leaves but the log has signed a tree head of size ${seen.size}: promoting it would roll the log back. ` +
          'Promote the secondary with the largest replica instead (see "sigsum-log status").',
      );
    } else {
      opts.logger.error(
        'promotion forced although the replica is smaller than the last signed tree head: the log is rolled back',
        {
          replica_size: size,
          signed_size: seen.size,
        },
      );
    }
  } else if (!opts.force) {
    throw new PromotionRefused(
      'this node has never seen a tree head signed by the log, so it cannot show that its replica holds everything the log published. ' +
        "Let it replicate from the primary (or the log's public URL with --log-url) first, or pass --force-promote if you have checked by other means.",
    );
  }

  const latest = store.latestTreeHead();
  const treeHead = await signTreeHead(signer, { size, rootHash: store.rootAt(size) });
  if (latest && (latest.size > size || (latest.size === size && !bytesEqual(latest.rootHash, treeHead.rootHash)))) {
    throw new PromotionRefused(
      `the replica's stored tree head of size ${latest.size} does not fit the replica of size ${size}`,
    );
  }
  const epoch = store.epoch + 1;
  store.promote(treeHead, opts.now, epoch);
  opts.logger.info('promoted this replica to primary', { epoch, tree_size: size, last_seen_signed_size: seen?.size });
  return { epoch, treeHead, seen };
}

function readSeen(store: HeadStore, seenCell: StateCell<SignedTreeHead>, signer: Signer): SignedTreeHead | undefined {
  const sth = seenCell.get();
  const latest = store.latestTreeHead();
  if (sth === undefined) return latest;
  if (!verifyTreeHead(signer.publicKey, sth))
    throw new PromotionRefused('the stored last-seen tree head does not verify with the log key');
  return latest && latest.size > sth.size ? latest : sth;
}
