// The HTTP roofline: hono on @hono/node-server answering a constant body, the
// same stack as sigsum-log's listeners. Prints its URL and serves until killed.
import { Hono } from 'hono';
import { serve } from '@hono/node-server';

const app = new Hono();
app.get('/', c => c.text('hello\n'));
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, info => {
  process.stdout.write(`http://127.0.0.1:${info.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
