// Typed node state: the small durable values a node keeps besides its tree,
// each with one owner. Keys and encodings live only here; the composition root
// hands each owner its cells (StateCell<T>), so who writes what is visible in
// the wiring, not a convention.
import {
  formatCosignedTreeHead,
  formatSignedTreeHead,
  parseCosignedTreeHead,
  parseSignedTreeHead,
  type CosignedTreeHead,
  type SignedTreeHead,
} from '../sigsum/treehead.js';
import type { StateCell } from './ports.js';

/** Raw key-value access, implemented by the SQLite store. */
export interface KeyValueStore {
  getState(key: string): string | undefined;
  setState(values: Record<string, string>, durable?: boolean): void;
}

interface Codec<T> {
  encode(v: T): string;
  decode(s: string): T;
}

function cell<T>(kv: KeyValueStore, key: string, codec: Codec<T>): StateCell<T> {
  return {
    get: () => {
      const s = kv.getState(key);
      return s === undefined ? undefined : codec.decode(s);
    },
    set: (v, durable = true) => kv.setState({ [key]: codec.encode(v) }, durable),
  };
}

/** JSON with a decoder that checks what it reads (a damaged value is an error, not a wrong value). */
function json<T>(revive: (raw: unknown) => T): Codec<T> {
  return {
    encode: v => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)),
    decode: s => revive(JSON.parse(s)),
  };
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`stored ${what} is not a number`);
  return v;
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`stored ${what} is not an object`);
  return Object.fromEntries(Object.entries(v));
}

/** What the log remembers of a witness: the size it has cosigned and its last cosignature time (seconds). */
export interface WitnessMemory {
  size: number;
  timestamp: bigint;
}

/** When the latest signing round signed (a re-sign of an unchanged head included). */
export interface LastSigning {
  size: number;
  /** Unix ms. */
  at: number;
}

/** The scrubber's position: the next leaf to check and the right edge of what it has checked. */
export interface ScrubCursor {
  position: number;
  /** Peaks of the compact range over [0, position), hex, largest first. */
  peaks: string[];
  /** Unix ms when the current pass started. */
  passStarted: number;
  /** Unix ms when the last full pass ended, if one did. */
  lastComplete?: number;
}

export interface NodeState {
  /** Primary: the published head with its cosignatures. Secondary: the published head it serves. Owner: the role's log. */
  publishedTreeHead: StateCell<CosignedTreeHead>;
  /** Secondary: the largest head signed by the log key that it has seen. Owner: SecondaryLog. */
  seenTreeHead: StateCell<SignedTreeHead>;
  /** Primary: per witness (by key hash hex). Owner: Cosigner. */
  witnesses: StateCell<Record<string, WitnessMemory>>;
  /** Primary: the latest signing round. Owner: PrimaryLog. */
  lastSigning: StateCell<LastSigning>;
  /** Primary: unix ms when the published head last changed (a new head or new cosignatures). Owner: PrimaryLog. */
  publishedAt: StateCell<number>;
  /** Owner: Scrubber. */
  scrub: StateCell<ScrubCursor>;
}

function reviveWitnesses(raw: unknown): Record<string, WitnessMemory> {
  const out: Record<string, WitnessMemory> = {};
  for (const [k, v] of Object.entries(obj(raw, 'witness state'))) {
    const m = obj(v, 'witness state');
    if (typeof m.timestamp !== 'string' || !/^\d+$/.test(m.timestamp))
      throw new Error('stored witness timestamp is not a decimal');
    out[k] = { size: num(m.size, 'witness size'), timestamp: BigInt(m.timestamp) };
  }
  return out;
}

function reviveLastSigning(raw: unknown): LastSigning {
  const o = obj(raw, 'last signing');
  return { size: num(o.size, 'last signing size'), at: num(o.at, 'last signing time') };
}

function reviveScrub(raw: unknown): ScrubCursor {
  const o = obj(raw, 'scrub cursor');
  if (!Array.isArray(o.peaks) || !o.peaks.every((p): p is string => typeof p === 'string' && /^[0-9a-f]{64}$/.test(p)))
    throw new Error('stored scrub peaks are malformed');
  return {
    position: num(o.position, 'scrub position'),
    peaks: o.peaks,
    passStarted: num(o.passStarted, 'scrub pass start'),
    ...(o.lastComplete === undefined ? {} : { lastComplete: num(o.lastComplete, 'scrub completion') }),
  };
}

export function nodeState(kv: KeyValueStore): NodeState {
  return {
    publishedTreeHead: cell(kv, 'published_tree_head', {
      encode: formatCosignedTreeHead,
      decode: parseCosignedTreeHead,
    }),
    seenTreeHead: cell(kv, 'seen_tree_head', { encode: formatSignedTreeHead, decode: parseSignedTreeHead }),
    witnesses: cell(kv, 'witness_state', json(reviveWitnesses)),
    lastSigning: cell(kv, 'last_signing', json(reviveLastSigning)),
    publishedAt: cell(
      kv,
      'published_at',
      json(v => num(v, 'publication time')),
    ),
    scrub: cell(kv, 'scrub', json(reviveScrub)),
  };
}
