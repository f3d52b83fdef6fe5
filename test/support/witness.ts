// A conformant C2SP tlog-witness (add-checkpoint) for the test suite, with
// knobs to misbehave. Per origin it keeps the latest cosigned size and root
// (check and update happen synchronously in one event-loop turn, so two
// interleaved requests can never roll it back: the second gets a 409).
// Status codes as the spec: 400 malformed or old > size, 403 no valid log
// signature, 404 unknown log, 409 + text/x.tlog.size when old is not the
// stored size, 422 bad proof or a different root at the same size, 200 with
// a cosignature/v1 line (key ID type 0x04) otherwise.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { cosignatureLine, keyId, KEY_TYPE_ED25519, formatSignatureLine } from '../../src/sigsum/checkpoint.js';
import { sha256, verify, type SyncSigner } from '../../src/sigsum/crypto.js';
import { EMPTY_ROOT, verifyConsistency } from '../../src/sigsum/merkle.js';
import { originForKey } from '../../src/sigsum/treehead.js';
import { parseAddCheckpoint } from '../../src/sigsum/witness-protocol.js';
import { bytesEqual, toHex, type Hash, type PublicKey, type Signature } from '../../src/sigsum/types.js';

export type WitnessMode =
  | 'ok'
  | 'garbage' // 200 with a body that is not signature lines
  | 'always-409' // "slippery": 409 with a size that keeps changing
  | 'wrong-key' // cosigns with a key other than its own
  | 'future' // timestamps two days ahead (beyond the log's tolerance of 24 h)
  | 'other-types-first'; // an unknown-size signature line before its real one

export interface TestWitnessOptions {
  name: string;
  signer: SyncSigner;
  /** Logs it knows: their public keys. */
  logs: PublicKey[];
  /** Seconds since the epoch for cosignature timestamps. */
  now?: () => number;
  port?: number;
}

export class TestWitness {
  /** The size this witness has cosigned for the log with key `logKey` (0 before any). */
  cosignedSize(logKey: PublicKey): number {
    return this.state.get(originForKey(logKey))?.size ?? 0;
  }

  mode: WitnessMode = 'ok';
  /** Milliseconds to wait before answering (a slow witness). */
  delayMs = 0;
  readonly state = new Map<string, { size: number; root: Hash }>();
  readonly requests: { old: number; size: number; status: number }[] = [];
  private readonly logs = new Map<string, PublicKey>();
  private server: Server | undefined;
  port = 0;
  private slippery = 1;

  constructor(readonly opts: TestWitnessOptions) {
    for (const k of opts.logs) this.logs.set(originForKey(k), k);
  }

  get publicKey(): PublicKey {
    return this.opts.signer.publicKey;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Its name in a policy file. */
  get policyName(): string {
    return this.opts.name.replace(/[^A-Za-z0-9_.-]/g, '_');
  }

  /** The policy line for this witness. */
  policyLine(): string {
    return `witness ${this.policyName} ${toHex(this.publicKey)} ${this.url}\n`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port || this.opts.port || 0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** Stops listening (a witness that is down); start() again brings it back on the same port with its state. */
  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise(r => this.server!.close(r));
    this.server = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (this.delayMs) await new Promise(r => setTimeout(r, this.delayMs));
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'POST' || req.url !== '/add-checkpoint') return send(404, 'not found\n');
    let r;
    try {
      r = parseAddCheckpoint(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      return send(400, `${(e as Error).message}\n`);
    }
    const logKey = this.logs.get(r.origin);
    const record = (status: number) => this.requests.push({ old: r.oldSize, size: r.size, status });
    if (!logKey) {
      record(404);
      return send(404, 'unknown log\n');
    }
    const id = Buffer.from(keyId(r.origin, KEY_TYPE_ED25519, logKey));
    const signed = r.signatures.some(
      s =>
        s.name === r.origin &&
        s.blob.length === 68 &&
        id.equals(Buffer.from(s.blob.subarray(0, 4))) &&
        verify(logKey, Buffer.from(r.body, 'utf8'), s.blob.subarray(4) as Signature),
    );
    if (!signed) {
      record(403);
      return send(403, 'no valid log signature\n');
    }
    if (r.oldSize > r.size) {
      record(400);
      return send(400, 'old size larger than checkpoint size\n');
    }
    // Check and update in this same turn of the event loop: atomic.
    const stored = this.state.get(r.origin) ?? { size: 0, root: EMPTY_ROOT };
    if (this.mode === 'always-409') {
      record(409);
      return send(409, `${this.slippery++ % Math.max(1, r.size)}\n`, 'text/x.tlog.size');
    }
    if (r.oldSize !== stored.size) {
      record(409);
      return send(409, `${stored.size}\n`, 'text/x.tlog.size');
    }
    if (r.oldSize === r.size) {
      if (r.proof.length !== 0 || (stored.size === r.size && r.size > 0 && !bytesEqual(stored.root, r.rootHash))) {
        record(422);
        return send(422, 'different root at the same size\n');
      }
    } else if (
      r.oldSize === 0 ? r.proof.length !== 0 : !verifyConsistency(r.oldSize, r.size, stored.root, r.rootHash, r.proof)
    ) {
      record(422);
      return send(422, 'bad consistency proof\n');
    }
    this.state.set(r.origin, { size: r.size, root: r.rootHash });
    record(200);
    const now = BigInt(this.opts.now ? this.opts.now() : Math.floor(Date.now() / 1000));
    const th = { size: r.size, rootHash: r.rootHash };
    switch (this.mode) {
      case 'garbage':
        return send(200, 'this is not a signature line\n');
      case 'wrong-key': {
        const { SeedSigner } = await import('../../src/sigsum/crypto.js');
        const other = new SeedSigner(sha256(Buffer.from(this.opts.name)));
        // A line under our key ID but signed by another key.
        const line = cosignatureLine(this.opts.name, other, r.origin, th, now);
        const blob = Buffer.from(line.trim().split(' ').pop()!, 'base64');
        Buffer.from(keyId(this.opts.name, 0x04, this.publicKey)).copy(blob, 0);
        return send(200, formatSignatureLine({ name: this.opts.name, blob }));
      }
      case 'future':
        return send(200, cosignatureLine(this.opts.name, this.opts.signer, r.origin, th, now + 2n * 86_400n));
      case 'other-types-first':
        return send(
          200,
          formatSignatureLine({ name: this.opts.name, blob: new Uint8Array(100).fill(7) }) +
            cosignatureLine(this.opts.name, this.opts.signer, r.origin, th, now),
        );
      default:
        return send(200, cosignatureLine(this.opts.name, this.opts.signer, r.origin, th, now));
    }
  }
}
