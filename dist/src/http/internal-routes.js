import { parseEpochAnnouncement } from '../sigsum/epoch.js';
import { formatSignedTreeHead, formatTreeHead } from '../sigsum/treehead.js';
import { ENDPOINT, EPOCH_HEADER, LONG_POLL_HEADER, LONG_POLL_MS, MAX_ADD_LEAF_BODY, WAIT_BEYOND_PARAM, } from '../sigsum/wire.js';
import { readBody } from './body.js';
import { badRequest, consistencyBody, leafRange, leavesBody } from './public-routes.js';
import { ApiError, apiError, text } from './responses.js';
import { errorMessage } from '../util/errors.js';
function withEpoch(view) {
    return async (c, next) => {
        await next();
        c.res.headers.set(EPOCH_HEADER, String(view.epoch()));
    };
}
export function primaryInternalRoutes(prefix, view, opts) {
    const at = (name) => (prefix === '' ? `/${name}` : `/${prefix}/${name}`);
    const epoch = [withEpoch(view)];
    return [
        { pattern: `GET ${at(ENDPOINT.getLeaves)}/`, handler: badRequest },
        {
            pattern: `GET ${at(ENDPOINT.getLeaves)}/{start}/{end}`,
            middleware: [...epoch, ...opts.costly],
            handler: (_c, p) => {
                const head = view.localHead();
                const { start, end } = leafRange(p, head.size, false, opts.maxRange);
                return text(leavesBody(view.reads.leaves(start, end, head)));
            },
        },
        {
            pattern: `GET ${at(ENDPOINT.getTreeHeadUnsigned)}`,
            middleware: epoch,
            handler: async (c) => {
                const raw = c.req.query(WAIT_BEYOND_PARAM);
                let waited = false;
                if (raw !== undefined && /^\d{1,15}$/.test(raw)) {
                    const w = view.waitForGrowth(Number(raw), LONG_POLL_MS, c.req.raw.signal);
                    if (w) {
                        await w;
                        waited = true;
                    }
                }
                const res = text(formatTreeHead(view.localHead()));
                if (waited)
                    res.headers.set(LONG_POLL_HEADER, '1');
                return res;
            },
        },
        { pattern: `GET ${at(ENDPOINT.getConsistencyProof)}/`, handler: badRequest },
        {
            pattern: `GET ${at(ENDPOINT.getConsistencyProof)}/{old}/{new}`,
            middleware: [...epoch, ...opts.costly],
            handler: (_c, p) => text(consistencyBody(view.reads, p, view.localHead())),
        },
        {
            pattern: `GET ${at(ENDPOINT.getTreeHeadSigned)}`,
            middleware: epoch,
            handler: () => text(formatSignedTreeHead(view.signedTreeHead())),
        },
        { pattern: `GET ${at(ENDPOINT.getTreeHead)}`, middleware: epoch, handler: () => text(view.treeHeadBody()) },
    ];
}
/** The requester's epoch header (0 when absent, as from log-go). */
function requesterEpoch(c) {
    const raw = c.req.header(EPOCH_HEADER);
    if (raw === undefined)
        return 0;
    if (!/^(0|[1-9][0-9]{0,14})$/.test(raw))
        throw new ApiError(400, `invalid ${EPOCH_HEADER} header`);
    return Number(raw);
}
export function secondaryInternalRoutes(prefix, view) {
    const at = (name) => (prefix === '' ? `/${name}` : `/${prefix}/${name}`);
    return [
        {
            pattern: `GET ${at(ENDPOINT.getSecondaryTreeHead)}`,
            endpoint: ENDPOINT.getSecondaryTreeHead,
            handler: async (c) => {
                const r = await view.signedReplicaHead(requesterEpoch(c));
                if (r.kind === 'fenced')
                    return apiError(409, `fenced: this secondary follows a primary of epoch ${r.epoch}`, {
                        [EPOCH_HEADER]: String(r.epoch),
                    });
                return text(formatSignedTreeHead(r.head));
            },
        },
        {
            pattern: `POST ${at(ENDPOINT.announceEpoch)}`,
            middleware: [readBody(MAX_ADD_LEAF_BODY)],
            handler: c => {
                let a;
                try {
                    a = parseEpochAnnouncement(Buffer.from(c.get('body')).toString('latin1'));
                }
                catch (e) {
                    throw new ApiError(400, `malformed epoch announcement: ${errorMessage(e)}`);
                }
                const r = view.announceEpoch(a);
                if (r.kind === 'bad-signature')
                    return apiError(403, 'the announcement does not verify with the log key');
                return text(`epoch=${r.epoch}\n`, r.kind === 'accepted' ? 200 : 409);
            },
        },
        { pattern: `GET ${at(ENDPOINT.getSecondaryState)}`, handler: () => text(view.stateBody()) },
    ];
}
