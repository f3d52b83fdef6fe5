// Tree heads, checkpoints, cosignatures and note signature lines against
// formats.json (byte-identical to log-go 0.15.2) and sigsum-go's fixed vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeedSigner } from '../../src/sigsum/crypto.js';
import {
  checkpointSignatureLine,
  cosignatureLine,
  keyId,
  KEY_TYPE_COSIGNATURE,
  KEY_TYPE_ED25519,
  parseCosignatureBlob,
  parseSignatureLine,
  signCheckpoint,
  verifyNoteSignature,
} from '../../src/sigsum/checkpoint.js';
import {
  checkpointBody,
  cosignedMessage,
  formatCosignature,
  formatSignedTreeHead,
  originForKey,
  parseCosignedTreeHead,
  parseSignedTreeHead,
  signTreeHeadSync,
  verifyCosignature,
  verifyTreeHead,
} from '../../src/sigsum/treehead.js';
import { parsePublicKey } from '../../src/sigsum/keyfile.js';
import type { Hash, PublicKey } from '../../src/sigsum/types.js';
import { entry, h, hx } from '../support/vectors.js';

const logKey = new SeedSigner(h(entry('formats.json', 'key-log').private_seed));
const witness = new SeedSigner(h(entry('formats.json', 'key-witness').private_seed));

test('formats.json signed tree heads (sizes 0, 2, 5): body, signature, ASCII, note', () => {
  assert.equal(originForKey(logKey.publicKey), entry('formats.json', 'key-log').origin);
  for (const size of [0, 2, 5]) {
    const v = entry('formats.json', `tree-head-size-${size}`);
    const th = { size, rootHash: h(v.root_hash) as Hash };
    assert.equal(checkpointBody(originForKey(logKey.publicKey), th), v.checkpoint_body);
    const sth = signTreeHeadSync(logKey, th);
    assert.equal(hx(sth.signature), v.signature);
    assert.equal(formatSignedTreeHead(sth), v.ascii);
    assert.ok(verifyTreeHead(logKey.publicKey, parseSignedTreeHead(v.ascii)));
    assert.equal(hx(keyId(originForKey(logKey.publicKey), KEY_TYPE_ED25519, logKey.publicKey)), v.log_key_id);
    assert.equal(signCheckpoint(logKey, th), v.checkpoint_note);
    assert.equal(
      v.checkpoint_body + '\n' + checkpointSignatureLine(logKey.publicKey, sth.signature),
      v.checkpoint_note,
    );
    assert.ok(
      verifyNoteSignature(
        v.checkpoint_body,
        v.checkpoint_note.split('\n\n')[1],
        originForKey(logKey.publicKey),
        logKey.publicKey,
      ),
    );
  }
});

test('secondary tree head is signed with the secondary key and its own origin', () => {
  const v = entry('formats.json', 'secondary-tree-head');
  const sec = new SeedSigner(h(entry('formats.json', 'key-secondary').private_seed));
  const sth = parseSignedTreeHead(v.response);
  assert.equal(checkpointBody(originForKey(sec.publicKey), sth), v.checkpoint_body);
  assert.equal(formatSignedTreeHead(signTreeHeadSync(sec, sth)), v.response);
  assert.ok(verifyTreeHead(sec.publicKey, sth));
  assert.equal(verifyTreeHead(logKey.publicKey, sth), false);
});

test('cosignatures: message, get-tree-head line and note line', () => {
  const v = entry('formats.json', 'cosignature-size-5');
  const th5 = entry('formats.json', 'tree-head-size-5');
  const th = { size: 5, rootHash: h(th5.root_hash) as Hash };
  const origin = originForKey(logKey.publicKey);
  const ts = BigInt(v.timestamp);
  assert.equal(cosignedMessage(origin, th, ts), v.cosigned_message);
  assert.equal(hx(witness.sign(Buffer.from(v.cosigned_message))), v.signature);
  assert.equal(cosignatureLine(v.witness_key_name, witness, origin, th, ts), v.note_line);
  const parsed = parseCosignatureBlob(parseSignatureLine(v.note_line.trimEnd()), witness.publicKey)!;
  assert.equal(parsed.timestamp, ts);
  const c = {
    keyHash: h(entry('formats.json', 'key-witness').key_hash) as Hash,
    timestamp: ts,
    signature: parsed.signature,
  };
  assert.equal(formatCosignature(c), v.get_tree_head_line);
  assert.ok(verifyCosignature(witness.publicKey, logKey.publicKey, th, c));
  assert.equal(verifyCosignature(witness.publicKey, logKey.publicKey, { ...th, size: 6 }, c), false);
  const cth = parseCosignedTreeHead(entry('formats.json', 'get-tree-head-response').response);
  assert.ok(
    verifyTreeHead(logKey.publicKey, cth) &&
      verifyCosignature(witness.publicKey, logKey.publicKey, cth, cth.cosignatures[0]),
  );
  for (const k of entry('formats.json', 'key-witness').key_names)
    assert.equal(hx(keyId(k.name, KEY_TYPE_COSIGNATURE, witness.publicKey)), k.key_id_type_0x04);
});

test('sigsum-go fixed tree head vectors', () => {
  const body = entry('sigsum-go.json', 'tree-head-checkpoint-body');
  const th = { size: body.size, rootHash: h(body.root_hash) as Hash };
  assert.equal(checkpointBody(originForKey(h(body.log_public_key) as PublicKey), th), body.checkpoint_body);
  const cd = entry('sigsum-go.json', 'cosigned-data');
  assert.equal(cosignedMessage(cd.origin, th, BigInt(cd.timestamp)), cd.cosigned_data);
  const real = entry('sigsum-go.json', 'signed-tree-head-real');
  const pub = parsePublicKey(real.log_public_key_openssh);
  assert.equal(hx(pub), real.log_public_key);
  assert.equal(verifyTreeHead(pub, parseSignedTreeHead(real.ascii)), real.expect.verifies ?? true);
  const v0 = entry('sigsum-go.json', 'signed-tree-head-version0');
  assert.equal(
    verifyTreeHead(parsePublicKey(v0.log_public_key_openssh), {
      size: v0.size,
      rootHash: h(v0.root_hash) as Hash,
      signature: h(v0.signature) as never,
    }),
    false,
    'a v0 signature is not a v1 checkpoint signature',
  );
});

test('sigsum-go checkpoint, cosignature line, key ids and a third-party note', () => {
  const c = entry('sigsum-go.json', 'checkpoint-signed');
  const signer = new SeedSigner(h(c.log_private_seed));
  assert.equal(hx(signer.publicKey), c.log_public_key);
  assert.equal(originForKey(signer.publicKey), c.origin);
  assert.equal(
    signCheckpoint(signer, {
      size: 10,
      rootHash: Buffer.from('HA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'base64') as unknown as Hash,
    }),
    c.checkpoint,
  );
  const [cbody, sigLine] = c.checkpoint.split('\n\n');
  assert.ok(verifyNoteSignature(cbody + '\n', sigLine, c.origin, signer.publicKey));
  assert.equal(
    verifyNoteSignature(cbody.replace('\n10\n', '\n11\n') + '\n', sigLine, c.origin, signer.publicKey),
    false,
  );
  assert.equal(verifyNoteSignature(cbody + '\n', sigLine, c.origin + 'x', signer.publicKey), false);

  const w = entry('sigsum-go.json', 'witness-cosignature-line');
  const ws = new SeedSigner(h(w.witness_private_seed));
  assert.equal(
    cosignatureLine(
      w.key_name,
      ws,
      'example.org/log',
      { size: 10, rootHash: Buffer.from('HA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'base64') as unknown as Hash },
      BigInt(w.timestamp),
    ),
    w.line + '\n',
  );
  assert.equal(parseCosignatureBlob(parseSignatureLine(w.other_lines_in_test.wrong_key_id), ws.publicKey), undefined);
  assert.equal(parseCosignatureBlob(parseSignatureLine(w.other_lines_in_test.wrong_key_name), ws.publicKey), undefined);

  const k = entry('sigsum-go.json', 'log-key-id');
  assert.equal(hx(keyId(k.key_name, KEY_TYPE_ED25519, h(k.public_key) as PublicKey)), k.key_id);
  const g = entry('sigsum-go.json', 'go-sumdb-checkpoint');
  const [gbody, gline] = g.checkpoint.split('\n\n');
  assert.equal(hx(keyId('sum.golang.org', KEY_TYPE_ED25519, h(g.public_key) as PublicKey)), g.key_id);
  assert.ok(verifyNoteSignature(gbody + '\n', gline, 'sum.golang.org', h(g.public_key) as PublicKey));

  const f = entry('sigsum-go.json', 'signature-line-format');
  for (const pc of f.parse_cases) {
    if (pc.result.startsWith('error')) assert.throws(() => parseSignatureLine(pc.line), pc.line);
    else assert.doesNotThrow(() => parseSignatureLine(pc.line));
  }
});
