// The benchmark's load generator: plain node:http with keep-alive sockets,
// the same for every server measured, so ratios between servers are fair even
// though the generator shares the machine's cores with them.
import http from 'node:http';

export interface Reply {
  status: number;
  body: string;
  ms: number;
}

export class Load {
  private readonly agent: http.Agent;
  constructor(sockets: number) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  request(url: string, method: 'GET' | 'POST' = 'GET', body?: string): Promise<Reply> {
    const u = new URL(url);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method,
          agent: this.agent,
          headers: body === undefined ? {} : { 'content-length': Buffer.byteLength(body) },
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', c => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs fn over items with `conc` in flight; returns elapsed seconds. */
export async function closedLoop<T>(items: T[], conc: number, fn: (x: T, i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(conc, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

/** Requests per second for `seconds`, `conc` in flight, with per-request latencies. */
export async function hammer(
  conc: number,
  seconds: number,
  one: () => Promise<Reply>,
): Promise<{ rate: number; latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (performance.now() < until) {
        const r = await one();
        if (r.status !== 200) errors++;
        latencies.push(r.ms);
      }
    }),
  );
  return { rate: latencies.length / ((performance.now() - started) / 1000), latencies, errors };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
