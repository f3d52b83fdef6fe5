// One request at a time into Node's HTTP parser, as Go's server reads them.
//
// Node's parser consumes a whole socket read (up to 64 KiB) at once: a client
// that pipelines 2,000 small requests gets about 1,450 of them parsed, each an
// IncomingMessage and a ServerResponse in memory, before any code of ours can
// refuse the connection. Go's server reads the next request only after it
// answered the last one, so pipelining costs it nothing.
//
// A RequestGate sits between the TCP socket and the HTTP server (which takes
// it as its "socket"): it holds what the client sent and hands the parser one
// request head at a time (the bytes up to and including the next blank line,
// CRLF CRLF), and the next one only when the application has answered the
// requests it has (ready()) or the parser asked for more (no request came of
// the last bytes: the head is incomplete, or a request's body is still to
// come, which always flows). It holds at most
// MAX_HELD bytes; beyond that it stops reading the socket, so a client that
// keeps sending while it does not read pushes back on itself (TCP), not on the
// node's memory. The gate never changes a byte: it only decides when the
// parser sees them, so framing stays entirely the parser's.
import { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

const MAX_HELD = 64 * 1024;
const BLANK_LINE = Buffer.from('\r\n\r\n');

export class RequestGate extends Duplex {
  // Owned by this connection's events.
  private held: Buffer[] = [];
  private heldBytes = 0;
  private busy = false; // the application has a request of this connection that it has not answered
  private bodies = 0; // requests taken whose body has not been received in full: their bytes must flow
  private ended = false; // the client sent FIN
  private pumpScheduled = false; // a pump on the next turn (setImmediate)
  private pumpQueued = false; // a pump after the current callback (microtask)

  constructor(readonly socket: Socket) {
    super({ allowHalfOpen: true });
    socket.on('data', (d: Buffer) => this.received(d));
    socket.on('end', () => {
      this.ended = true;
      this.pump();
    });
    socket.on('error', e => this.destroy(e));
    socket.on('close', () => this.destroy());
    socket.on('timeout', () => this.emit('timeout'));
    socket.on('drain', () => this.emit('drain'));
  }

  /**
   * The application took a request of this connection (the listener calls
   * it). Node announces a request when its head is parsed: if a body follows,
   * its bytes keep flowing until the request ends.
   */
  taken(req: IncomingMessage): void {
    this.busy = true;
    if (req.headers['content-length'] === undefined || req.headers['content-length'] === '0') {
      if (req.headers['transfer-encoding'] === undefined) return;
    }
    this.bodies++;
    let counted = true;
    const done = () => {
      if (!counted) return;
      counted = false;
      this.bodies--;
    };
    req.once('end', done);
    req.once('close', done);
    this.soon(); // not now: we are inside the parser, which must not be fed re-entrantly
  }

  /** The application answered every request it had of this connection: the next may be parsed. */
  ready(): void {
    this.busy = false;
    this.soon();
  }

  /** Pumps once the current callback (possibly the parser's) has returned. */
  private soon(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private received(d: Buffer): void {
    this.held.push(d);
    this.heldBytes += d.length;
    if (this.heldBytes > MAX_HELD) this.socket.pause();
    this.pump();
  }

  /** Releases the next request head (or what there is) unless a request is being answered (and has its body). */
  private pump(): void {
    if ((this.busy && this.bodies === 0) || this.destroyed) return;
    if (this.heldBytes > 0) {
      const all = this.held.length === 1 ? this.held[0] : Buffer.concat(this.held);
      const end = all.indexOf(BLANK_LINE);
      const n = end < 0 ? all.length : end + BLANK_LINE.length;
      const rest = all.subarray(n);
      this.held = rest.length > 0 ? [rest] : [];
      this.heldBytes = rest.length;
      if (this.heldBytes <= MAX_HELD / 2 && this.socket.isPaused()) this.socket.resume();
      this.push(all.subarray(0, n)); // the parser runs now; a complete request makes the listener call taken()
    }
    if (this.heldBytes === 0 && this.ended) {
      this.push(null);
      return;
    }
    // No request came of those bytes (a body or the rest of a head follows): release more soon.
    if (this.heldBytes > 0 && (!this.busy || this.bodies > 0) && !this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
  }

  override _read(): void {
    // Data is pushed when released (pump), not on demand.
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.socket.write(chunk, encoding, cb);
  }

  override _writev(chunks: { chunk: Buffer; encoding: BufferEncoding }[], cb: (e?: Error | null) => void): void {
    this.socket.cork();
    for (let i = 0; i < chunks.length - 1; i++) this.socket.write(chunks[i].chunk, chunks[i].encoding);
    const last = chunks[chunks.length - 1];
    this.socket.write(last.chunk, last.encoding, cb);
    this.socket.uncork();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void {
    this.held = [];
    this.heldBytes = 0;
    if (!this.socket.destroyed) this.socket.destroy();
    cb(e);
  }

  // The socket methods Node's HTTP server and the application use.
  setTimeout(ms: number, cb?: () => void): this {
    this.socket.setTimeout(ms);
    if (cb) this.once('timeout', cb);
    return this;
  }
  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }
  setKeepAlive(enable?: boolean, delay?: number): this {
    this.socket.setKeepAlive(enable, delay);
    return this;
  }
  address(): ReturnType<Socket['address']> {
    return this.socket.address();
  }
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
  get remoteFamily(): string | undefined {
    return this.socket.remoteFamily;
  }
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }
  get localPort(): number | undefined {
    return this.socket.localPort;
  }
}
