// Promotion (failover): turns a secondary's replica into the log's primary,
// once, after showing that doing so cannot roll back or fork the log.
//
// 1. Local checks: the data directory holds a secondary replica of this very
//    log key; a full fsck of the replica (every leaf rehashed, every subtree
//    and stored tree head checked); the replica agrees with the largest tree
//    head signed by the log that this node has seen, and holds it.
// 2. It asks before it signs (promotion-survey.ts): the other secondaries,
//    the policy's witnesses and the old primary. It refuses when the old
//    primary still answers (two primaries), when any source knows a larger
//    tree than this replica holds (naming it, and "promote <that secondary>
//    instead" for a secondary), and when too few answered to be sure (judge()
//    below states the rule).
// 3. It signs a tree head over the whole replica (leaves beyond the last
//    signed head may have been answered 200 by the old primary and must be
//    kept) and stores it together with the role change and an epoch above
//    every epoch it heard of, in one transaction: a crash leaves either the
//    old secondary or the new primary, and running the promotion again is safe.
//
// --force-promote --expect-size N --expect-root HEX replaces step 2's
// refusals (they are logged as errors) by the operator's own finding: it
// promotes only a replica of exactly N leaves whose root is HEX. It never
// overrides step 1, a signed head larger than the replica, or an old primary
// that still answers.
import { fsck } from '../storage/fsck.js';
import { quorumSatisfied } from '../sigsum/policy.js';
import { signTreeHead, verifyTreeHead } from '../sigsum/treehead.js';
import { bytesEqual, toHex } from '../sigsum/types.js';
export class PromotionRefused extends Error {
}
export async function promoteReplica(store, seenCell, signer, opts) {
    if (store.role !== 'secondary') {
        throw new PromotionRefused(`the data directory already holds a primary (epoch ${store.epoch}); start it without --promote`);
    }
    if (toHex(signer.publicKey) !== store.logPublicKeyHex) {
        throw new PromotionRefused(`--key-file is not this log's key: the replica belongs to log key ${store.logPublicKeyHex}, the key file holds ${toHex(signer.publicKey)}`);
    }
    opts.logger.info('promotion: checking every stored leaf and subtree hash of the replica', { leaves: store.size() });
    const check = fsck(store, signer.publicKey, opts.progress);
    if (!check.ok)
        throw new PromotionRefused(`the replica is damaged, refusing to promote it: ${check.problem}`);
    const size = store.size();
    const root = store.rootAt(size);
    const seen = readSeen(store, seenCell, signer);
    if (seen && size >= seen.size && !bytesEqual(store.rootAt(seen.size), seen.rootHash)) {
        throw new PromotionRefused(`the replica disagrees with the log's signed tree head of size ${seen.size} (root ${toHex(store.rootAt(seen.size))}, signed ${toHex(seen.rootHash)}). ` +
            'Signing a tree head over this replica would fork the log; this cannot be forced. Promote another secondary.');
    }
    if (seen && size < seen.size) {
        throw new PromotionRefused(`this replica holds ${size} leaves but the log has signed a tree head of size ${seen.size}: promoting it would roll the log back, and this cannot be forced. ` +
            'Promote the secondary with the largest replica instead (see "sigsum-log status" on each).');
    }
    if (opts.force) {
        if (opts.force.size !== size || !bytesEqual(opts.force.root, root))
            throw new PromotionRefused(`--expect-size ${opts.force.size} --expect-root ${toHex(opts.force.root)} do not describe this replica: it holds ${size} leaves with root ${toHex(root)}. Nothing was changed`);
    }
    const probeHead = seen ?? store.latestTreeHead() ?? (await signTreeHead(signer, { size, rootHash: root }));
    opts.logger.info('promotion: asking the other secondaries, the witnesses and the old primary', {});
    const answers = await opts.survey(probeHead);
    const verdict = judge({ size, seenSize: seen?.size, epoch: store.epoch }, answers, opts.policy, opts.publishGated);
    for (const line of verdict.heard)
        opts.logger.info(`promotion: ${line}`, {});
    if (verdict.fatal.length > 0)
        throw new PromotionRefused(verdict.fatal.join('; '));
    if (verdict.refusals.length > 0) {
        if (!opts.force)
            throw new PromotionRefused(verdict.refusals.join('; '));
        for (const r of verdict.refusals)
            opts.logger.error('promotion forced (--force-promote) past a refusal', { refusal: r });
    }
    for (const w of verdict.warnings)
        opts.logger.warning(`promotion: ${w}`, {});
    const latest = store.latestTreeHead();
    const treeHead = await signTreeHead(signer, { size, rootHash: root });
    if (latest && (latest.size > size || (latest.size === size && !bytesEqual(latest.rootHash, treeHead.rootHash)))) {
        throw new PromotionRefused(`the replica's stored tree head of size ${latest.size} does not fit the replica of size ${size}`);
    }
    store.promote(treeHead, opts.now, verdict.epoch);
    opts.logger.info('promoted this replica to primary', {
        epoch: verdict.epoch,
        tree_size: size,
        root_hash: toHex(root),
        last_seen_signed_size: seen?.size,
        forced: opts.force ? true : undefined,
    });
    return { epoch: verdict.epoch, treeHead, seen };
}
/**
 * The rule. Promotion is refused when
 *   - an old primary URL answers at all (two primaries would fork the log);
 *   - a secondary holds, or has seen a signed head of, more leaves than this
 *     replica; a witness has cosigned a larger tree;
 *   - it cannot be sure that nothing larger was signed or published: it is
 *     sure when every other configured secondary answered (a head is signed
 *     only once a secondary holds it, so the largest replica bounds every
 *     signed head), or when the log publishes only what the witness policy's
 *     quorum cosigned and the witnesses that did not answer (or have no URL)
 *     cannot form that quorum on their own (a witness's size never shrinks,
 *     so one that answered with a size within this replica never cosigned
 *     more). With no other secondary configured and no witness that
 *     answered, this node must at least have seen a signed head itself.
 */
export function judge(local, s, policy, publishGated) {
    const v = { fatal: [], refusals: [], warnings: [], heard: [], epoch: local.epoch + 1 };
    for (const p of s.oldPrimaries) {
        if (p.answered !== undefined)
            v.fatal.push(`the old primary at ${p.url} still answers (${p.answered}): two primaries would fork the log. Stop it, and keep it stopped, before promoting`);
        else
            v.heard.push(`old primary ${p.url} does not answer (${p.why})`);
    }
    let largest;
    const silentSecondaries = [];
    for (const { url, answer } of s.secondaries) {
        if (!answer.ok) {
            silentSecondaries.push(`${url} (${answer.why})`);
            continue;
        }
        const a = answer.value;
        v.heard.push(`secondary ${url}: replica of ${a.replicaSize} leaves, last signed head seen ${a.seenSize ?? 'none'}, epoch ${a.epoch}`);
        v.epoch = Math.max(v.epoch, a.epoch + 1);
        const knows = Math.max(a.replicaSize, a.seenSize ?? 0);
        if (knows > local.size && (!largest || knows > largest.size))
            largest = { url, size: knows };
    }
    if (largest) {
        const a = s.secondaries.find(x => x.url === largest.url).answer;
        const detail = a.ok
            ? `holds a replica of ${a.value.replicaSize} leaves${a.value.seenSize !== undefined ? ` and has seen a signed tree head of size ${a.value.seenSize}` : ''}`
            : '';
        v.refusals.push(`secondary ${largest.url} ${detail}, but this replica holds only ${local.size}: promoting this node would roll the log back. Promote ${largest.url} instead`);
    }
    const silentWitnesses = new Set();
    const silentNames = [];
    for (const w of policy?.witnesses ?? []) {
        const asked = s.witnesses.find(x => x.keyHash === w.keyHash);
        if (!asked) {
            silentWitnesses.add(w.keyHash);
            silentNames.push(`${w.name} (no URL in the policy)`);
        }
        else if (!asked.answer.ok) {
            silentWitnesses.add(w.keyHash);
            silentNames.push(`${w.name} at ${asked.url} (${asked.answer.why})`);
        }
        else {
            v.heard.push(`witness ${w.name} at ${asked.url}: latest cosigned size ${asked.answer.value.size}`);
            if (asked.answer.value.size > local.size)
                v.refusals.push(`witness ${w.name} at ${asked.url} has cosigned a tree of size ${asked.answer.value.size}, but this replica holds only ${local.size}: promoting this node would roll the log back`);
        }
    }
    const secondariesSure = silentSecondaries.length === 0;
    const witnessesSure = policy !== undefined && publishGated && !quorumSatisfied(policy.quorum, silentWitnesses);
    const anyAnswer = s.secondaries.some(x => x.answer.ok) || s.witnesses.some(x => x.answer.ok);
    if (!secondariesSure && !witnessesSure) {
        v.refusals.push(`cannot be sure that no larger tree head was signed or published: no answer from secondaries ${silentSecondaries.join(', ')}` +
            (policy && publishGated
                ? `, and the witnesses that did not answer could form the policy's quorum on their own (${silentNames.join(', ') || 'none'})`
                : ' and no witness policy that gates publication to rely on instead') +
            ". Bring them back and try again, or establish the log's size and root by other means and use --force-promote --expect-size N --expect-root HEX");
    }
    else if (s.secondaries.length === 0 && !witnessesSure && !anyAnswer && local.seenSize === undefined) {
        v.refusals.push('this node has never seen a tree head signed by the log, and no other secondary or witness is configured to ask, so nothing shows that this replica holds everything the log published. ' +
            'Configure the other secondaries (--secondary-url) and the witness policy, or use --force-promote --expect-size N --expect-root HEX');
    }
    if (s.secondaries.length === 0)
        v.warnings.push('no other secondary is configured: this replica is taken to be the only one. If the old primary had other secondaries, list them with --secondary-url so they are asked');
    if (s.oldPrimaries.length === 0)
        v.warnings.push('no --old-primary-url given: not checked that the old primary is down. Make sure it is, and that it stays down');
    return v;
}
function readSeen(store, seenCell, signer) {
    const sth = seenCell.get();
    const latest = store.latestTreeHead();
    if (sth === undefined)
        return latest;
    if (!verifyTreeHead(signer.publicKey, sth))
        throw new PromotionRefused('the stored last-seen tree head does not verify with the log key');
    return latest && latest.size > sth.size ? latest : sth;
}
