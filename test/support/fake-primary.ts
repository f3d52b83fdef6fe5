// A primary for secondary tests: our real primary internal API and public
// API over a store the test controls, with knobs to misbehave (tamper with
// served leaves, swap in another tree, change the epoch, sign arbitrary
// heads). Its reads are deliberately unchecked: it is the untrusted peer.
import { buildApp } from '../../src/http/app.js';
import { primaryInternalRoutes } from '../../src/http/internal-routes.js';
import { listen, type Listener } from '../../src/http/listener.js';
import { apiRoutes, type ProofSource } from '../../src/http/public-routes.js';
import { formatCosignedTreeHead, signTreeHeadSync, type SignedTreeHead } from '../../src/sigsum/treehead.js';
import { initDataDir, type OpenDataDir } from '../../src/storage/datadir.js';
import type { SqliteStore } from '../../src/storage/sqlite.js';
import { LISTENER } from '../../src/node/defaults.js';
import { Logger } from '../../src/util/logger.js';
import { makeLeaf } from './client.js';
import { logSigner, submitterSigner, tempDir } from './fixtures.js';

type T = Parameters<typeof tempDir>[0];

export class FakePrimary {
  epoch = 0;
  /** Rewrites a served leaf (index, leaf) => leaf. */
  tamper: ((index: number, leaf: Uint8Array) => Uint8Array) | undefined;
  committed!: SignedTreeHead;
  published!: SignedTreeHead;
  internal!: Listener;
  /** Public API (get-tree-head, proofs, get-leaves for the published head). */
  external!: Listener;
  private constructor(public dd: OpenDataDir) {}

  get store(): SqliteStore {
    return this.dd.store;
  }

  static async start(t: T, leaves: number, opts: { maxRange?: number; tag?: string } = {}): Promise<FakePrimary> {
    const fp = new FakePrimary(await FakePrimary.newStore(t, leaves, opts.tag ?? 'leaf'));
    fp.signAll();
    const maxRange = opts.maxRange ?? 512;
    const reads: ProofSource = {
      inclusion: (hash, size) => {
        const index = fp.store.leafIndex(hash);
        return index === undefined || index >= size ? undefined : { index, path: fp.store.inclusionProof(index, size) };
      },
      consistency: (o, n) => fp.store.consistencyProof(o, n),
      leaves: (start, end) => fp.store.getLeaves(start, end).map((l, i) => (fp.tamper ? fp.tamper(start + i, l) : l)),
    };
    const logger = Logger.memory('error').logger;
    const internal = primaryInternalRoutes(
      '',
      {
        localHead: () => ({ size: fp.store.size(), rootHash: fp.store.root() }),
        signedTreeHead: () => fp.committed,
        treeHeadBody: () => formatCosignedTreeHead({ ...fp.published, cosignatures: [] }),
        epoch: () => fp.epoch,
        reads,
        waitForGrowth: () => false,
      },
      { maxRange, costly: [] },
    );
    const external = apiRoutes(
      '',
      {
        publishedHead: () => fp.published,
        treeHeadBody: () => formatCosignedTreeHead({ ...fp.published, cosignatures: [] }),
        reads,
      },
      undefined,
      { maxRange, costly: [] },
    );
    fp.internal = await listen('127.0.0.1:0', buildApp(internal, { logger }), LISTENER);
    fp.external = await listen('127.0.0.1:0', buildApp(external, { logger }), LISTENER);
    t.after(async () => {
      await fp.internal.close(0);
      await fp.external.close(0);
    });
    return fp;
  }

  /** A fresh primary store holding `n` leaves named `${tag} i`. */
  static async newStore(t: T, n: number, tag: string, from = 0): Promise<OpenDataDir> {
    const dd = await initDataDir(tempDir(t), {
      role: 'primary',
      logPublicKey: logSigner.publicKey,
      signer: logSigner,
      now: 1,
    });
    t.after(() => dd.close());
    FakePrimary.grow(dd.store, n, tag, from);
    return dd;
  }

  static grow(store: SqliteStore, n: number, tag: string, from = store.size()): void {
    const leaves = [];
    for (let i = from; i < from + n; i++) {
      const l = makeLeaf(submitterSigner, `${tag} ${i}`);
      leaves.push({ leaf: l.leaf, leafHash: l.leafHash });
    }
    store.append(leaves);
  }

  /** Signs (and publishes) a head over the whole local tree. */
  signAll(): SignedTreeHead {
    const sth = signTreeHeadSync(logSigner, { size: this.store.size(), rootHash: this.store.root() });
    this.store.storeTreeHead(sth, 2);
    this.committed = sth;
    this.published = sth;
    return sth;
  }

  /** Serves another tree from now on (every store is closed when the test ends). */
  swap(dd: OpenDataDir): void {
    this.dd = dd;
  }
}
