// Operator endpoints on the internal listener, outside the URL prefix as in
// log-go: /metrics (Prometheus text format) and /health for load balancers
// and supervisors: 200 "ready" when the node serves a verified, fresh tree
// head and can write, 503 "not ready" otherwise; the body always says why.
import type { Route } from './app.js';

export interface Health {
  ready: boolean;
  /** One line per fact: "role primary", "tree size 12", "warning: ...". */
  lines: string[];
}

export interface OpsView {
  metrics(): Promise<{ contentType: string; body: string }>;
  health(): Health;
}

export function opsRoutes(view: OpsView): Route[] {
  return [
    {
      pattern: '/metrics',
      handler: async () => {
        const m = await view.metrics();
        return new Response(m.body, { status: 200, headers: { 'content-type': m.contentType } });
      },
    },
    {
      pattern: '/health',
      handler: () => {
        const h = view.health();
        return new Response(`${h.ready ? 'ready' : 'not ready'}\n${h.lines.join('\n')}\n`, {
          status: h.ready ? 200 : 503,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
        });
      },
    },
  ];
}
