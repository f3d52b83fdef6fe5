// sigsum-log: the command line. Parses flags and config, then starts things;
// all behaviour lives in src/.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { ConfigError, parseSettings, usage, type SettingDef, type Values } from '../src/config/settings.js';
import { randomSeed, sha256, type Signer } from '../src/sigsum/crypto.js';
import { formatPrivateKey, formatPublicKey, parsePrivateKey, parsePublicKey } from '../src/sigsum/keyfile.js';
import { toHex, type PublicKey } from '../src/sigsum/types.js';
import { holdsLog, initDataDir } from '../src/storage/datadir.js';
import { DB_FILE, openSqliteStore } from '../src/storage/sqlite.js';
import { fsck } from '../src/storage/fsck.js';
import { dataDirStatus, formatStatus } from '../src/storage/status.js';
import { startPrimary } from '../src/primary/node.js';
import type { SecondaryConfig } from '../src/primary/replication.js';
import { startSecondary } from '../src/secondary/node.js';
import { parsePolicy, type Policy } from '../src/sigsum/policy.js';
import { parseRateLimitConfig, type RateLimitConfig } from '../src/ratelimit/config.js';
import { systemTxtResolver } from '../src/ratelimit/dns.js';
import { systemClock } from '../src/util/clock.js';
import { Logger, parseLevel } from '../src/util/logger.js';
import { VERSION } from '../src/version.js';
import { join } from 'node:path';

class CliError extends Error {}

const dataDir: SettingDef = { name: 'data-dir', kind: 'string', help: 'directory holding the log database' };
const keyFile: SettingDef = { name: 'key-file', kind: 'string', help: 'log signing key (OpenSSH private key, as written by keygen or sigsum-key generate)' };

const logPubkeyFile: SettingDef = { name: 'log-pubkey-file', kind: 'string', section: 'secondary', help: "secondary: the log's public key (OpenSSH or hex), which signs the tree heads it checks" };

const SERVE: SettingDef[] = [
  { name: 'role', kind: 'role', default: 'primary', help: 'node role: primary or secondary' },
  dataDir,
  { ...keyFile, help: "primary: the log's signing key; secondary: the secondary's own key (OpenSSH private key)" },
  { name: 'external-endpoint', kind: 'endpoint', default: 'localhost:6965', help: 'public API listen address' },
  { name: 'internal-endpoint', kind: 'endpoint', default: 'localhost:6967', help: 'internal API listen address (replication)' },
  { name: 'url-prefix', kind: 'string', default: '', help: 'path prefix of every endpoint' },
  { name: 'interval', kind: 'duration', help: 'primary: how often a new tree head is signed if the tree grew (default 1s); secondary: how often it polls the primary once caught up (default 250ms)' },
  { name: 'resign-interval', kind: 'duration', default: '10s', help: 'longest time an unchanged tree head goes without being signed again' },
  { name: 'timeout', kind: 'duration', default: '2s', help: 'deadline of each request to another node (secondary, primary)' },
  { name: 'max-range', kind: 'int', section: 'primary', default: 512, help: 'most leaves returned by one get-leaves request' },
  { name: 'secondary-url', kind: 'string', section: 'primary', multiple: true, help: "internal URL of a secondary, with its URL prefix (repeat, paired in order with --secondary-pubkey-file; config: [[primary.secondary]] url, pubkey-file)" },
  { name: 'secondary-pubkey-file', kind: 'string', section: 'primary', multiple: true, help: "the secondary's public key (repeat, one per --secondary-url)" },
  { name: 'replication-quorum', kind: 'int', section: 'primary', help: 'how many secondaries must hold a leaf before it is signed (default: all of them)' },
  { name: 'policy-file', kind: 'string', section: 'primary', help: "sigsum policy: the witnesses (those with a URL are asked to cosign) and the quorum a tree head needs before it is published" },
  { name: 'witness-timeout', kind: 'duration', section: 'primary', default: '5s', help: 'deadline of each request to a witness' },
  { name: 'publish-without-quorum', kind: 'bool', section: 'primary', help: "publish every signed tree head at once and add cosignatures as they arrive (log-go's behaviour) instead of waiting for the policy's quorum" },
  { name: 'add-leaf-wait', kind: 'duration', section: 'primary', allowZero: true, help: 'hold a repeated add-leaf for an accepted, unpublished leaf until it is published (then 200), for at most this long (0: answer 202 at once, as log-go; default: interval + 1s)' },
  { name: 'add-leaf-max-held', kind: 'int', section: 'primary', default: 256, help: 'most add-leaf requests held at once' },
  { name: 'rate-limit-file', kind: 'string', section: 'primary', help: "rate limits per submitter key, token domain and public suffix (log-go's format); without it add-leaf is not rate limited" },
  { name: 'allow-test-domain', kind: 'bool', section: 'primary', help: 'with rate limits: accept tokens for test.sigsum.org, whose key is public' },
  { name: 'promote', kind: 'bool', help: "turn this secondary's replica into the log's primary (failover; needs the log key as --key-file)" },
  { name: 'force-promote', kind: 'bool', help: 'with --promote: promote even if the replica is smaller than the last tree head the log signed (rolls the log back)' },
  { name: 'primary-url', kind: 'string', section: 'secondary', help: "secondary: the primary's internal URL, with its URL prefix" },
  logPubkeyFile,
  { name: 'log-url', kind: 'string', section: 'secondary', help: "secondary: the log's public URL, used to check published tree heads when the primary is log-go" },
  { name: 'log-level', kind: 'level', default: 'info', help: 'debug, info, warning or error' },
  { name: 'log-file', kind: 'string', help: 'append log lines to this file instead of stderr' },
  { name: 'init-if-missing', kind: 'bool', help: 'create the key file and an empty log (or replica) if they do not exist yet (first run)' },
];

const INIT: SettingDef[] = [
  { name: 'role', kind: 'role', default: 'primary', help: 'primary (needs --key-file, the log key) or secondary (needs --log-pubkey-file)' },
  dataDir,
  { ...keyFile, help: 'primary: the log signing key' },
  logPubkeyFile,
];
const VERIFY: SettingDef[] = [dataDir, { name: 'key-file', kind: 'string', help: 'check against this log key (private key or OpenSSH/hex public key) instead of the one recorded in the database' }];
const KEYGEN: SettingDef[] = [{ name: 'output', kind: 'string', short: 'o', help: 'write the private key to FILE and the public key to FILE.pub' }];

const COMMANDS: Record<string, { summary: string; defs: SettingDef[]; run: (v: Values) => Promise<number> }> = {
  keygen: { summary: 'Generate an Ed25519 key pair in OpenSSH format (interchangeable with sigsum-key generate).', defs: KEYGEN, run: keygen },
  init: { summary: 'Create an empty log (signing its size-0 tree head) or an empty secondary replica in a data directory.', defs: INIT, run: init },
  serve: { summary: 'Run a log node until SIGTERM or SIGINT.', defs: SERVE, run: serve },
  status: { summary: 'Show role, epoch, tree size and the latest signed tree head of a data directory (safe while the node runs).', defs: [dataDir], run: status },
  verify: { summary: 'Check a data directory: rehash every leaf and subtree, check every signed tree head.', defs: VERIFY, run: verify },
};

function need(v: Values, name: string): string {
  const s = v[name];
  if (typeof s !== 'string' || s === '') throw new CliError(`--${name} is required`);
  return s;
}

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`--${flag}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function loadSigner(path: string, flag = 'key-file'): Signer {
  try {
    return parsePrivateKey(readText(path, flag));
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`--${flag} ${path}: ${(e as Error).message}`);
  }
}

function loadPublicKey(path: string, flag: string): PublicKey {
  const text = readText(path, flag);
  try {
    return text.includes('PRIVATE KEY') ? parsePrivateKey(text).publicKey : parsePublicKey(text);
  } catch (e) {
    throw new CliError(`--${flag} ${path}: ${(e as Error).message}`);
  }
}

function writeKeyPair(path: string): Signer {
  for (const p of [path, path + '.pub']) if (existsSync(p)) throw new CliError(`${p} already exists; refusing to overwrite a key`);
  mkdirSync(dirname(path), { recursive: true });
  const seed = randomSeed();
  writeFileSync(path, formatPrivateKey(seed), { mode: 0o600, flag: 'wx' });
  const signer = parsePrivateKey(readFileSync(path, 'utf8'));
  writeFileSync(path + '.pub', formatPublicKey(signer.publicKey), { mode: 0o644, flag: 'wx' });
  return signer;
}

async function keygen(v: Values): Promise<number> {
  const out = need(v, 'output');
  const signer = writeKeyPair(out);
  process.stdout.write(`wrote ${out} and ${out}.pub\npublic key ${toHex(signer.publicKey)}\nkey hash   ${toHex(sha256(signer.publicKey))}\n`);
  return 0;
}

async function init(v: Values): Promise<number> {
  const dir = need(v, 'data-dir');
  if (v.role === 'secondary') {
    if (v['key-file'] !== undefined) throw new CliError('--key-file: a secondary replica is created without a key; give its key to "serve"');
    const logKey = loadPublicKey(need(v, 'log-pubkey-file'), 'log-pubkey-file');
    initDataDir(dir, { role: 'secondary', logPublicKey: logKey, now: systemClock.now() }).close();
    process.stdout.write(`created an empty secondary replica in ${dir} for log key ${toHex(logKey)}\n`);
    return 0;
  }
  if (v['log-pubkey-file'] !== undefined) throw new CliError('--log-pubkey-file is for --role secondary');
  const signer = loadSigner(need(v, 'key-file'));
  const dd = initDataDir(dir, { role: 'primary', logPublicKey: signer.publicKey, signer, now: systemClock.now() });
  dd.close();
  process.stdout.write(`created an empty log in ${dir} for log key ${toHex(signer.publicKey)}\n`);
  return 0;
}

const PRIMARY_ONLY = ['add-leaf-wait', 'secondary-url', 'secondary-pubkey-file', 'replication-quorum', 'promote', 'force-promote', 'policy-file', 'publish-without-quorum', 'rate-limit-file', 'allow-test-domain'];

function loadRateLimits(path: string): RateLimitConfig {
  const text = readText(path, 'rate-limit-file');
  try {
    return parseRateLimitConfig(text, path);
  } catch (e) {
    throw new CliError(`--rate-limit-file: ${(e as Error).message}`);
  }
}

function loadPolicy(path: string): Policy {
  try {
    return parsePolicy(readText(path, 'policy-file'));
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`--policy-file ${path}: ${(e as Error).message}`);
  }
}
const SECONDARY_ONLY = ['primary-url', 'log-pubkey-file', 'log-url'];

function secondariesOf(v: Values): SecondaryConfig[] {
  const urls = (v['secondary-url'] as string[] | undefined) ?? [];
  const keys = (v['secondary-pubkey-file'] as string[] | undefined) ?? [];
  if (urls.length !== keys.length) {
    throw new CliError(`--secondary-url and --secondary-pubkey-file come in pairs: got ${urls.length} URL(s) and ${keys.length} key file(s)`);
  }
  const out = urls.map((url, i) => {
    if (!/^https?:\/\/[^/]+/.test(url)) throw new CliError(`--secondary-url ${JSON.stringify(url)}: want an http:// or https:// URL`);
    return { url, publicKey: loadPublicKey(keys[i], 'secondary-pubkey-file') };
  });
  const q = v['replication-quorum'];
  if (q !== undefined && (out.length === 0 || Number(q) > out.length)) {
    throw new CliError(`--replication-quorum ${q}: must be between 1 and the number of secondaries (${out.length})`);
  }
  return out;
}

async function serve(v: Values): Promise<number> {
  const role = v.role as 'primary' | 'secondary';
  for (const name of role === 'primary' ? SECONDARY_ONLY : PRIMARY_ONLY) {
    if (v[name] !== undefined && v[name] !== false) throw new CliError(`--${name} is not a ${role} setting`);
  }
  if (v['force-promote'] && !v.promote) throw new CliError('--force-promote needs --promote');
  if (v['publish-without-quorum'] && v['policy-file'] === undefined) throw new CliError('--publish-without-quorum needs --policy-file');
  if (v['allow-test-domain'] && v['rate-limit-file'] === undefined) throw new CliError('--allow-test-domain needs --rate-limit-file');
  const dir = need(v, 'data-dir');
  const keyPath = need(v, 'key-file');
  const logger = new Logger(parseLevel(String(v['log-level'])), v['log-file'] as string | undefined);
  if (v['init-if-missing'] && !existsSync(keyPath)) {
    writeKeyPair(keyPath);
    logger.info(`first run: generated a new ${role === 'primary' ? 'log' : 'secondary'} key`, { key_file: keyPath, public_key_file: keyPath + '.pub' });
  }
  const signer = loadSigner(keyPath);
  const common = {
    dataDir: dir,
    signer,
    externalEndpoint: String(v['external-endpoint']),
    internalEndpoint: String(v['internal-endpoint']),
    urlPrefix: String(v['url-prefix']),
    maxRange: Number(v['max-range']),
    peerTimeout: Number(v.timeout),
    clock: systemClock,
    logger,
  };
  let node: { external: { url: string }; internal: { url: string }; stop(): Promise<void> };
  if (role === 'primary') {
    if (v['init-if-missing'] && !holdsLog(dir)) {
      initDataDir(dir, { role: 'primary', logPublicKey: signer.publicKey, signer, now: systemClock.now() }).close();
      logger.info('first run: created an empty log', { data_dir: dir });
    }
    const tty = process.stderr.isTTY;
    const interval = v.interval === undefined ? 1000 : Number(v.interval);
    node = await startPrimary({
      ...common,
      interval,
      hold: { waitMs: v['add-leaf-wait'] === undefined ? interval + 1000 : Number(v['add-leaf-wait']), maxHeld: Number(v['add-leaf-max-held']) },
      resignPeriod: Number(v['resign-interval']),
      secondaries: secondariesOf(v),
      replicationQuorum: v['replication-quorum'] === undefined ? undefined : Number(v['replication-quorum']),
      rateLimits:
        typeof v['rate-limit-file'] === 'string'
          ? { config: loadRateLimits(v['rate-limit-file']), allowTestDomain: v['allow-test-domain'] === true, resolver: systemTxtResolver(), dnsTimeoutMs: 5000 }
          : undefined,
      witnesses:
        typeof v['policy-file'] === 'string'
          ? { policy: loadPolicy(v['policy-file']), gate: v['publish-without-quorum'] !== true, timeoutMs: Number(v['witness-timeout']) }
          : undefined,
      promote: v.promote
        ? { force: v['force-promote'] === true, progress: tty ? (done, total) => process.stderr.write(`\rchecking replica: ${done}/${total} leaves`) : undefined }
        : undefined,
    });
  } else {
    const primaryUrl = need(v, 'primary-url');
    const logPublicKey = loadPublicKey(need(v, 'log-pubkey-file'), 'log-pubkey-file');
    node = await startSecondary({
      ...common,
      logPublicKey,
      primaryUrl,
      logUrl: v['log-url'] as string | undefined,
      interval: v.interval === undefined ? 250 : Number(v.interval),
      initIfMissing: v['init-if-missing'] === true,
    });
  }
  const prefix = String(v['url-prefix']).replace(/^\/+|\/+$/g, '');
  const base = node.external.url + (prefix ? `/${prefix}` : '');
  const internalBase = node.internal.url + (prefix ? `/${prefix}` : '');
  process.stdout.write(
    `sigsum-log ${VERSION}: ${role} serving ${base}/ (internal ${internalBase})\n` +
      (role === 'primary'
        ? `log public key: ${toHex(signer.publicKey)}\nlog key hash:   ${toHex(sha256(signer.publicKey))}\ntry: curl ${base}/get-tree-head\n`
        : `secondary public key: ${toHex(signer.publicKey)}\n`),
  );
  // SIGUSR1 toggles debug logging (one line per request) without a restart.
  const configured = parseLevel(String(v['log-level']));
  process.on('SIGUSR1', () => {
    const next = logger.enabled('debug') && configured !== 'debug' ? configured : 'debug';
    logger.setLevel(next);
    logger.info('log level changed (SIGUSR1)', { level: next });
  });
  await new Promise<void>(resolve => {
    const onSignal = (sig: string) => {
      logger.info('shutting down', { signal: sig });
      resolve();
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  await node.stop();
  return 0;
}

async function status(v: Values): Promise<number> {
  const dir = need(v, 'data-dir');
  const store = openSqliteStore(join(dir, DB_FILE), true);
  try {
    process.stdout.write(formatStatus(dataDirStatus(store), systemClock.now()));
    return 0;
  } finally {
    store.close();
  }
}

async function verify(v: Values): Promise<number> {
  const dir = need(v, 'data-dir');
  const path = join(dir, DB_FILE);
  const store = openSqliteStore(path, true);
  try {
    let key: PublicKey;
    if (typeof v['key-file'] === 'string') {
      const text = readText(v['key-file'], 'key-file');
      key = text.includes('PRIVATE KEY') ? parsePrivateKey(text).publicKey : parsePublicKey(text);
      if (toHex(key) !== store.logPublicKeyHex) throw new CliError(`--key-file: the database belongs to log key ${store.logPublicKeyHex}, not ${toHex(key)}`);
    } else {
      key = parsePublicKey(store.logPublicKeyHex);
    }
    const tty = process.stderr.isTTY;
    const started = Date.now();
    const res = fsck(store, key, (done, total) => {
      if (!tty) return;
      const w = 40;
      const frac = total === 0 ? 1 : done / total;
      process.stderr.write(`\r[${'#'.repeat(Math.round(frac * w)).padEnd(w, '.')}] ${(frac * 100).toFixed(1)}% ${done}/${total} leaves`);
    });
    if (tty) process.stderr.write('\n');
    if (!res.ok) {
      process.stdout.write(`FAILED: ${res.problem}\n(checked ${res.leaves} leaves, ${res.nodes} subtree hashes and ${res.treeHeads} signed tree heads before it)\n`);
      return 1;
    }
    process.stdout.write(`OK: ${res.leaves} leaves, ${res.nodes} subtree hashes and ${res.treeHeads} signed tree heads verified in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    return 0;
  } finally {
    store.close();
  }
}

function topUsage(): string {
  return (
    'Usage: sigsum-log <command> [options]\n\nA Sigsum transparency log server.\n\nCommands:\n' +
    Object.entries(COMMANDS)
      .map(([n, c]) => `  ${n.padEnd(8)} ${c.summary}`)
      .join('\n') +
    '\n\nRun "sigsum-log <command> --help" for the options of a command; "sigsum-log --version" prints the version.\n'
  );
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(topUsage());
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === 'version') {
    process.stdout.write(`sigsum-log ${VERSION}\n`);
    return 0;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    process.stderr.write(`sigsum-log: unknown command ${JSON.stringify(cmd)}\n\n${topUsage()}`);
    return 2;
  }
  try {
    const parsed = parseSettings(rest, c.defs);
    if (parsed.help) {
      process.stdout.write(usage(cmd, c.summary, c.defs));
      return 0;
    }
    if (parsed.positionals.length > 0) throw new CliError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}`);
    return await c.run(parsed.values);
  } catch (e) {
    const known = e instanceof CliError || e instanceof ConfigError;
    process.stderr.write(`sigsum-log ${cmd}: ${known ? (e as Error).message : (e as Error).message}\n`);
    if (!known && process.env.SIGSUM_LOG_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
