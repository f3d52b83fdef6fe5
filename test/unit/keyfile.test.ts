// OpenSSH key files as written by sigsum-key and ssh-keygen, and our own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatPrivateKey,
  formatPublicKey,
  parsePrivateKey,
  parsePublicKey,
  KeyFileError,
} from '../../src/sigsum/keyfile.js';
import { dataFile, entry, h, hx } from '../support/vectors.js';

test('public keys: OpenSSH lines and hex from formats.json', () => {
  for (const id of ['key-submitter', 'key-log', 'key-witness', 'key-secondary']) {
    const v = entry('formats.json', id);
    assert.equal(hx(parsePublicKey(v.public_key_openssh)), v.public_key);
    assert.equal(hx(parsePublicKey(v.public_key + '\n')), v.public_key);
    assert.equal(formatPublicKey(h(v.public_key), '').trim(), v.public_key_openssh);
  }
});

test('private keys written by sigsum-key generate and ssh-keygen', () => {
  for (const name of ['sigsum-key-generated.key', 'ssh-keygen-generated.key']) {
    const signer = parsePrivateKey(dataFile(name));
    assert.equal(hx(signer.publicKey), hx(parsePublicKey(dataFile(name + '.pub'))), name);
  }
});

test('our private key format round-trips and matches the ssh layout', () => {
  const seed = h(entry('formats.json', 'key-log').private_seed);
  const text = formatPrivateKey(seed);
  assert.match(
    text,
    /^-----BEGIN OPENSSH PRIVATE KEY-----\n([A-Za-z0-9+/=]{70}\n)+[A-Za-z0-9+/=]{1,70}\n-----END OPENSSH PRIVATE KEY-----\n$/,
  );
  assert.equal(hx(parsePrivateKey(text).publicKey), entry('formats.json', 'key-log').public_key);
  assert.equal(
    hx(parsePrivateKey(hx(seed)).publicKey),
    entry('formats.json', 'key-log').public_key,
    'raw hex seed (log-go legacy form)',
  );
});

test('malformed key files are rejected with a reason', () => {
  assert.throws(() => parsePublicKey('ssh-rsa AAAAB3NzaC1yc2E= x'), KeyFileError);
  assert.throws(() => parsePublicKey('ssh-ed25519 AAAA'), KeyFileError);
  assert.throws(() => parsePublicKey('abcd'), KeyFileError);
  assert.throws(() => parsePrivateKey('hello'), KeyFileError);
  const good = dataFile('ssh-keygen-generated.key');
  const lines = good.split('\n');
  lines[2] = lines[2].slice(0, 10) + (lines[2][10] === 'A' ? 'B' : 'A') + lines[2].slice(11);
  assert.throws(() => parsePrivateKey(lines.join('\n')), KeyFileError);
});
