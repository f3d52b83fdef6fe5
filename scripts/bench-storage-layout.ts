// Measures the two candidate SQLite layouts for Merkle node hashes on this
// machine and prints ratios measured in the same run (no absolute claims):
//   rows:  one row per complete subtree, (level, idx) -> 32-byte hash
//          (what src/storage/sqlite.ts uses);
//   tiles: tlog-tiles-shaped blobs, 256 hashes of level 8k per tile; hashes of
//          the levels in between are recomputed from the tile.
// Usage: npx tsx scripts/bench-storage-layout.ts [log2(leaves), default 17]
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactRange, inclusionProof, leafHash, nodeHash, rootHash, type NodeReader } from '../src/sigsum/merkle.js';
import type { Hash } from '../src/sigsum/types.js';

const bits = Number(process.argv[2] ?? 17);
const N = 2 ** bits;
const dir = mkdtempSync(join(tmpdir(), 'layout-bench-'));

function open(name: string): Database.Database {
  const db = new Database(join(dir, name));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

const rows = open('rows.db');
rows.exec('CREATE TABLE nodes(level INTEGER, idx INTEGER, hash BLOB, PRIMARY KEY(level, idx)) WITHOUT ROWID');
const tiles = open('tiles.db');
tiles.exec('CREATE TABLE tiles(level INTEGER, idx INTEGER, data BLOB, PRIMARY KEY(level, idx)) WITHOUT ROWID');

// Build the tree once, writing both layouts (full tiles only; N is a power of two).
const insRow = rows.prepare('INSERT INTO nodes VALUES (?, ?, ?)');
const insTile = tiles.prepare('INSERT INTO tiles VALUES (?, ?, ?)');
const pendingTiles = new Map<string, Buffer[]>();
const edge = CompactRange.empty();
const t0 = performance.now();
rows.exec('BEGIN');
tiles.exec('BEGIN');
for (let i = 0; i < N; i++) {
  edge.append(leafHash(Buffer.from(`leaf ${i}`)), (level, idx, h) => {
    insRow.run(level, idx, h);
    if (level % 8 !== 0) return;
    const tl = level / 8;
    const tidx = Math.floor(idx / 256);
    const k = `${tl}/${tidx}`;
    const list = pendingTiles.get(k) ?? [];
    list.push(Buffer.from(h));
    pendingTiles.set(k, list);
    if (list.length === 256) {
      insTile.run(tl, tidx, Buffer.concat(list));
      pendingTiles.delete(k);
    }
  });
}
for (const [k, list] of pendingTiles) {
  const [tl, tidx] = k.split('/').map(Number);
  insTile.run(tl, tidx, Buffer.concat(list)); // partial tiles of the upper strata
}
rows.exec('COMMIT');
tiles.exec('COMMIT');
const buildMs = performance.now() - t0;

const getRow = rows.prepare('SELECT hash FROM nodes WHERE level = ? AND idx = ?').pluck();
const readRows: NodeReader = (level, idx) => getRow.get(level, idx) as Hash;

const getTile = tiles.prepare('SELECT data FROM tiles WHERE level = ? AND idx = ?').pluck();
const readTiles: NodeReader = (level, idx) => {
  const stratum = Math.floor(level / 8);
  const h = level - stratum * 8; // height above the tile's base level
  const width = 2 ** h; // base hashes under this node
  const baseIdx = idx * width; // index at level stratum*8
  const tile = getTile.get(stratum, Math.floor(baseIdx / 256)) as Buffer;
  let layer: Uint8Array[] = [];
  const off = baseIdx % 256;
  for (let i = 0; i < width; i++) layer.push(tile.subarray((off + i) * 32, (off + i + 1) * 32));
  while (layer.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < layer.length; i += 2) next.push(nodeHash(layer[i], layer[i + 1]));
    layer = next;
  }
  return layer[0] as Hash;
};

if (Buffer.compare(Buffer.from(rootHash(readRows, N)), Buffer.from(rootHash(readTiles, N))) !== 0)
  throw new Error('layouts disagree');

function proofsPerSecond(read: NodeReader): number {
  let x = 12345;
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 2000) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const size = N - (x % 1000);
    inclusionProof(read, x % size, size);
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

proofsPerSecond(readRows); // warm-up
const r = proofsPerSecond(readRows);
const tl = proofsPerSecond(readTiles);
const rowsSize = statSync(join(dir, 'rows.db')).size + statSync(join(dir, 'rows.db-wal')).size;
const tilesSize = statSync(join(dir, 'tiles.db')).size + statSync(join(dir, 'tiles.db-wal')).size;
console.log(`tree of 2^${bits} leaves (built both layouts in ${(buildMs / 1000).toFixed(1)} s)`);
console.log(`inclusion proofs/s, rows / tiles: ${(r / tl).toFixed(2)}x`);
console.log(`bytes on disk, rows / tiles:      ${(rowsSize / tilesSize).toFixed(2)}x`);
rows.close();
tiles.close();
rmSync(dir, { recursive: true, force: true });
