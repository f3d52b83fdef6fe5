import { buildApp } from '../http/app.js';
import { listen, Permits } from '../http/listener.js';
import { COSTLY, LISTENER } from './defaults.js';
/** A permit pool per listener (give each site's costly routes its own). */
export function costlyPermits() {
    return new Permits(COSTLY.max, COSTLY.maxWaiting);
}
export function app(site, logger, observe) {
    return buildApp(site, { logger, observe });
}
/** Listens on both endpoints; if either fails, closes what it opened and rethrows. */
export async function openListeners(externalEndpoint, external, internalEndpoint, internal) {
    const ext = await listen(externalEndpoint, external, LISTENER);
    let int;
    try {
        int = await listen(internalEndpoint, internal, LISTENER);
    }
    catch (e) {
        await ext.close(0);
        throw e;
    }
    return {
        external: ext,
        internal: int,
        close: async (graceMs) => {
            await Promise.all([ext.close(graceMs), int.close(graceMs)]);
        },
    };
}
/** "http://host:port" + "/prefix" (nothing for an empty prefix). */
export function withPrefix(url, prefix) {
    return url + (prefix ? `/${prefix}` : '');
}
export function normalizePrefix(prefix) {
    return prefix.replace(/^\/+|\/+$/g, '');
}
