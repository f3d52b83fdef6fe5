// Loads the verified test vectors copied into test/data from the shared reference.
import { readFileSync } from 'node:fs';
import { CompactRange, type NodeReader } from '../../src/sigsum/merkle.js';
import type { Hash } from '../../src/sigsum/types.js';

const DATA = new URL('../data/', import.meta.url);

export function vectors(file: string): any {
  return JSON.parse(readFileSync(new URL(file, DATA), 'utf8'));
}

export function entry(file: string, id: string): any {
  const e = vectors(file).entries.find((x: { id: string }) => x.id === id);
  if (!e) throw new Error(`no vector ${id} in ${file}`);
  return e;
}

export function dataFile(name: string): string {
  return readFileSync(new URL(name, DATA), 'utf8');
}

export const h = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
export const hx = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** An in-memory store of every complete subtree over the given leaf hashes. */
export function memoryTree(leafHashes: Uint8Array[]): NodeReader {
  const nodes = new Map<string, Hash>();
  const edge = CompactRange.empty();
  for (const lh of leafHashes) edge.append(lh as Hash, (level, index, hash) => nodes.set(`${level}/${index}`, hash));
  return (level, index) => {
    const n = nodes.get(`${level}/${index}`);
    if (!n) throw new Error(`no node ${level}/${index}`);
    return n;
  };
}

/**
 * The status a vector case expects, as the reference log-go build answers it:
 * the vectors record redirects as 301 (Go 1.25, sigsum-go's tests) and note
 * that the Go 1.26-built log-go answers 307 with the same Location, which is
 * what sigsum-log matches.
 */
export function referenceStatus(c: { expect_status: number }): number {
  return c.expect_status === 301 ? 307 : c.expect_status;
}
