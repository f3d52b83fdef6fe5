// Sigsum policy files: the real policies in the vectors, sigsum-go's
// validation rules with line numbers, and quorum evaluation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy, quorumSatisfied, quorumTrivial } from '../../src/sigsum/policy.js';
import { entry } from '../support/vectors.js';

const K = (c: string) => c.repeat(64);

test('the barreleye production policy: 2 of 3 witnesses', () => {
  const p = parsePolicy(entry('production-barreleye.json', 'barreleye-930').policy_as_in_test);
  assert.equal(p.logs.length, 1);
  assert.equal(p.logs[0].url, 'https://test.sigsum.org/barreleye');
  assert.deepEqual(
    p.witnesses.map(w => w.name),
    ['test1', 'test2', 'test3'],
  );
  assert.equal(p.quorumName, '2of3');
  const [a, b, c] = p.witnesses.map(w => w.keyHash);
  assert.equal(quorumSatisfied(p.quorum, new Set([a])), false);
  assert.equal(quorumSatisfied(p.quorum, new Set([a, c])), true);
  assert.equal(quorumSatisfied(p.quorum, new Set([b, c, 'unrelated'])), true);
  assert.equal(quorumTrivial(p.quorum), false);
});

test('nested groups, any/all, quorum none, comments and blank lines', () => {
  const p = parsePolicy(
    `# a comment\n\tlog ${K('a')}\n\nwitness w1 ${K('1')} http://w1.example\nwitness w2 ${K('2')}\nwitness w3 ${K('3')} https://w3.example/prefix\n` +
      `group g12 any w1 w2\ngroup top all g12 w3\n  # indented comment\nquorum top\n`,
  );
  const [w1, w2, w3] = p.witnesses.map(w => w.keyHash);
  assert.equal(p.witnesses[1].url, undefined);
  assert.equal(quorumSatisfied(p.quorum, new Set([w1, w3])), true);
  assert.equal(quorumSatisfied(p.quorum, new Set([w2, w3])), true);
  assert.equal(quorumSatisfied(p.quorum, new Set([w1, w2])), false);
  const none = parsePolicy(`witness w ${K('1')}\nquorum none\n`);
  assert.equal(quorumTrivial(none.quorum), true);
  // The policy of the formats.json proofs (verified with sigsum-verify when the vectors were made).
  const f = parsePolicy(entry('formats.json', 'sigsum-proof-hello').policy);
  assert.equal(f.logs.length, 1);
  assert.equal(quorumSatisfied(f.quorum, new Set()), false);
  assert.equal(quorumSatisfied(f.quorum, new Set([f.witnesses[0].keyHash])), true);
});

test('invalid policies are refused with the line number', () => {
  const cases: [string, RegExp][] = [
    [`witness w ${K('1')}\n`, /no quorum defined/],
    [`witness w ${K('1')}\nquorum w\nquorum w\n`, /line 3: quorum can only be set once/],
    [`quorum w\n`, /line 1: undefined name "w"/],
    [`witness w ${K('1')}\nwitness w ${K('2')}\nquorum w\n`, /line 2: duplicate name "w"/],
    [`witness w ${K('1')}\nwitness v ${K('1')}\nquorum w\n`, /line 2: duplicate key/],
    [`log ${K('1')}\nwitness v ${K('1')}\nquorum v\n`, /line 2: duplicate key/],
    [`witness w ${K('1')}\ngroup g 2 w\nquorum g\n`, /line 2: threshold 2 out of range 1..1/],
    [`witness w ${K('1')}\ngroup g 0 w\nquorum g\n`, /line 2: threshold 0 out of range/],
    [`witness w ${K('1')}\ngroup g most w\nquorum g\n`, /line 2: invalid threshold "most"/],
    [`witness w ${K('1')}\ngroup g any w\ngroup h any w\nquorum g\n`, /line 3: "w" is already a member of a group/],
    [`witness w ${K('1')}\ngroup g any none\nquorum g\n`, /line 2: undefined name "none"/],
    [`witness w ${K('1')}\r\nquorum w\n`, /line 1: invalid control character 0x0d \(CRLF line ends are not allowed\)/],
    [`witness w ${K('g')}\nquorum w\n`, /line 1: invalid public key/],
    [`witness w ${K('1')} ftp://x\nquorum w\n`, /line 1: invalid URL "ftp:\/\/x": want http or https/],
    [`witness w\nquorum w\n`, /line 1: invalid witness line/],
    [`log\nquorum none\n`, /line 1: invalid log line/],
    [`witness w ${K('1')}\nquorum w x\n`, /line 2: invalid quorum line/],
    [`server x\n`, /line 1: unknown keyword "server"/],
  ];
  for (const [text, re] of cases) assert.throws(() => parsePolicy(text), re, text);
});
