// Response helpers with log-go's exact framing: success bodies are plain text;
// errors are "(<code>) <message>\n" as text/plain with nosniff, like Go's
// http.Error around sigsum-go's api.Error.
import type { IncomingMessage } from 'node:http';
import { readCapped } from '../util/read-capped.js';

const TEXT = 'text/plain; charset=utf-8';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function ok(body: string): Response {
  return new Response(body, { status: 200, headers: { 'content-type': TEXT } });
}

export function empty200(): Response {
  return new Response(null, { status: 200, headers: { 'content-length': '0' } });
}

/** An api.Error response: "(code) message\n". */
export function apiError(status: number, message: string): Response {
  return plainError(status, `(${status}) ${message}\n`);
}

/** A raw error body, e.g. the mux's "404 page not found\n". */
export function plainError(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'content-type': TEXT, 'x-content-type-options': 'nosniff', ...headers } });
}

export function redirect(location: string): Response {
  const esc = location.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;');
  return new Response(`<a href="${esc}">Moved Permanently</a>.\n\n`, { status: 301, headers: { location, 'content-type': 'text/html; charset=utf-8' } });
}

/** Reads a request body of at most `limit` bytes; larger bodies raise a 413. */
export async function readBody(req: Request, limit: number, incoming?: IncomingMessage): Promise<Uint8Array> {
  const declared = incoming ? (incoming.headers['content-length'] ?? null) : req.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
  if (incoming) return readIncoming(incoming, limit);
  const body = await readCapped(req.body, limit);
  if (body === 'too-large') throw new HttpError(413, `request body larger than ${limit} bytes`);
  return body;
}

function readIncoming(incoming: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (c: Buffer) => {
      total += c.length;
      if (total > limit) {
        cleanup();
        incoming.resume(); // drain the rest without keeping it
        reject(new HttpError(413, `request body larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(new HttpError(400, `reading the request body: ${e.message}`));
    };
    const cleanup = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
  });
}
