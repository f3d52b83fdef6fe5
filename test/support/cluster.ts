// A log of real sigsum-log processes on loopback for end-to-end tests: named
// nodes with fixed ports and data directories, started as primary or
// secondary, a stream of submissions, and the LogChecker that records every
// 200 and every published tree head seen on any node and verifies them
// against the final log.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyConsistency } from '../../src/sigsum/merkle.js';
import { parseSecondaryState } from '../../src/sigsum/secondary-state.js';
import type { CosignedTreeHead } from '../../src/sigsum/treehead.js';
import { bytesEqual, toHex } from '../../src/sigsum/types.js';
import { entry, h } from './vectors.js';
import { submitterSigner, waitFor } from './fixtures.js';
import { addLeaf, getConsistency, getInclusion, getTreeHead, makeLeaf, type TestLeaf } from './client.js';
import { ensurePrimary, ensureReplica, freePort, startServer, writeKey, type ServerProcess } from './process.js';

export interface ClusterNode {
  name: string;
  dir: string;
  ext: number;
  int: number;
  key: ReturnType<typeof writeKey>;
  proc?: ServerProcess;
}

export const internalUrl = (n: ClusterNode) => `http://127.0.0.1:${n.int}`;
export const publicUrl = (n: ClusterNode) => `http://127.0.0.1:${n.ext}`;

export class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'sigsum-log-cluster-'));
  readonly logKey = writeKey(this.dir, 'log.key', h(entry('formats.json', 'key-log').private_seed));
  readonly nodes = new Map<string, ClusterNode>();
  private counter = 0;

  /** Create it at module level or inside a test (not in a hook: its cleanup would run when the hook ends). */
  constructor(readonly interval = '300ms') {
    after(async () => {
      for (const n of this.nodes.values()) await n.proc?.stop('SIGKILL');
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  /** A node with its own ports, data directory and key (the log key for `primary`). */
  async node(name: string, seedHex?: string): Promise<ClusterNode> {
    const n: ClusterNode = {
      name,
      dir: join(this.dir, name),
      ext: await freePort(),
      int: await freePort(),
      key: seedHex ? writeKey(this.dir, `${name}.key`, h(seedHex.repeat(32 / (seedHex.length / 2)))) : this.logKey,
    };
    this.nodes.set(name, n);
    return n;
  }

  private endpoints(n: ClusterNode): string[] {
    return [
      '--data-dir',
      n.dir,
      '--external-endpoint',
      `127.0.0.1:${n.ext}`,
      '--internal-endpoint',
      `127.0.0.1:${n.int}`,
    ];
  }

  async startSecondary(n: ClusterNode, primary: ClusterNode): Promise<void> {
    await ensureReplica(n.dir, this.logKey.signer.publicKey);
    n.proc = await startServer([
      '--role',
      'secondary',
      ...this.endpoints(n),
      '--key-file',
      n.key.path,
      '--log-pubkey-file',
      this.logKey.pub,
      '--primary-url',
      internalUrl(primary),
      '--interval',
      '100ms',
    ]);
  }

  /** The serve arguments of `n` as primary with these secondaries. */
  primaryArgs(n: ClusterNode, secondaries: ClusterNode[], extra: string[] = []): string[] {
    const pairs = secondaries.flatMap(s => ['--secondary-url', internalUrl(s), '--secondary-pubkey-file', s.key.pub]);
    return [...this.endpoints(n), '--key-file', this.logKey.path, '--interval', this.interval, ...pairs, ...extra];
  }

  /** Starts `n` as primary with these secondaries (a promotion with '--promote' in `extra`). */
  async startPrimary(n: ClusterNode, secondaries: ClusterNode[], extra: string[] = []): Promise<void> {
    if (!extra.includes('--promote')) await ensurePrimary(n.dir, this.logKey.signer);
    n.proc = await startServer(this.primaryArgs(n, secondaries, extra));
  }

  async stop(n: ClusterNode, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await n.proc?.stop(signal);
    n.proc = undefined;
  }

  /** A secondary's replica size, as it tells a promotion probe (get-secondary-state). */
  async replicaSize(n: ClusterNode): Promise<number> {
    const r = await fetch(`${internalUrl(n)}/get-secondary-state`);
    return parseSecondaryState(await r.text()).replica.size;
  }

  fresh(tag: string): TestLeaf {
    return makeLeaf(submitterSigner, `${tag} ${this.counter++}`);
  }
}

/**
 * Records what clients were promised and shown: every leaf answered 200 (and
 * by which node), every published tree head seen on any node. verify() checks
 * them against the final log: each 200 leaf has an inclusion proof in the
 * final head, and each head seen is consistent with it (no rollback, no fork).
 */
export class LogChecker {
  readonly accepted: { leaf: TestLeaf; node: string }[] = [];
  readonly heads: { head: CosignedTreeHead; node: string }[] = [];

  /** add-leaf through the checker: a 200 is recorded as a promise. */
  async addLeaf(node: ClusterNode, leaf: TestLeaf): Promise<number> {
    const status = await addLeaf(publicUrl(node), leaf.body).catch(() => 0);
    if (status === 200) this.accepted.push({ leaf, node: node.name });
    return status;
  }

  /** get-tree-head through the checker: every head seen is recorded. */
  async head(node: ClusterNode): Promise<CosignedTreeHead | undefined> {
    const th = await getTreeHead(publicUrl(node)).catch(() => undefined);
    if (th && !this.heads.some(x => x.head.size === th.size && bytesEqual(x.head.rootHash, th.rootHash)))
      this.heads.push({ head: th, node: node.name });
    return th;
  }

  /** Submits fresh leaves with `workers` clients and samples heads until stop() resolves. */
  stream(cluster: Cluster, target: () => ClusterNode | undefined, workers = 3): { stop: () => Promise<void> } {
    let running = true;
    const one = async (w: number) => {
      while (running) {
        const n = target();
        if (!n?.proc) {
          await new Promise(r => setTimeout(r, 50));
          continue;
        }
        const l = cluster.fresh(`stream ${w}`);
        for (let tries = 0; running && tries < 60; tries++) {
          const st = await this.addLeaf(n, l);
          if (st === 200) break;
          await new Promise(r => setTimeout(r, 50));
        }
      }
    };
    const sampler = (async () => {
      while (running) {
        for (const n of cluster.nodes.values()) if (n.proc) await this.head(n);
        await new Promise(r => setTimeout(r, 100));
      }
    })();
    const all = [...Array.from({ length: workers }, (_, w) => one(w)), sampler];
    return {
      stop: async () => {
        running = false;
        await Promise.all(all);
      },
    };
  }

  async verify(final: ClusterNode): Promise<CosignedTreeHead> {
    const url = publicUrl(final);
    const head = await getTreeHead(url);
    for (const { leaf, node } of this.accepted) {
      const r = await getInclusion(url, Math.max(head.size, 2), leaf.leafHash);
      assert.notEqual(
        typeof r,
        'number',
        `leaf ${toHex(leaf.leafHash)} answered 200 by ${node} has no inclusion proof in the final head (${head.size})`,
      );
    }
    for (const { head: seen, node } of this.heads) {
      assert.ok(
        seen.size <= head.size,
        `${node} published size ${seen.size}, the final head is smaller (${head.size}): rollback`,
      );
      if (seen.size === head.size)
        assert.ok(bytesEqual(seen.rootHash, head.rootHash), `fork at size ${seen.size} (${node})`);
      else if (seen.size > 0)
        assert.ok(
          verifyConsistency(
            seen.size,
            head.size,
            seen.rootHash,
            head.rootHash,
            await getConsistency(url, seen.size, head.size),
          ),
          `${node}'s published head of size ${seen.size} is not consistent with the final head of size ${head.size}: fork`,
        );
    }
    return head;
  }
}

/** Waits until the leaf gets 200 from `node` (through the checker). */
export async function until200(checker: LogChecker, node: ClusterNode, leaf: TestLeaf, what: string): Promise<void> {
  await waitFor(`${what}: 200`, async () => (await checker.addLeaf(node, leaf)) === 200, 20_000, 50);
}
