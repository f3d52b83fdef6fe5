// Shared fixtures: temporary directories, the formats.json keys and leaves,
// and a condition-polling helper (tests wait for conditions, never sleep blindly).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeedSigner } from '../../src/sigsum/crypto.js';
import { leafOfRequest, parseAddLeafRequest } from '../../src/sigsum/leaf.js';
import type { NewLeaf } from '../../src/storage/ports.js';
import { entry, h } from './vectors.js';

export const logSigner = new SeedSigner(h(entry('formats.json', 'key-log').private_seed));
export const submitterSigner = new SeedSigner(h(entry('formats.json', 'key-submitter').private_seed));

export function formatsLeaves(): { body: string; newLeaf: NewLeaf }[] {
  const out = [];
  for (let i = 0; i < 5; i++) {
    const body = entry('formats.json', `leaf-${i}`).add_leaf_body as string;
    const { leaf, leafHash } = leafOfRequest(parseAddLeafRequest(body));
    out.push({ body, newLeaf: { leaf, leafHash } });
  }
  return out;
}

export function tempDir(t: { after: (fn: () => unknown) => void }, prefix = 'sigsum-log-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise(r => setTimeout(r, everyMs));
  }
}

/** A clock the test moves: wall time (which may be set back) and a monotonic time that only advances. */
export class FakeClock {
  private mono = 0;
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  monotonic(): number {
    return this.mono;
  }
  advance(ms: number): void {
    this.t += ms;
    this.mono += ms;
  }
  /** Moves only the wall clock (a clock set back or forth by an operator or NTP). */
  setWall(t: number): void {
    this.t = t;
  }
}
