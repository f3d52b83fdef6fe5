// The strict ASCII format against sigsum-go's own test tables (test/data/sigsum-go.json).
import { test } from 'node:test';
import { goQuote } from '../../src/sigsum/go-quote.js';
import assert from 'node:assert/strict';
import { AsciiParser, decodeHexSized, parseDecimal, ParseError } from '../../src/sigsum/ascii.js';
import { parseAddLeafRequest, formatAddLeafRequest } from '../../src/sigsum/leaf.js';
import {
  parseCosignedTreeHead,
  parseSignedTreeHead,
  formatSignedTreeHead,
  formatCosignedTreeHead,
} from '../../src/sigsum/treehead.js';
import { parseSubmitHeader } from '../../src/sigsum/token.js';
import { entry } from '../support/vectors.js';

test('decimal integers: sigsum-go accept and reject tables', () => {
  const v = entry('sigsum-go.json', 'decimal-integers');
  for (const a of v.accept) assert.equal(parseDecimal(a.s), BigInt(a.v), a.s);
  for (const r of v.reject) assert.throws(() => parseDecimal(r), ParseError, JSON.stringify(r));
});

test('hex fields: exact length, either case', () => {
  const v = entry('sigsum-go.json', 'hex-parsing');
  for (const a of v.accept) assert.equal(Buffer.from(decodeHexSized(a, 32)).toString('hex'), a.toLowerCase());
  for (const r of v.reject) assert.throws(() => decodeHexSized(r, 32), ParseError, JSON.stringify(r));
  assert.throws(() => decodeHexSized('zz', 1), /invalid byte: U\+007A 'z'/);
  assert.throws(() => decodeHexSized('abc', 2), /odd length/);
  assert.throws(() => decodeHexSized('ab\r', 2), /invalid byte: U\+000D$/);
});

test('line reader: LF only, CR kept in the value, unterminated last line rejected', () => {
  const p = new AsciiParser('foo=bar\r\n');
  assert.equal(p.getValue('foo'), 'bar\r');
  assert.throws(() => new AsciiParser('foo=bar').getValue('foo'), /unexpected EOF/);
  const q = new AsciiParser('foo=bar\nx=y');
  q.getValue('foo');
  assert.throws(() => q.getValue('x'), /unexpected EOF/);
  assert.throws(() => new AsciiParser('\nfoo=1\n').getValue('foo'), /empty line/);
  assert.throws(() => new AsciiParser('').getValue('foo'), /^Error: EOF$|EOF/);
});

test('add-leaf request: round trip; trailing line rejected', () => {
  const v = entry('sigsum-go.json', 'add-leaf-request-ascii');
  const r = parseAddLeafRequest(v.body);
  assert.equal(formatAddLeafRequest(r), v.body);
  assert.throws(() => parseAddLeafRequest(v.invalid_body), ParseError);
  for (let i = 0; i < 5; i++) {
    const leaf = entry('formats.json', `leaf-${i}`);
    assert.equal(formatAddLeafRequest(parseAddLeafRequest(leaf.add_leaf_body)), leaf.add_leaf_body);
    assert.equal(
      formatAddLeafRequest(
        parseAddLeafRequest(
          leaf.add_leaf_body.toUpperCase().replace(/MESSAGE|SIGNATURE|PUBLIC_KEY/g, (k: string) => k.toLowerCase()),
        ),
      ),
      leaf.add_leaf_body,
    );
  }
});

test('signed and cosigned tree head ASCII: round trip, trailing garbage rejected', () => {
  const s = entry('sigsum-go.json', 'signed-tree-head-ascii');
  assert.equal(formatSignedTreeHead(parseSignedTreeHead(s.ascii)), s.ascii);
  assert.throws(() => parseSignedTreeHead(s.invalid_ascii), ParseError);
  const c = entry('sigsum-go.json', 'cosigned-tree-head-ascii');
  const cth = parseCosignedTreeHead(c.ascii);
  assert.equal(cth.cosignatures.length, 2);
  assert.equal(formatCosignedTreeHead(cth), c.ascii);
  for (const bad of c.invalid_ascii) assert.throws(() => parseCosignedTreeHead(bad), ParseError);
  const dup = c.ascii.split('\n').slice(0, 4).join('\n') + '\n' + c.ascii.split('\n')[3] + '\n';
  assert.throws(() => parseCosignedTreeHead(dup), /duplicate cosignature/);
  const g = entry('formats.json', 'get-tree-head-response');
  assert.equal(formatCosignedTreeHead(parseCosignedTreeHead(g.response)), g.response);
});

test('sigsum-token header: sigsum-go accept and reject tables', () => {
  const v = entry('sigsum-go.json', 'submit-token-header');
  for (const a of v.accept) assert.equal(parseSubmitHeader(a.value).domain, 'foo.example.com');
  for (const r of v.reject) assert.throws(() => parseSubmitHeader(r.value), ParseError, r.why);
  const t = entry('formats.json', 'submit-token');
  assert.equal(Buffer.from(parseSubmitHeader(t.header.replace(/^sigsum-token: /i, '')).token).toString('hex'), t.token);
});

test("goQuote is Go's strconv.Quote over the input's bytes", () => {
  const b = (hex: string) => Buffer.from(hex, 'hex').toString('latin1'); // a byte string, as parsed from a request
  const cases: [string, string][] = [
    ['abc', '"abc"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    [b('00'), '"\\x00"'],
    [b('07080c0a0d090b'), '"\\a\\b\\f\\n\\r\\t\\v"'],
    [b('7f'), '"\\x7f"'],
    [b('c3a9'), '"é"'], // printable: as itself (UTF-8 on the wire)
    [b('e9'), '"\\xe9"'], // not UTF-8: one byte
    [b('c080'), '"\\xc0\\x80"'], // overlong
    [b('eda080'), '"\\xed\\xa0\\x80"'], // a surrogate
    [b('f4908080'), '"\\xf4\\x90\\x80\\x80"'], // beyond U+10FFFF
    [b('c2a0'), '"\\u00a0"'], // no-break space: not printable in Go
    [b('e2808b'), '"\\u200b"'], // zero width space (Cf)
    [b('f09f9880'), '"😀"'],
    [b('f3a08081'), '"\\U000e0001"'], // a tag character (Cf) above U+FFFF
    [' ', '" "'],
  ];
  for (const [input, want] of cases) assert.equal(goQuote(input), want, JSON.stringify(input));
});
