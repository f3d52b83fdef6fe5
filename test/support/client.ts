// A minimal Sigsum log client for tests, built on the project's protocol core.
import { sha256, type SyncSigner } from '../../src/sigsum/crypto.js';
import { formatAddLeafRequest, leafOfRequest, signLeaf } from '../../src/sigsum/leaf.js';
import { parseCosignedTreeHead, type CosignedTreeHead } from '../../src/sigsum/treehead.js';
import { AsciiParser } from '../../src/sigsum/ascii.js';
import { asHash, type Hash } from '../../src/sigsum/types.js';

export interface TestLeaf {
  body: string;
  message: Hash;
  leafHash: Hash;
  leaf: Uint8Array;
}

export function makeLeaf(signer: SyncSigner, data: string): TestLeaf {
  const message = sha256(Buffer.from(data));
  const req = { message, signature: signLeaf(signer, message), publicKey: signer.publicKey };
  const { leaf, leafHash } = leafOfRequest(req);
  return { body: formatAddLeafRequest(req), message, leafHash, leaf };
}

export async function addLeaf(url: string, body: string): Promise<number> {
  const r = await fetch(`${url}/add-leaf`, { method: 'POST', body });
  const text = await r.text();
  if (r.status === 200 && text !== '') throw new Error(`add-leaf 200 with a non-empty body: ${JSON.stringify(text)}`);
  return r.status;
}

export async function getTreeHead(url: string): Promise<CosignedTreeHead> {
  const r = await fetch(`${url}/get-tree-head`);
  if (r.status !== 200) throw new Error(`get-tree-head: ${r.status}`);
  return parseCosignedTreeHead(await r.text());
}

export async function getInclusion(
  url: string,
  size: number,
  leafHash: Uint8Array,
): Promise<{ index: number; path: Hash[] } | number> {
  const r = await fetch(`${url}/get-inclusion-proof/${size}/${Buffer.from(leafHash).toString('hex')}`);
  const text = await r.text();
  if (r.status !== 200) return r.status;
  const p = new AsciiParser(text);
  const index = p.getSafeInt('leaf_index');
  const path: Hash[] = [];
  while (!p.atEnd()) path.push(asHash(p.getHex('node_hash', 32)));
  return { index, path };
}

export async function getConsistency(url: string, oldSize: number, newSize: number): Promise<Hash[]> {
  const r = await fetch(`${url}/get-consistency-proof/${oldSize}/${newSize}`);
  const text = await r.text();
  if (r.status !== 200) throw new Error(`get-consistency-proof ${oldSize} ${newSize}: ${r.status} ${text}`);
  const p = new AsciiParser(text);
  const path: Hash[] = [];
  while (!p.atEnd()) path.push(asHash(p.getHex('node_hash', 32)));
  return path;
}

/** Runs `fn` over items with at most `n` in flight. */
export async function pool<T>(items: T[], n: number, fn: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}
