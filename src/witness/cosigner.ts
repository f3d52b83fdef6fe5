// Collects witness cosignatures for the primary's signed tree heads and
// decides what gets published.
//
// Every witness with a URL in the policy has its own worker that always works
// on the newest head offered: if it is busy when a new head arrives, the new
// head waits (replacing any older waiting one), so a slow or dead witness
// never holds up signing, add-leaf 200s or the other witnesses. Each
// cosignature is added to the set of the head it is for.
//
// Publication (log.md §3.1 "should wait"): by default a head is published
// once the policy's quorum has cosigned it (the newest such head wins), and
// later cosignatures for the published head are added to it (surplus and
// fresh ones). With `quorum none`, or with gate = false (log-go's behaviour),
// every signed head is published at once and cosignatures are added as they
// arrive.
//
// Mutable state, on the event loop: heads (recent heads and their
// cosignatures), per-worker memory/status. memory is persisted (the
// witnesses state cell) after each change.
import type { Cosignature, CosignedTreeHead, SignedTreeHead } from '../sigsum/treehead.js';
import { quorumSatisfied, quorumTrivial, type Policy } from '../sigsum/policy.js';
import { bytesEqual, toHex, type PublicKey } from '../sigsum/types.js';
import type { StateCell, TreeReader } from '../storage/ports.js';
import type { WitnessMemory } from '../storage/state.js';
import { Condition } from '../util/condition.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { WitnessEvents } from '../metrics/events.js';
import { WITNESS_MAX_FUTURE_MS, WitnessClient, WitnessError } from './witness-client.js';

export interface CosignerOptions {
  policy: Policy;
  /** Publish only heads the quorum has cosigned (default); false = log-go's publish-at-once. */
  gate: boolean;
  timeoutMs: number;
  /** Largest accepted distance of a cosignature timestamp ahead of this node's clock (default 24 h). */
  maxFutureSkewMs?: number;
  /** Aborts requests in flight (shutdown). */
  signal?: AbortSignal;
  tree: Pick<TreeReader, 'consistencyProof'>;
  memory: StateCell<Record<string, WitnessMemory>>;
  clock: Clock;
  logger: Logger;
  events: WitnessEvents;
}

export interface WitnessStatus {
  name: string;
  url: string;
  keyHash: string;
  cosignedSize: number;
  ok: boolean | undefined; // undefined: not asked yet
  error?: string;
  lastSuccess?: number; // unix ms
  /** Its last cosignature's timestamp minus this node's clock (seconds). */
  skewSeconds?: number;
}

/** A witness clock further than this from ours is reported (a state, one line per change). */
const SKEW_REPORTED_S = 300;

interface Worker {
  client: WitnessClient;
  memory: WitnessMemory;
  status: WitnessStatus;
  failing: Condition;
  skew: Condition;
  pending?: SignedTreeHead;
  inflight?: SignedTreeHead;
  running?: Promise<void>;
}

interface HeadEntry {
  sth: SignedTreeHead;
  cosigs: Map<string, Cosignature>;
  offeredAt?: number; // performance.now() when first offered
  quorumReached?: boolean;
}

export class Cosigner {
  private readonly workers: Worker[];
  private readonly heads = new Map<number, HeadEntry>();
  private published: CosignedTreeHead | undefined;
  private latest: SignedTreeHead | undefined;
  private stopped = false;
  readonly gate: boolean;
  /**
   * Set once a witness says it has cosigned a larger tree than this log's
   * head: another primary published beyond this one (it was superseded) or
   * this node's storage went back in time. Written only by failed().
   */
  alarm: string | undefined;

  /** Makes a head public; called with a new head or with more cosignatures for the same one (set by attach()). */
  private publish: (cth: CosignedTreeHead) => void = () => {};

  constructor(
    logKey: PublicKey,
    private readonly opts: CosignerOptions,
  ) {
    this.gate = opts.gate && !quorumTrivial(opts.policy.quorum);
    const saved = this.loadMemory();
    this.workers = opts.policy.witnesses
      .filter(w => w.url)
      .map(w => {
        const memory = saved[w.keyHash] ?? { size: 0, timestamp: 0n };
        return {
          client: new WitnessClient(
            { name: w.name, publicKey: w.publicKey, keyHash: w.keyHash, url: w.url! },
            logKey,
            opts.tree,
            {
              timeoutMs: opts.timeoutMs,
              maxFutureSkewMs: opts.maxFutureSkewMs ?? WITNESS_MAX_FUTURE_MS,
              signal: opts.signal,
              clock: opts.clock,
            },
          ),
          memory,
          status: { name: w.name, url: w.url!, keyHash: w.keyHash, cosignedSize: memory.size, ok: undefined },
          failing: new Condition(opts.logger, 'witness failing', 'warning', { witness: w.name, url: w.url }),
          skew: new Condition(opts.logger, "witness clock differs from this node's", 'warning', {
            witness: w.name,
            url: w.url,
          }),
        };
      });
    if (this.gate) {
      const all = new Set(this.workers.map(w => w.status.keyHash));
      if (!quorumSatisfied(opts.policy.quorum, all)) {
        throw new Error(
          `the policy's quorum "${opts.policy.quorumName}" cannot be met by the witnesses that have a URL; no tree head could ever be published (add URLs, or publish without a quorum)`,
        );
      }
    }
  }

  /** Connects the Cosigner to the log that publishes, with the head published now. */
  attach(publish: (cth: CosignedTreeHead) => void, current: CosignedTreeHead): void {
    this.publish = publish;
    this.published = current;
    this.heads.set(current.size, {
      sth: current,
      cosigs: new Map(current.cosignatures.map(c => [toHex(c.keyHash), c])),
    });
  }

  /** Key hashes (hex) of the policy's witnesses. */
  witnessKeyHashes(): Set<string> {
    return new Set(this.opts.policy.witnesses.map(w => w.keyHash));
  }

  statuses(): readonly WitnessStatus[] {
    return this.workers.map(w => w.status);
  }

  /** A newly signed (or re-signed) head: ask every witness for it. */
  offer(sth: SignedTreeHead): void {
    if (this.stopped) return;
    this.latest = sth;
    let entry = this.heads.get(sth.size);
    if (!entry || !bytesEqual(entry.sth.rootHash, sth.rootHash)) {
      entry = { sth, cosigs: new Map() };
      this.heads.set(sth.size, entry);
    }
    entry.offeredAt ??= performance.now();
    if (!this.gate && (!this.published || sth.size >= this.published.size)) this.doPublish(entry);
    for (const w of this.workers) {
      w.pending = sth;
      if (!w.running) w.running = this.run(w);
    }
    this.prune();
  }

  private async run(w: Worker): Promise<void> {
    while (w.pending && !this.stopped) {
      const sth = w.pending;
      w.pending = undefined;
      w.inflight = sth;
      const started = performance.now();
      const label = w.status.url.replace(/^https?:\/\//, '');
      try {
        const cosig = await w.client.cosign(sth, w.memory);
        this.opts.events.witnessRequest(label, '200', w.client.lastRetried, (performance.now() - started) / 1000);
        w.status.cosignedSize = w.memory.size;
        this.saveMemory();
        this.succeeded(w);
        this.add(sth, w.status.keyHash, cosig);
      } catch (e) {
        const status = e instanceof WitnessError && e.status !== undefined ? String(e.status) : 'other';
        this.opts.events.witnessRequest(label, status, w.client.lastRetried);
        if (w.memory.size !== w.status.cosignedSize) {
          w.status.cosignedSize = w.memory.size; // a 409 told us the witness's size
          this.saveMemory();
        }
        this.failed(w, e instanceof Error ? e : new Error(String(e)));
      } finally {
        w.inflight = undefined;
      }
    }
    w.running = undefined;
  }

  private succeeded(w: Worker): void {
    if (w.status.ok === undefined)
      this.opts.logger.info('witness cosigned', { witness: w.status.name, size: w.memory.size });
    w.failing.clear('witness cosigning again', { size: w.memory.size });
    w.status.ok = true;
    w.status.error = undefined;
    w.status.lastSuccess = this.opts.clock.now();
    const skew = w.client.lastSkewSeconds;
    w.status.skewSeconds = skew;
    if (skew !== undefined && Math.abs(skew) > SKEW_REPORTED_S)
      w.skew.set(
        skew > 0 ? 'ahead' : 'behind',
        `its cosignature timestamps are ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} this node's clock`,
        {
          skew_seconds: skew,
        },
      );
    else w.skew.clear("witness clock agrees with this node's again", { skew_seconds: skew });
  }

  private failed(w: Worker, e: Error): void {
    if (e instanceof WitnessError && e.alarming) this.alarm ??= `witness ${w.status.name}: ${e.message}`;
    if (e instanceof WitnessError && e.alarming && w.failing.message !== e.message) {
      this.opts.logger.error('witness has seen a larger tree than this log signed', {
        witness: w.status.name,
        url: w.status.url,
        error: e.message,
      });
    }
    w.failing.set(e instanceof WitnessError ? e.kind : 'internal', e.message);
    w.status.ok = false;
    w.status.error = e.message;
  }

  private add(sth: SignedTreeHead, keyHash: string, cosig: Cosignature): void {
    const entry = this.heads.get(sth.size);
    if (!entry || !bytesEqual(entry.sth.rootHash, sth.rootHash)) return; // superseded meanwhile
    entry.cosigs.set(keyHash, cosig);
    if (
      !entry.quorumReached &&
      !quorumTrivial(this.opts.policy.quorum) &&
      quorumSatisfied(this.opts.policy.quorum, new Set(entry.cosigs.keys()))
    ) {
      entry.quorumReached = true;
      this.opts.events.witnessQuorum(
        true,
        entry.offeredAt === undefined ? undefined : (performance.now() - entry.offeredAt) / 1000,
      );
    }
    if (this.published && sth.size < this.published.size) return;
    if (!this.gate) {
      if (this.published && sth.size === this.published.size) this.doPublish(entry);
      return;
    }
    if (quorumSatisfied(this.opts.policy.quorum, new Set(entry.cosigs.keys()))) this.doPublish(entry);
  }

  private doPublish(entry: HeadEntry): void {
    const cosignatures = [...entry.cosigs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, c]) => c);
    this.published = { ...entry.sth, cosignatures };
    this.publish(this.published);
    this.prune();
  }

  /** Keeps only heads that can still matter: the published one, the newest, and those a witness works on. */
  private prune(): void {
    const keep = new Set<number>();
    if (this.published) keep.add(this.published.size);
    if (this.latest) keep.add(this.latest.size);
    for (const w of this.workers) {
      if (w.pending) keep.add(w.pending.size);
      if (w.inflight) keep.add(w.inflight.size);
    }
    for (const [size, e] of this.heads) {
      if (!keep.has(size) || (this.published && size < this.published.size)) {
        if (e.offeredAt !== undefined && !e.quorumReached && !quorumTrivial(this.opts.policy.quorum))
          this.opts.events.witnessQuorum(false);
        this.heads.delete(size);
      }
    }
  }

  private loadMemory(): Record<string, WitnessMemory> {
    try {
      return this.opts.memory.get() ?? {};
    } catch {
      this.opts.logger.warning('ignoring unreadable stored witness state');
      return {};
    }
  }

  private saveMemory(): void {
    const out: Record<string, WitnessMemory> = {};
    for (const w of this.workers) out[w.status.keyHash] = { ...w.memory };
    this.opts.memory.set(out);
  }

  /** Stops asking; waits for requests in flight (each bounded by the witness timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.workers.map(w => w.running).filter(r => r !== undefined));
  }
}
