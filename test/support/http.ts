// Raw HTTP requests, byte-exact paths and bodies (fetch would normalize them).
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function rawRequest(
  base: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
        agent: false,
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('latin1') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * One request over a plain socket, read until the server closes: for answers
 * Node's HTTP client refuses to parse (Go writes a body after its raw
 * "400 Bad Request" even to HEAD).
 */
export function rawExchange(base: string, method: string, path: string): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname, () =>
      sock.write(`${method} ${path} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n\r\n`, 'latin1'),
    );
    const chunks: Buffer[] = [];
    sock.on('data', c => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!m) return reject(new Error(`no HTTP status line in ${JSON.stringify(text.slice(0, 80))}`));
      const split = text.indexOf('\r\n\r\n');
      const headers: Record<string, string> = {};
      for (const line of text
        .slice(0, split < 0 ? text.length : split)
        .split('\r\n')
        .slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(m[1]), headers, body: split < 0 ? '' : text.slice(split + 4) });
    });
  });
}

/** Sends the headers at once, then one byte of `body` every `everyMs` (a peer that trickles). */
export function trickle(
  res: ServerResponse,
  body: string,
  everyMs: number,
  headers: Record<string, string> = {},
): void {
  res.writeHead(200, { 'content-length': String(body.length), ...headers });
  let i = 0;
  const timer = setInterval(() => {
    if (i >= body.length || res.destroyed) return clearInterval(timer);
    res.write(body[i++]);
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

/** An HTTP server on 127.0.0.1 answering every request with `answer`; its URL. */
export async function fakePeer(
  t: { after: (fn: () => unknown) => void },
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  const srv = createServer((req, res) => {
    req.resume();
    answer(req, res);
  });
  await new Promise<void>(r => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    srv.closeAllConnections();
    srv.close();
  });
  return `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
}
