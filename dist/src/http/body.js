import { apiError } from './responses.js';
import { errorMessage } from '../util/errors.js';
class TooLarge extends Error {
}
function readIncoming(incoming, limit) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        let total = 0;
        const onData = (c) => {
            total += c.length;
            if (total > limit) {
                cleanup();
                incoming.pause();
                reject(new TooLarge());
                return;
            }
            chunks.push(c);
        };
        const onEnd = () => {
            cleanup();
            resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
        };
        const onError = (e) => {
            cleanup();
            reject(e);
        };
        const cleanup = () => {
            incoming.off('data', onData);
            incoming.off('end', onEnd);
            incoming.off('error', onError);
            incoming.off('aborted', onError);
        };
        incoming.on('data', onData);
        incoming.on('end', onEnd);
        incoming.on('error', onError);
    });
}
export function readBody(limit) {
    return async (c, next) => {
        const { incoming, outgoing } = c.env;
        const tooLarge = () => {
            outgoing.once('finish', () => incoming.socket.destroy());
            return apiError(413, `request body larger than ${limit} bytes`, { connection: 'close' });
        };
        if (Number(incoming.headers['content-length'] ?? 0) > limit)
            return tooLarge();
        try {
            c.set('body', await readIncoming(incoming, limit));
        }
        catch (e) {
            if (e instanceof TooLarge)
                return tooLarge();
            return apiError(400, `reading the request body: ${errorMessage(e)}`);
        }
        await next();
    };
}
