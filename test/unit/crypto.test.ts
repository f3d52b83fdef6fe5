// SHA-256, Ed25519 signing and strict verification. The OpenSSL fast path must
// give the same verdict as an independent implementation of Go's
// crypto/ed25519 algorithm (ed25519-ref.ts, on @noble/ed25519) on honest
// signatures, forgeries and every edge case where libraries are known to differ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as ed from '@noble/ed25519';
import {
  SeedSigner,
  sha256,
  sodiumAccepts,
  verify,
  verifyAsync,
  isSpecialPublicKeyEncoding,
} from '../../src/sigsum/crypto.js';
import { VerifyPool } from '../../src/node/verify-pool.js';
import { Logger } from '../../src/util/logger.js';
import { verifyGoSemantics } from '../../src/sigsum/ed25519-ref.js';
import { submitTokenSignedData } from '../../src/sigsum/token.js';
import type { PublicKey, Signature } from '../../src/sigsum/types.js';
import { entry, h, hx, vectors } from '../support/vectors.js';

const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const P = (1n << 255n) - 19n;
const le = (v: bigint): Uint8Array => {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return b;
};
const sig = (r: Uint8Array, s: bigint) => Buffer.concat([r, le(s)]) as unknown as Signature;

async function both(pub: Uint8Array, msg: Uint8Array, s: Uint8Array): Promise<boolean> {
  const fast = verify(pub as PublicKey, msg, s as Signature);
  const fastAsync = await verifyAsync(pub as PublicKey, msg, s as Signature);
  const ref = verifyGoSemantics(pub, msg, s);
  assert.equal(fast, ref, `fast path and Go reference disagree for key ${hx(pub)} sig ${hx(s)}`);
  assert.equal(fastAsync, ref, 'async path disagrees');
  return ref;
}

test('SHA-256 sanity values', () => {
  for (const c of entry('sigsum-go.json', 'sha256').cases) assert.equal(hx(sha256(Buffer.from(c.input))), c.sha256);
});

test('RFC 8032 test 2: deterministic signing and verification', async () => {
  const v = entry('sigsum-go.json', 'ed25519-rfc8032-test2');
  const s = new SeedSigner(h(v.seed));
  assert.equal(hx(s.publicKey), v.public_key);
  assert.equal(hx(s.sign(h(v.message_hex))), v.signature);
  assert.equal(await both(s.publicKey, h(v.message_hex), h(v.signature)), true);
});

test('fixed-seed keys of formats.json and their key hashes', () => {
  for (const id of ['key-submitter', 'key-log', 'key-witness', 'key-secondary', 'key-token-test-domain']) {
    const v = entry('formats.json', id);
    const s = new SeedSigner(h(v.private_seed));
    assert.equal(hx(s.publicKey), v.public_key, id);
    assert.equal(hx(sha256(s.publicKey)), v.key_hash, id);
  }
});

test('submit tokens: signed data and signature', async () => {
  const v = entry('formats.json', 'submit-token');
  const logKey = h(entry('formats.json', 'key-log').public_key) as PublicKey;
  assert.equal(hx(submitTokenSignedData(logKey)), v.signed_data_hex);
  const tokenKey = new SeedSigner(h(entry('formats.json', 'key-token-test-domain').private_seed));
  assert.equal(hx(tokenKey.sign(submitTokenSignedData(logKey))), v.token);
  const w = entry('sigsum-go.json', 'submit-token-test-domain');
  assert.equal(await both(h(w.token_public_key), h(w.signed_data_hex), h(w.token)), true);
});

test('honest signatures and single-bit forgeries: fast path agrees with the Go reference', async () => {
  for (let i = 0; i < 40; i++) {
    const s = new SeedSigner(new Uint8Array(randomBytes(32)));
    const msg = new Uint8Array(randomBytes(1 + (i % 70)));
    const good = s.sign(msg);
    assert.equal(await both(s.publicKey, msg, good), true);
    const bad = Uint8Array.from(good);
    bad[i % 64] ^= 1 << (i % 8);
    assert.equal(await both(s.publicKey, msg, bad), false);
    const badMsg = Uint8Array.from(msg);
    badMsg[0] ^= 0x80;
    assert.equal(await both(s.publicKey, badMsg, good), false);
  }
});

test('non-canonical S (S + L) is rejected, as Go does', async () => {
  const s = new SeedSigner(h('01'.repeat(32)));
  const msg = Buffer.from('hello');
  const good = s.sign(msg);
  const S = BigInt('0x' + Buffer.from(good.subarray(32)).reverse().toString('hex'));
  assert.equal(await both(s.publicKey, msg, sig(good.subarray(0, 32), S + L)), false);
  assert.equal(await both(s.publicKey, msg, sig(good.subarray(0, 32), S)), true);
});

test('small-order and non-canonical public keys: Go semantics', async () => {
  const identity = le(1n); // y = 1, x = 0: canonical encoding of the identity
  const S = 12345n;
  const R = ed.Point.BASE.multiply(S).toBytes();
  const msg = Buffer.from('any message at all');
  // [k]A = identity, so (R = [S]B, S) verifies under Go for any message.
  assert.equal(isSpecialPublicKeyEncoding(identity), false);
  assert.equal(await both(identity, msg, sig(R, S)), true);
  // The same point with y = p + 1 (non-canonical): Go accepts the encoding.
  const nonCanonical = le(P + 1n);
  assert.equal(isSpecialPublicKeyEncoding(nonCanonical), true);
  assert.equal(await both(nonCanonical, msg, sig(R, S)), true);
  // x = 0 with the sign bit set: Go decodes it (to the identity) too.
  const signBit = le(1n);
  signBit[31] |= 0x80;
  assert.equal(isSpecialPublicKeyEncoding(signBit), true);
  assert.equal(await both(signBit, msg, sig(R, S)), true);
  // Non-canonical R (identity as y = p + 1) never equals the canonical R'.
  assert.equal(await both(identity, msg, sig(le(P + 1n), 0n)), false);
  assert.equal(await both(identity, msg, sig(le(1n), 0n)), true);
  // A torsioned key A = B + T (T of order 4): [k]A has a torsion part [S]B never has.
  const torsioned = ed.Point.BASE.add(ed.Point.fromBytes(le(0n), true)).toBytes();
  assert.equal(await both(torsioned, msg, sig(R, S)), false);
});

test("Go crypto/ed25519's own verdicts on the ed25519-speccheck edge cases: both paths give exactly those", async () => {
  const cases = vectors('ed25519-speccheck.json').cases as {
    id: number;
    message: string;
    public_key: string;
    signature: string;
    go_accepts: boolean;
  }[];
  assert.equal(cases.length, 12);
  for (const c of cases)
    assert.equal(await both(h(c.public_key), h(c.message), h(c.signature)), c.go_accepts, `case ${c.id}`);
});

test('public keys that are not curve points are rejected', async () => {
  let found = 0;
  for (let y = 2n; found < 3 && y < 100n; y++) {
    const enc = le(y);
    let onCurve = true;
    try {
      ed.Point.fromBytes(enc, true);
    } catch {
      onCurve = false;
    }
    if (onCurve) continue;
    found++;
    assert.equal(await both(enc, Buffer.from('m'), sig(ed.Point.BASE.toBytes(), 1n)), false);
  }
  assert.equal(found, 3);
});

test('wrong lengths never verify', () => {
  const s = new SeedSigner(h('02'.repeat(32)));
  const good = s.sign(Buffer.from('x'));
  assert.equal(verify(s.publicKey.subarray(0, 31) as PublicKey, Buffer.from('x'), good), false);
  assert.equal(verify(s.publicKey, Buffer.from('x'), good.subarray(0, 63) as Signature), false);
});

/** Deterministic pseudo-random bytes (a counter hashed), so a failing case can be reproduced. */
function* bytesStream(seed: string): Generator<Uint8Array> {
  for (let i = 0; ; i++) yield createHash('sha512').update(`${seed} ${i}`).digest().subarray(0, 32);
}
const leBig = (b: Uint8Array) => BigInt('0x' + (Buffer.from(b).reverse().toString('hex') || '0'));
const TORSION = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
].map(x => ed.Point.fromBytes(h(x), true));

test("randomized: libsodium only accepts what Go accepts, and the fast path gives exactly Go's verdict (also batched on threads)", async () => {
  const rnd = bytesStream('ed25519 differential');
  const next = () => rnd.next().value as Uint8Array;
  const scalar = () => leBig(next()) % L;
  const k = (R: Uint8Array, A: Uint8Array, m: Uint8Array) =>
    leBig(createHash('sha512').update(R).update(A).update(m).digest()) % L;
  const cases: { what: string; pub: Uint8Array; msg: Uint8Array; sig: Uint8Array }[] = [];
  for (let i = 0; i < 400; i++) {
    const msg = next().subarray(0, 1 + (i % 31));
    const a = scalar() || 1n;
    const T = TORSION[i % 8];
    const kind = ['honest', 'mixed-order key', 'small-order key', 'non-canonical key', 'random key'][i % 5];
    let Apoint: ed.Point | undefined;
    let pub: Uint8Array;
    if (kind === 'honest') pub = (Apoint = ed.Point.BASE.multiply(a)).toBytes();
    else if (kind === 'mixed-order key') pub = (Apoint = ed.Point.BASE.multiply(a).add(T)).toBytes();
    else if (kind === 'small-order key') pub = (Apoint = T).toBytes();
    else if (kind === 'non-canonical key') {
      // y + p for the torsion points with small y (0 and 1): the same points, encoded non-canonically.
      const y = i % 2 === 0 ? 0n : 1n;
      pub = le(y + P);
      if (i % 4 === 3) pub[31] |= 0x80;
      Apoint = undefined;
    } else pub = next();
    // A signature that satisfies Go's cofactorless equation when it can: R = [r]B - [k]T-part, found by trying r.
    let R = ed.Point.BASE.multiply(scalar() || 1n).toBytes();
    let S = 0n;
    for (let tries = 0; tries < 16; tries++) {
      const r = scalar() || 1n;
      R = ed.Point.BASE.multiply(r).toBytes();
      const kk = k(R, pub, msg);
      if (kind === 'honest') {
        S = (r + kk * a) % L;
        break;
      }
      if (kind === 'mixed-order key' && T.multiply(kk === 0n ? 1n : kk, false).equals(ed.Point.ZERO)) {
        S = (r + kk * a) % L;
        break;
      }
      if (
        (kind === 'small-order key' || kind === 'non-canonical key') &&
        (kk === 0n || T.multiply(kk, false).equals(ed.Point.ZERO))
      ) {
        S = r;
        break;
      }
      S = r;
    }
    void Apoint;
    const variants: [string, Uint8Array][] = [
      ['as made', sig(R, S)],
      ['S + L', sig(R, S + L)],
      ['R non-canonical', sig(le(leBig(R) + (leBig(R) < 19n ? P : 0n)), S)],
      ['R small order', sig(TORSION[(i + 3) % 8].toBytes(), S)],
      ['message changed', sig(R, S)],
    ];
    for (const [v, s] of variants)
      cases.push({
        what: `${i} ${kind} ${v}`,
        pub,
        msg: v === 'message changed' ? Buffer.concat([msg, Buffer.from('!')]) : msg,
        sig: s,
      });
  }
  const pool = VerifyPool.start(2, Logger.memory('error').logger)!;
  assert.ok(pool, 'libsodium loaded');
  try {
    const pooled = await Promise.all(cases.map(c => pool.verify(c.pub as PublicKey, c.msg, c.sig as Signature)));
    let goAccepts = 0;
    let fallbackAccepts = 0;
    cases.forEach((c, i) => {
      const ref = verifyGoSemantics(c.pub, c.msg, c.sig);
      const sodiumSays = sodiumAccepts(c.pub, c.msg, c.sig);
      assert.ok(!sodiumSays || ref, `libsodium accepts what Go rejects: ${c.what}`);
      assert.equal(verify(c.pub as PublicKey, c.msg, c.sig as Signature), ref, `fast path: ${c.what}`);
      assert.equal(pooled[i], ref, `pool: ${c.what}`);
      if (ref) goAccepts++;
      if (ref && !sodiumSays) fallbackAccepts++;
    });
    // The generator must reach both kinds of interesting case, or the test proves little.
    assert.ok(goAccepts >= 150, `${goAccepts} cases Go accepts`);
    assert.ok(fallbackAccepts >= 20, `${fallbackAccepts} cases only the fallback accepts (libsodium is stricter)`);
  } finally {
    await pool.close();
  }
});

test('verification threads that die: pending verdicts still come from the fallback, and the pool retires', async () => {
  const { logger, lines } = Logger.memory('error');
  const pool = VerifyPool.start(1, logger)!;
  const seed = randomBytes(32);
  const pub = await ed.getPublicKeyAsync(seed);
  const msg = Buffer.from('a message');
  const good = await ed.signAsync(msg, seed);
  const bad = Uint8Array.from(good);
  bad[0] ^= 1;
  const threads = (pool as unknown as { threads: { worker: { terminate(): Promise<number> } }[] }).threads;
  try {
    for (let round = 0; round < 7; round++) {
      // Requests in flight when the thread is killed are decided by the fallback, never lost.
      const verdicts = Promise.all([
        pool.verify(pub as PublicKey, msg, good as Signature),
        pool.verify(pub as PublicKey, msg, bad as Signature),
      ]);
      await new Promise(r => setImmediate(r)); // the batch has been sent
      await threads[0].worker.terminate();
      assert.deepEqual(await verdicts, [true, false], `round ${round}`);
    }
    assert.ok(
      lines.some(l => l.includes('keep failing')),
      lines.join('\n'),
    );
    // Retired: every verdict from the fallback, still Go's.
    assert.deepEqual(
      await Promise.all([
        pool.verify(pub as PublicKey, msg, good as Signature),
        pool.verify(pub as PublicKey, msg, bad as Signature),
      ]),
      [true, false],
    );
  } finally {
    await pool.close();
  }
});
