// A primary for secondary tests: our real primary internal API over a store
// the test controls, with knobs to misbehave (tamper with served leaves, swap
// in another tree, change the epoch, sign arbitrary heads).
import { Mux } from '../../src/http/mux.js';
import { primaryInternalRoutes, type PrimaryInternalView } from '../../src/http/internal-api.js';
import { publicRoutes, type Handler } from '../../src/http/public-api.js';
import { dispatcher, listen, type Listener } from '../../src/http/server.js';
import { formatCosignedTreeHead, signTreeHead, type SignedTreeHead } from '../../src/sigsum/treehead.js';
import { initDataDir, type OpenDataDir } from '../../src/storage/datadir.js';
import type { LogStore } from '../../src/storage/store.js';
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

  get store(): LogStore {
    return this.dd.store;
  }

  static async start(t: T, leaves: number, opts: { maxRange?: number; tag?: string } = {}): Promise<FakePrimary> {
    const fp = new FakePrimary(FakePrimary.newStore(t, leaves, opts.tag ?? 'leaf'));
    fp.signAll();
    const maxRange = opts.maxRange ?? 512;
    const view: PrimaryInternalView = {
      get store() {
        const s = fp.store;
        return new Proxy(s, {
          get(target, prop) {
            if (prop === 'getLeaves') {
              return (start: number, end: number) => target.getLeaves(start, end).map((l, i) => (fp.tamper ? fp.tamper(start + i, l) : l));
            }
            const v = Reflect.get(target, prop);
            return typeof v === 'function' ? v.bind(target) : v;
          },
        });
      },
      publishedSize: () => fp.published.size,
      treeHeadBody: () => formatCosignedTreeHead({ ...fp.published, cosignatures: [] }),
      committedTreeHead: () => fp.committed,
      epoch: () => fp.epoch,
    };
    const logger = Logger.memory('error').logger;
    fp.internal = await listen('127.0.0.1:0', dispatcher(new Mux<Handler>(primaryInternalRoutes(view, { maxRange })), logger));
    fp.external = await listen('127.0.0.1:0', dispatcher(new Mux<Handler>(publicRoutes(view, undefined, { maxRange, maxAddLeafBody: 4096 })), logger));
    t.after(async () => {
      await fp.internal.close();
      await fp.external.close();
    });
    return fp;
  }

  /** A fresh primary store holding `n` leaves named `${tag} i`. */
  static newStore(t: T, n: number, tag: string, from = 0): OpenDataDir {
    const dd = initDataDir(tempDir(t), { role: 'primary', logPublicKey: logSigner.publicKey, signer: logSigner, now: 1 });
    t.after(() => dd.close());
    FakePrimary.grow(dd.store, n, tag, from);
    return dd;
  }

  static grow(store: LogStore, n: number, tag: string, from = store.size()): void {
    const leaves = [];
    for (let i = from; i < from + n; i++) {
      const l = makeLeaf(submitterSigner, `${tag} ${i}`);
      leaves.push({ leaf: l.leaf, leafHash: l.leafHash });
    }
    store.append(leaves);
  }

  /** Signs (and publishes) a head over the whole local tree. */
  signAll(): SignedTreeHead {
    const sth = signTreeHead(logSigner, { size: this.store.size(), rootHash: this.store.edgeRoot() });
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
