// Leaves and add-leaf requests against formats.json (cross-checked with sigsum-submit and log-go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeedSigner, sha256 } from '../../src/sigsum/crypto.js';
import {
  leafFromBytes,
  leafLine,
  leafOfRequest,
  leafSignedData,
  leafToBytes,
  parseAddLeafRequest,
  parseLeaves,
  signLeaf,
  verifyLeafSignature,
} from '../../src/sigsum/leaf.js';
import { leafHash } from '../../src/sigsum/merkle.js';
import type { Hash } from '../../src/sigsum/types.js';
import { entry, h, hx } from '../support/vectors.js';

const submitter = new SeedSigner(h(entry('formats.json', 'key-submitter').private_seed));

test('formats.json leaves: every intermediate value', () => {
  for (let i = 0; i < 5; i++) {
    const v = entry('formats.json', `leaf-${i}`);
    const message = sha256(Buffer.from(v.data));
    assert.equal(hx(message), v.message);
    const checksum = sha256(message);
    assert.equal(hx(checksum), v.checksum);
    assert.equal(hx(leafSignedData(checksum)), v.leaf_signed_data_hex);
    assert.equal(hx(signLeaf(submitter, message)), v.signature);
    const req = parseAddLeafRequest(v.add_leaf_body);
    const { leaf, leafHash: lh } = leafOfRequest(req);
    assert.equal(hx(leaf), v.leaf_binary_hex);
    assert.equal(hx(lh), v.leaf_hash);
    assert.equal(leafLine(leaf), v.get_leaves_line);
    assert.equal(hx(leafToBytes(leafFromBytes(leaf))), v.leaf_binary_hex);
    assert.ok(verifyLeafSignature(req.publicKey, checksum, req.signature));
  }
});

test('sigsum-go leaf formats', () => {
  const v = entry('sigsum-go.json', 'leaf-formats');
  const checksum = sha256(h(v.message));
  assert.equal(hx(checksum), v.checksum);
  assert.equal(hx(leafSignedData(checksum)), v.leaf_signed_data_hex);
  assert.equal(hx(leafHash(h(v.leaf_binary_hex))), v.leaf_hash);
  assert.equal(leafLine(h(v.leaf_binary_hex)), v.ascii);
});

test('get-leaves responses parse back to the leaves', () => {
  const v = entry('formats.json', 'get-leaves-responses');
  const all = parseLeaves(v.responses[0].response);
  assert.equal(all.length, 5);
  for (let i = 0; i < 5; i++) assert.equal(hx(all[i]), entry('formats.json', `leaf-${i}`).leaf_binary_hex);
});

test('a signature by another key does not verify', () => {
  const v = entry('formats.json', 'leaf-0');
  const other = new SeedSigner(h(entry('formats.json', 'key-witness').private_seed));
  assert.equal(verifyLeafSignature(other.publicKey, h(v.checksum) as Hash, h(v.signature) as never), false);
});
