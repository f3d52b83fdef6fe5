export function opsRoutes(view) {
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
