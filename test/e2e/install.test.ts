// The package as an operator installs it: `npm pack` holds only what an
// installation needs, `npm install -g` of the tarball into a clean prefix
// gives a working `sigsum-log` on plain node (no tsx, no esbuild), which
// starts about as fast as node itself, and the systemd unit in config/
// passes `systemd-analyze verify` against the installed command.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { getTreeHead } from '../support/client.js';
import { waitFor } from '../support/fixtures.js';
import { loopbackServe } from '../support/process.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NPM = join(dirname(process.execPath), 'npm');
const work = mkdtempSync(join(tmpdir(), 'sigsum-log-install-'));
after(() => rmSync(work, { recursive: true, force: true }));
let tarball: string;
let installed: string; // the installed sigsum-log command

before(async () => {
  const { stdout } = await run(NPM, ['pack', '--pack-destination', work, '--json'], { cwd: ROOT, maxBuffer: 16 << 20 });
  const packed = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed[0].filename);
  writeFileSync(join(work, 'files.json'), JSON.stringify(packed[0].files.map(f => f.path)));
  const prefix = join(work, 'prefix');
  // better-sqlite3 builds from source where no prebuilt binary can be downloaded (minutes).
  await run(
    NPM,
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--allow-scripts=better-sqlite3',
      tarball,
    ],
    { timeout: 600_000, maxBuffer: 16 << 20 },
  );
  installed = join(prefix, 'bin', 'sigsum-log');
});

test('the tarball holds only what an installation needs', () => {
  const files = JSON.parse(readFileSync(join(work, 'files.json'), 'utf8')) as string[];
  for (const f of files)
    assert.match(
      f,
      /^(bin\/sigsum-log\.js|dist\/(src|cmd)\/.+\.js|config\/[^/]+|doc\/[^/]+\.md|README\.md|LICENSE|package\.json)$/,
      f,
    );
  for (const need of ['dist/cmd/sigsum-log.js', 'config/sigsum-log.service', 'config/prometheus-alerts.yml'])
    assert.ok(files.includes(need), need);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dev of ['tsx', 'esbuild', 'typescript'])
    assert.equal(pkg.dependencies[dev], undefined, `${dev} is a dev dependency`);
});

test('the installed command runs on plain node, starts within 3× of `node -e 0`, and serves a log', async () => {
  assert.ok(existsSync(installed));
  assert.match(execFileSync(installed, ['--version'], { encoding: 'utf8' }), /^sigsum-log \d+\.\d+\.\d+\n$/);
  const median = (cmd: string, args: string[]) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = spawnSync(cmd, args, { stdio: 'ignore' });
      times.push(performance.now() - t0);
      assert.equal(r.status, 0, `${cmd} ${args.join(' ')}`);
    }
    return times.sort((a, b) => a - b)[2];
  };
  const bare = median(process.execPath, ['-e', '0']);
  for (const args of [['--version'], ['serve', '--help']]) {
    const t = median(installed, args);
    assert.ok(t < 3 * bare, `sigsum-log ${args.join(' ')}: ${t.toFixed(0)} ms, node -e 0: ${bare.toFixed(0)} ms`);
  }
  const dir = join(work, 'node');
  execFileSync(installed, ['keygen', '-o', join(dir, 'log.key')]);
  execFileSync(installed, ['init', '--data-dir', join(dir, 'data'), '--key-file', join(dir, 'log.key')]);
  const srv = execFile(installed, ['serve', ...loopbackServe(join(dir, 'data'), join(dir, 'log.key'))]);
  let out = '';
  srv.stdout!.on('data', d => (out += d));
  try {
    const url = await waitFor('the installed node to serve', () => /serving (http:\S+?)\/? /.exec(out)?.[1]);
    assert.equal((await getTreeHead(url)).size, 0);
  } finally {
    srv.kill('SIGTERM');
  }
});

const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;
test(
  'the systemd unit passes systemd-analyze verify',
  { skip: analyze ? false : 'systemd-analyze not installed' },
  () => {
    const unit = readFileSync(join(ROOT, 'config', 'sigsum-log.service'), 'utf8').replace(
      /^ExecStart=\/usr\/local\/bin\/sigsum-log /m,
      `ExecStart=${installed} `,
    );
    assert.match(unit, new RegExp(`ExecStart=${installed} serve --config`));
    for (const d of [
      'ProtectSystem=strict',
      'NoNewPrivileges=true',
      'ReadWritePaths=/var/lib/sigsum-log',
      'SSH_AUTH_SOCK',
      'Restart=on-failure',
      'User=sigsum-log',
    ])
      assert.ok(unit.includes(d), d);
    const path = join(work, 'sigsum-log.service');
    writeFileSync(path, unit);
    const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', r.stderr);
  },
);
