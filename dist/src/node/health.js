function storageLines(storage) {
    return [
        ...storage.damages.map(d => `storage damage: ${d}`),
        ...(storage.failure() ? [`storage unusable: ${storage.failure()}`] : []),
    ];
}
/** How old a signature or a published head may get before the node is not ready (ms). */
export function staleAfter(b) {
    const slack = 2 * b.interval + 2 * b.peerTimeout + 1000;
    return {
        signed: b.resignInterval + slack,
        published: b.resignInterval + slack + 2 * b.witnessTimeout,
        unsigned: slack + 2 * b.witnessTimeout,
    };
}
export function primaryHealth(log, tree, storage, clock, bounds, stopping) {
    const stale = staleAfter(bounds);
    const now = clock.now();
    const signedAge = now - log.lastSignedAt();
    const publishedAge = now - log.publishedAt;
    const waiting = log.unsignedSince === undefined ? 0 : clock.monotonic() - log.unsignedSince;
    const problems = [
        ...storageLines(storage),
        ...(log.signing.active ? [`not signing: ${log.signing.message}`] : []),
        ...(log.superseded.active ? [`superseded: ${log.superseded.message}`] : []),
        ...(signedAge > stale.signed
            ? [`the latest signature is ${Math.round(signedAge / 1000)} s old (bound ${stale.signed / 1000} s)`]
            : []),
        ...(publishedAge > stale.published
            ? [`the published tree head is ${Math.round(publishedAge / 1000)} s old (bound ${stale.published / 1000} s)`]
            : []),
        ...(waiting > stale.unsigned
            ? [
                `${tree.size() - log.committedTreeHead().size} stored leaves have waited ${Math.round(waiting / 1000)} s for a signature (secondaries or witnesses short)`,
            ]
            : []),
        ...(stopping ? ['shutting down'] : []),
    ];
    return {
        ready: problems.length === 0,
        lines: [
            `role primary, epoch ${log.epoch()}`,
            `published tree size ${log.publishedTreeHead().size}, signed tree size ${log.committedTreeHead().size}, local tree size ${tree.size()}`,
            ...problems,
            ...(log.clockBehind.active ? [`warning: ${log.clockBehind.message}`] : []),
            ...(log.replication
                ?.statuses()
                .filter(s => !s.ok)
                .map(s => `warning: secondary ${s.url}: ${s.error ?? 'not asked yet'}`) ?? []),
            ...(log.cosigner
                ?.statuses()
                .filter(s => s.ok === false)
                .map(s => `warning: witness ${s.name}: ${s.error}`) ?? []),
        ],
    };
}
export function secondaryHealth(log, tree, storage, stopping) {
    const problems = [
        ...storageLines(storage),
        ...(log.halted ? [`replication halted: ${log.halted}`] : []),
        ...(log.publishedTreeHead() ? [] : ['no verified tree head yet']),
        ...(stopping ? ['shutting down'] : []),
    ];
    return {
        ready: problems.length === 0,
        lines: [
            `role secondary, epoch ${log.fence.epoch}`,
            `replica size ${tree.size()}, primary size ${log.upstreamSize}, published tree size ${log.publishedTreeHead()?.size ?? 0}`,
            ...problems,
            ...(log.failing.active ? [`warning: replication failing: ${log.failing.message}`] : []),
        ],
    };
}
