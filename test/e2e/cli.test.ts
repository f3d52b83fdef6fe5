// The command line: help for every subcommand, clear errors naming the flag
// or file, config files with flag overrides, keys interchangeable with
// sigsum-key, init refusing to overwrite, verify reporting corruption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { parsePrivateKey, parsePublicKey } from '../../src/sigsum/keyfile.js';
import { tempDir } from '../support/fixtures.js';
import { parseCommand } from '../../src/config/parse.js';
import { loopbackServe, runCli, startServer } from '../support/process.js';
import { getTreeHead } from '../support/client.js';
import { requireTools, tool } from '../support/tools.js';
import { execFileSync } from 'node:child_process';

test('every subcommand has --help; unknown commands and flags are errors', () => {
  for (const cmd of ['keygen', 'init', 'serve', 'status', 'verify']) {
    const r = runCli([cmd, '--help']);
    assert.equal(r.status, 0, cmd);
    assert.match(r.stdout, new RegExp(`^Usage: sigsum-log ${cmd}`));
    assert.match(r.stdout, /--config/);
  }
  assert.match(runCli(['--help']).stdout, /Commands:/);
  assert.match(runCli(['--version']).stdout, /^sigsum-log \d+\.\d+\.\d+/);
  const unknown = runCli(['frobnicate']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const flag = runCli(['serve', '--no-such-flag']);
  assert.equal(flag.status, 1);
  assert.match(flag.stderr, /no-such-flag/);
});

test('bad values name the flag', t => {
  const dir = tempDir(t);
  const cases: [string[], RegExp][] = [
    [['serve', '--interval', 'soon'], /--interval: invalid duration "soon"/],
    [['serve', '--max-range', '0'], /--max-range: want a positive integer/],
    [['serve', '--max-range', '100000'], /--max-range: at most 65536, got 100000/],
    [['serve', '--workers', '1000'], /--workers: at most 64, got 1000/],
    [['serve', '--external-endpoint', 'nowhere'], /--external-endpoint: want HOST:PORT/],
    [['serve', '--log-level', 'loud'], /--log-level: want debug, info, warning or error/],
    [['serve', '--role', 'tertiary'], /--role: want primary or secondary/],
    [['serve', '--key-file', join(dir, 'missing.key')], /--data-dir is required/],
    [
      ['serve', '--data-dir', dir, '--key-file', join(dir, 'missing.key')],
      /--key-file: cannot read .*missing\.key: ENOENT/,
    ],
    [['init', '--data-dir', dir], /--key-file is required/],
    [['keygen'], /--output is required/],
    [['verify', '--data-dir', join(dir, 'nothing')], /does not exist/],
  ];
  for (const [args, re] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
  }
  writeFileSync(join(dir, 'bad.key'), 'not a key\n');
  assert.match(
    runCli(['init', '--data-dir', join(dir, 'd'), '--key-file', join(dir, 'bad.key')]).stderr,
    /--key-file .*bad\.key: not an OpenSSH private key/,
  );
});

test('config file: log-go names, flags override, unknown keys rejected', async t => {
  const dir = tempDir(t);
  const key = join(dir, 'log.key');
  assert.equal(runCli(['keygen', '-o', key]).status, 0);
  assert.equal(runCli(['init', '--data-dir', join(dir, 'data'), '--key-file', key]).status, 0);
  const cfg = join(dir, 'config.toml');
  writeFileSync(
    cfg,
    `data-dir = "${join(dir, 'data')}"\nkey-file = "${key}"\nexternal-endpoint = "127.0.0.1:1"\ninternal-endpoint = "127.0.0.1:0"\nurl-prefix = "from-config"\ninterval = "250ms"\n[primary]\nmax-range = 3\n`,
  );
  const srv = await startServer(['--config', cfg, '--external-endpoint', '127.0.0.1:0']);
  t.after(() => srv.stop('SIGKILL'));
  assert.match(srv.url, /\/from-config$/);
  assert.equal((await getTreeHead(srv.url)).size, 0);
  assert.equal(await srv.stop('SIGTERM'), 0);

  const bad = (text: string, re: RegExp) => {
    writeFileSync(cfg, text);
    const r = runCli(['serve', '--config', cfg]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, re);
  };
  bad('colour = "blue"\n', /config\.toml: colour: unknown setting/);
  bad('[primary]\nshade = 1\n', /\[primary\] shade: unknown setting/);
  bad('max-range = 5\n', /max-range: belongs in \[primary\]/);
  bad('backend = "ephemeral"\n', /backend: log-go setting not used by sigsum-log/);
  bad('interval = 5\n', /interval: want a duration string/);
  bad('interval = "1s\n', /config file .*config\.toml/);
});

test('keygen writes OpenSSH keys that sigsum-key reads, and refuses to overwrite', t => {
  const dir = tempDir(t);
  const key = join(dir, 'k');
  const r = runCli(['keygen', '-o', key]);
  assert.equal(r.status, 0);
  const pub = parsePublicKey(readFileSync(key + '.pub', 'utf8'));
  assert.deepEqual(parsePrivateKey(readFileSync(key, 'utf8')).publicKey, pub);
  assert.match(runCli(['keygen', '-o', key]).stderr, /already exists; refusing to overwrite/);
  const tools = requireTools();
  if (tools.dir) {
    const hex = execFileSync(tool(tools.dir, 'sigsum-key'), ['to-hex', '-k', key + '.pub'], {
      encoding: 'utf8',
    }).trim();
    assert.equal(hex, Buffer.from(pub).toString('hex'));
    // And the other way round: a sigsum-key private key works for init.
    execFileSync(tool(tools.dir, 'sigsum-key'), ['generate', '-o', join(dir, 'sk')]);
    assert.equal(runCli(['init', '--data-dir', join(dir, 'd2'), '--key-file', join(dir, 'sk')]).status, 0);
  }
});

test('init refuses an existing log; verify reports the first corruption precisely', t => {
  const dir = tempDir(t);
  const key = join(dir, 'log.key');
  const data = join(dir, 'data');
  runCli(['keygen', '-o', key]);
  assert.equal(runCli(['init', '--data-dir', data, '--key-file', key]).status, 0);
  const again = runCli(['init', '--data-dir', data, '--key-file', key]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already holds a log/);
  assert.match(
    runCli(['verify', '--data-dir', data]).stdout,
    /^OK: 0 leaves, 0 subtree hashes and 1 signed tree heads/,
  );
  const db = new Database(join(data, 'log.db'));
  db.prepare('UPDATE tree_heads SET root_hash = ? WHERE size = 0').run(Buffer.alloc(32));
  db.close();
  const v = runCli(['verify', '--data-dir', data]);
  assert.equal(v.status, 1);
  assert.match(v.stdout, /^FAILED: tree_heads table: signed tree head of size 0: signature does not verify/);
  const other = join(dir, 'other.key');
  runCli(['keygen', '-o', other]);
  assert.match(runCli(['verify', '--data-dir', data, '--key-file', other + '.pub']).stderr, /belongs to log key/);
  assert.match(
    runCli(['serve', '--data-dir', data, '--key-file', key]).stderr,
    /stored tree head of size 0 does not verify/,
  );
});

test('replication settings: roles, pairs, quorum, promotion flags and [[primary.secondary]] tables', async t => {
  const dir = tempDir(t);
  const key = join(dir, 'log.key');
  const sec = join(dir, 'sec.key');
  runCli(['keygen', '-o', key]);
  runCli(['keygen', '-o', sec]);
  const data = join(dir, 'data');
  assert.equal(runCli(['init', '--data-dir', data, '--key-file', key]).status, 0);
  const cases: [string[], RegExp][] = [
    [
      ['serve', '--data-dir', data, '--key-file', key, '--primary-url', 'http://x'],
      /--primary-url is not a primary setting/,
    ],
    [
      ['serve', '--role', 'secondary', '--data-dir', data, '--key-file', sec, '--secondary-url', 'http://x'],
      /--secondary-url is not a secondary setting/,
    ],
    [
      [
        'serve',
        '--data-dir',
        data,
        '--key-file',
        key,
        '--secondary-url',
        'http://a',
        '--secondary-url',
        'http://b',
        '--secondary-pubkey-file',
        sec + '.pub',
      ],
      /come in pairs: got 2 URL\(s\) and 1 key file\(s\)/,
    ],
    [
      [
        'serve',
        '--data-dir',
        data,
        '--key-file',
        key,
        '--secondary-url',
        'http://a',
        '--secondary-pubkey-file',
        sec + '.pub',
        '--replication-quorum',
        '2',
      ],
      /--replication-quorum 2: must be between 1 and the number of secondaries \(1\)/,
    ],
    [
      [
        'serve',
        '--data-dir',
        data,
        '--key-file',
        key,
        '--secondary-url',
        'ftp://a',
        '--secondary-pubkey-file',
        sec + '.pub',
      ],
      /--secondary-url: "ftp:\/\/a": want an http/,
    ],
    [['serve', '--data-dir', data, '--key-file', key, '--force-promote'], /--force-promote needs --promote/],
    [
      ['serve', '--data-dir', data, '--key-file', key, '--promote'],
      /already holds a primary \(epoch 0\); start it without --promote/,
    ],
    [
      ['serve', '--role', 'secondary', '--data-dir', data, '--key-file', sec, '--log-pubkey-file', key + '.pub'],
      /--primary-url is required/,
    ],
    [
      [
        'serve',
        '--role',
        'secondary',
        '--data-dir',
        data,
        '--key-file',
        sec,
        '--log-pubkey-file',
        key + '.pub',
        '--primary-url',
        'http://127.0.0.1:1',
      ],
      /holds a primary \(epoch 0\); a primary cannot be turned back into a secondary/,
    ],
    [
      ['init', '--role', 'secondary', '--data-dir', join(dir, 's'), '--key-file', key],
      /a secondary replica is created without a key/,
    ],
    [['init', '--role', 'secondary', '--data-dir', join(dir, 's')], /--log-pubkey-file is required/],
    [
      ['serve', '--data-dir', data, '--key-file', key, '--publish-without-quorum'],
      /--publish-without-quorum needs --policy-file/,
    ],
    [
      ['serve', '--data-dir', data, '--key-file', key, '--policy-file', join(dir, 'nope')],
      /--policy-file: cannot read .*nope: ENOENT/,
    ],
    [
      ['serve', '--data-dir', data, '--key-file', key, '--policy-file', sec + '.pub'],
      /--policy-file .*sec\.key\.pub: line 1: unknown keyword "ssh-ed25519"/,
    ],
    [
      ['serve', '--role', 'secondary', '--data-dir', data, '--key-file', sec, '--policy-file', sec + '.pub'],
      /--policy-file is not a secondary setting/,
    ],
    [
      ['serve', '--data-dir', data, '--key-file', key, '--allow-test-domain'],
      /--allow-test-domain needs --rate-limit-file/,
    ],
    [
      ['serve', '--data-dir', data, '--key-file', key, '--rate-limit-file', sec + '.pub'],
      /--rate-limit-file: .*sec\.key\.pub: line 1: want 3 fields/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
  }
  const replica = join(dir, 'replica');
  assert.match(
    runCli(['init', '--role', 'secondary', '--data-dir', replica, '--log-pubkey-file', key + '.pub']).stdout,
    /created an empty secondary replica/,
  );
  const st = runCli(['status', '--data-dir', replica]);
  assert.equal(st.status, 0);
  assert.match(
    st.stdout,
    /^node: +not running\nrole: +secondary\nepoch: +0\n.*leaves stored: 0\n.*largest signed head seen: +none/s,
  );
  assert.match(
    runCli(['status', '--data-dir', data]).stdout,
    /role: +primary\n(.|\n)*latest signed tree head: +size 0, root e3b0c442.*\(\d+s ago\)/,
  );
  assert.match(
    runCli(['serve', '--data-dir', replica, '--key-file', key]).stderr,
    /holds a secondary's replica. To make this node the log's primary \(failover\), stop the old primary and start with --promote/,
  );
  assert.match(
    runCli(['serve', '--data-dir', replica, '--key-file', key, '--promote']).stderr,
    /never seen a tree head signed by the log/,
  );

  // The config file form: a list of [[primary.secondary]] tables.
  const cfg = join(dir, 'config.toml');
  writeFileSync(
    cfg,
    `data-dir = "${data}"\nkey-file = "${key}"\nexternal-endpoint = "127.0.0.1:0"\ninternal-endpoint = "127.0.0.1:0"\n[primary]\nreplication-quorum = 1\n[[primary.secondary]]\nurl = "http://127.0.0.1:9"\npubkey-file = "${sec}.pub"\n[[primary.secondary]]\nurl = "http://127.0.0.1:10"\npubkey-file = "${key}.pub"\n`,
  );
  const srv = await startServer(['--config', cfg]);
  t.after(() => srv.stop('SIGKILL'));
  await srv.stop('SIGTERM');
  assert.match(srv.stderr(), /primary started .*secondaries=2 replication_quorum=1/);
  writeFileSync(cfg, `[[primary.secondary]]\nurl = "http://a"\npubkey = "x"\n`);
  assert.match(
    runCli(['serve', '--config', cfg]).stderr,
    /\[\[primary.secondary\]\] #1: unknown setting pubkey \(want url and pubkey-file\)/,
  );
});

test('the example config files are valid', t => {
  for (const f of ['config/primary.toml', 'config/local.toml', 'config/secondary.toml']) {
    const r = runCli(['serve', '--config', f, '--help']);
    assert.equal(r.status, 0, `${f}: ${r.stderr}`);
    // --help does not judge values: parse the file as serve would (every value converted and checked).
    assert.doesNotThrow(() => parseCommand('serve', ['--config', f]), f);
  }
  // And the parse does judge: a bad value in a file is an error naming the key.
  const bad = join(tempDir(t), 'bad.toml');
  writeFileSync(bad, '[primary]\nworkers = 1000\n');
  assert.throws(() => parseCommand('serve', ['--config', bad]), /workers: at most 64/);
});

test('--init-if-missing creates a log only together with its key; an existing key without a log is refused', async t => {
  const dir = tempDir(t);
  const key = join(dir, 'log.key');
  const data = join(dir, 'data');
  const common = ['--external-endpoint', '127.0.0.1:0', '--internal-endpoint', '127.0.0.1:0', '--init-if-missing'];
  // First run on a fresh machine (what npm start does): key and log are created, the log serves size 0.
  const srv = await startServer(['--data-dir', data, '--key-file', key, ...common]);
  assert.equal((await getTreeHead(srv.url)).size, 0);
  assert.match(srv.stderr(), /first run: generated a new log key/);
  assert.equal(await srv.stop(), 0);
  // The same key with another (empty, unmounted, mistyped) data directory: refused, nothing created.
  const elsewhere = join(dir, 'not-mounted');
  const r = runCli(['serve', '--data-dir', elsewhere, '--key-file', key, ...common]);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /the key exists but there is no log in .*not-mounted: wrong --data-dir or an unmounted volume\? Use "sigsum-log init" to start a new log with this key/,
  );
  assert.equal(existsSync(join(elsewhere, 'log.db')), false);
  // The existing log starts again with the flag.
  const again = await startServer(['--data-dir', data, '--key-file', key, ...common]);
  assert.doesNotMatch(again.stderr(), /first run/);
  assert.equal(await again.stop(), 0);
});

test('--log-format json: every line a JSON object, to stderr or to --log-file', async t => {
  const dir = tempDir(t);
  const json = loopbackServe(join(dir, 'd'), join(dir, 'k'), '--init-if-missing', '--log-format', 'json');
  const srv = await startServer(json);
  assert.equal(await srv.stop(), 0);
  const lines = srv.stderr().trimEnd().split('\n');
  assert.ok(lines.length >= 3);
  for (const l of lines) {
    const o = JSON.parse(l) as { time: string; level: string; msg: string };
    assert.ok(o.time && ['debug', 'info', 'warning', 'error'].includes(o.level) && o.msg, l);
  }
  assert.ok(lines.some(l => JSON.parse(l).msg === 'primary started'));
  const file = join(dir, 'node.log');
  const again = await startServer([...json, '--log-file', file]);
  assert.equal(await again.stop(), 0);
  const fromFile = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map(l => JSON.parse(l) as { msg: string });
  assert.deepEqual([fromFile[0].msg, fromFile.at(-1)!.msg], ['primary started', 'primary stopped']);
});

test('config: every problem in one run, "" means unset, one-shot flags refused in files, paths relative to the file', async t => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'etc'));
  const cfg = join(dir, 'etc', 'log.toml');
  writeFileSync(
    cfg,
    'colour = "blue"\ninterval = 5\npromote = true\nforce-promote = true\n[primary]\nmax-range = 0\nrate-limit-file = ""\npolicy-file = ""\n',
  );
  const r = runCli(['serve', '--config', cfg, '--timeout', 'soon']);
  assert.equal(r.status, 1);
  for (const re of [
    /colour: unknown setting/,
    /interval: want a duration string/,
    /promote: only a command-line flag/,
    /force-promote: only a command-line flag/,
    /max-range: want a positive integer/,
    /--timeout: invalid duration "soon"/,
  ])
    assert.match(r.stderr, re);
  assert.doesNotMatch(r.stderr, /rate-limit-file|policy-file/, 'log-go\'s "" for unset is accepted');
  // Relative paths in a file are the file's folder's, not the working directory's.
  assert.equal(runCli(['keygen', '-o', join(dir, 'etc', 'log.key')]).status, 0);
  assert.equal(
    runCli(['init', '--data-dir', join(dir, 'etc', 'data'), '--key-file', join(dir, 'etc', 'log.key')]).status,
    0,
  );
  writeFileSync(
    cfg,
    'data-dir = "data"\nkey-file = "log.key"\nexternal-endpoint = "127.0.0.1:0"\ninternal-endpoint = "127.0.0.1:0"\n',
  );
  const srv = await startServer(['--config', cfg]);
  assert.equal((await getTreeHead(srv.url)).size, 0);
  assert.equal(await srv.stop(), 0);
});

test('serve --help: 80 columns, grouped by role, naming the operator endpoints and signals', () => {
  const help = runCli(['serve', '--help']).stdout;
  for (const line of help.split('\n')) assert.ok(line.length <= 80, `${line.length} columns: ${line}`);
  for (const want of [/primary/i, /secondary/i, /failover/i, /\/metrics/, /\/health/, /SIGUSR1/, /SIGTERM/])
    assert.match(help, want);
});
