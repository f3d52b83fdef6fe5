// Operator endpoints on the internal listener, outside the URL prefix as in
// log-go: /metrics (Prometheus text format) and /health, for load balancers
// and supervisors: 200 when the node serves a verified tree head, 503 with
// the reason otherwise. The body always says what the node is doing.
import type { Metrics } from '../metrics/metrics.js';
import type { Route } from './mux.js';
import type { Handler } from './public-api.js';

export interface Health {
  ready: boolean;
  /** One line per fact: "role primary", "tree size 12", "warning: ...". */
  lines: string[];
}

export function opsRoutes(metrics: Metrics, health: () => Health): Route<Handler>[] {
  return [
    {
      method: 'GET',
      pattern: '/metrics',
      handler: async () => new Response(await metrics.text(), { status: 200, headers: { 'content-type': metrics.contentType } }),
    },
    {
      method: 'GET',
      pattern: '/health',
      handler: () => {
        const h = health();
        return new Response(`${h.ready ? 'ready' : 'not ready'}\n${h.lines.join('\n')}\n`, { status: h.ready ? 200 : 503, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });
      },
    },
  ];
}
