// A node's two listeners, shared by both roles: the public one (the log API
// and the info page) and the internal one (what other log nodes use, and
// /metrics and /health outside the URL prefix). Each gets its own connection
// bounds and its own pool of permits for costly reads, so public traffic can
// never take the internal API's turn.
import type { Hono } from 'hono';
import { buildApp, type Env, type RequestObserver, type Site } from '../http/app.js';
import { listen, Permits, type Listener } from '../http/listener.js';
import type { Logger } from '../util/logger.js';
import { COSTLY, LISTENER } from './defaults.js';

export interface NodeListeners {
  external: Listener;
  internal: Listener;
  close(graceMs: number): Promise<void>;
}

/** A permit pool per listener (give each site's costly routes its own). */
export function costlyPermits(): Permits {
  return new Permits(COSTLY.max, COSTLY.maxWaiting);
}

export function app(site: Site, logger: Logger, observe?: RequestObserver): Hono<Env> {
  return buildApp(site, { logger, observe });
}

/** Listens on both endpoints; if either fails, closes what it opened and rethrows. */
export async function openListeners(
  externalEndpoint: string,
  external: Hono<Env>,
  internalEndpoint: string,
  internal: Hono<Env>,
): Promise<NodeListeners> {
  const ext = await listen(externalEndpoint, external, LISTENER);
  let int: Listener;
  try {
    int = await listen(internalEndpoint, internal, LISTENER);
  } catch (e) {
    await ext.close(0);
    throw e;
  }
  return {
    external: ext,
    internal: int,
    close: async graceMs => {
      await Promise.all([ext.close(graceMs), int.close(graceMs)]);
    },
  };
}

/** "http://host:port" + "/prefix" (nothing for an empty prefix). */
export function withPrefix(url: string, prefix: string): string {
  return url + (prefix ? `/${prefix}` : '');
}

export function normalizePrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}
