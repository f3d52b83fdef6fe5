// Complete Sigsum proofs: sigsum-go's end-to-end vectors, our formats.json
// proofs, and two real proofs from production test logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../../src/sigsum/crypto.js';
import { parsePublicKey } from '../../src/sigsum/keyfile.js';
import { parseProof, verifyProof } from '../../src/sigsum/proof.js';
import type { PublicKey } from '../../src/sigsum/types.js';
import { entry, h, vectors } from '../support/vectors.js';

function policyWitnesses(policy: string): PublicKey[] {
  return policy
    .split('\n')
    .filter(l => /^witness\s/.test(l))
    .map(l => parsePublicKey(l.trim().split(/\s+/)[2]));
}

test('sigsum-go TestVerify proof with one witness', () => {
  const v = entry('sigsum-go.json', 'proof-end-to-end');
  const p = parseProof(v.proof);
  const logKey = parsePublicKey(v.log_public_key_openssh);
  const submitter = parsePublicKey(v.submitter_public_key_openssh);
  const witness = parsePublicKey(v.witness_public_key_openssh);
  verifyProof(p, submitter, h(v.message_hex), { logKey, witnesses: [witness], quorum: 1 });
  assert.throws(
    () => verifyProof(p, submitter, sha256(h(v.message_hex)), { logKey, witnesses: [witness], quorum: 1 }),
    /leaf signature/,
  );
  assert.throws(
    () => verifyProof(p, submitter, h(v.message_hex), { logKey, witnesses: [], quorum: 1 }),
    /cosignatures/,
  );
});

test('sigsum-go proof without cosignatures', () => {
  const v = entry('sigsum-go.json', 'proof-no-cosignatures');
  verifyProof(parseProof(v.proof), parsePublicKey(v.submitter_public_key_openssh), h(v.message_hex), {
    logKey: parsePublicKey(v.log_public_key_openssh),
    witnesses: [],
    quorum: 0,
  });
});

test('sigsum-go proof ASCII, versions 1 and 2, sizes 1 and 4', () => {
  for (const id of ['proof-ascii-size-1', 'proof-ascii-size-4']) {
    const v = entry('sigsum-go.json', id);
    const p2 = parseProof(v.proof_v2);
    const p1 = parseProof(v.proof_v1);
    assert.equal(p2.version, 2);
    assert.equal(p1.version, 1);
    assert.deepEqual(p1.treeHead, p2.treeHead);
    assert.deepEqual(p1.path, p2.path);
  }
});

test('formats.json proofs verify against their policy', () => {
  for (const id of ['sigsum-proof-hello', 'sigsum-proof-3']) {
    const v = entry('formats.json', id);
    const logKey = parsePublicKey(v.policy.split('\n')[0].split(' ')[1]);
    verifyProof(parseProof(v.proof), parsePublicKey(v.submitter_public_key_openssh), sha256(Buffer.from(v.data)), {
      logKey,
      witnesses: policyWitnesses(v.policy),
      quorum: 1,
    });
  }
});

test('real production proofs: barreleye (v1, 2 of 3) and serviceberry (v2)', () => {
  const prod = vectors('production-barreleye.json');
  const b = prod.entries[0];
  const witnesses = policyWitnesses(b.policy_file);
  const p = parseProof(b.proof);
  assert.equal(p.treeHead.size, 930);
  assert.equal(p.leafIndex, 929);
  verifyProof(p, parsePublicKey(b.submitter_public_key), sha256(Buffer.from(b.message)), {
    logKey: parsePublicKey(b.log_public_key),
    witnesses,
    quorum: 2,
  });
  assert.throws(() =>
    verifyProof(p, parsePublicKey(b.submitter_public_key), sha256(Buffer.from('test2\n')), {
      logKey: parsePublicKey(b.log_public_key),
      witnesses,
      quorum: 2,
    }),
  );
  assert.throws(
    () => parseProof(b.proof_as_in_test),
    'the sigsum-ts test text has a stray line that sigsum-go rejects',
  );
  const s = prod.other_production_logs[0];
  const ws = s.cosignatures
    .filter((c: { witness_public_key: string | null }) => c.witness_public_key)
    .map((c: { witness_public_key: string }) => parsePublicKey(c.witness_public_key));
  verifyProof(parseProof(s.proof), parsePublicKey(s.submitter_public_key), sha256(Buffer.from(s.message)), {
    logKey: parsePublicKey(s.log_public_key),
    witnesses: ws,
    quorum: ws.length,
  });
});
