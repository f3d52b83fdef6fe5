// "sigsum-log serve": typed settings into a running node. Every problem with
// the settings and the files they name is reported together; then the data
// directory is opened (or, on a first run with --init-if-missing, created
// together with its key), the node started, and run until SIGTERM or SIGINT.
import { existsSync } from 'node:fs';
import { sha256, type Signer } from '../sigsum/crypto.js';
import { parsePolicy, type Policy } from '../sigsum/policy.js';
import { asHash, toHex } from '../sigsum/types.js';
import { ConfigError } from '../config/parse.js';
import { PRIMARY_ONLY, SECONDARY_ONLY, SETTINGS, type CommandSettings, type SettingKey } from '../config/settings.js';
import { holdsLog, initDataDir } from '../storage/datadir.js';
import { systemTxtResolver } from '../net/dns.js';
import { parseRateLimitConfig, type RateLimitConfig } from '../ratelimit/config.js';
import type { SecondaryConfig } from '../primary/replication.js';
import { systemClock } from '../util/clock.js';
import { Logger } from '../util/logger.js';
import { VERSION } from '../version.js';
import { Progress } from '../util/progress.js';
import { DNS_TIMEOUT_MS } from './defaults.js';
import { AgentSigner } from '../net/ssh-agent.js';
import { checkSigner, KeyError, loadPublicKey, loadSigner, readText, writeKeyPair } from './keys.js';
import { normalizePrefix, withPrefix } from './listeners.js';
import { startPrimary } from './primary.js';
import { startSecondary } from './secondary.js';
import { errorMessage } from '../util/errors.js';

type Serve = CommandSettings<'serve'>;

/** Collects problems instead of stopping at the first. */
class Problems {
  readonly list: string[] = [];
  add(msg: string): void {
    this.list.push(msg);
  }
  /** Runs `f`; a KeyError or other Error becomes a problem and `undefined`. */
  try<T>(f: () => T): T | undefined {
    try {
      return f();
    } catch (e) {
      this.add(errorMessage(e));
      return undefined;
    }
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigError(this.list);
  }
}

function checkCombinations(s: Serve, given: Set<SettingKey>, p: Problems): void {
  const role = s.role;
  for (const k of role === 'primary' ? SECONDARY_ONLY : PRIMARY_ONLY)
    if (given.has(k)) p.add(`--${SETTINGS[k].flag} is not a ${role} setting`);
  if (!s.dataDir) p.add('--data-dir is required');
  if (!s.keyFile) p.add('--key-file is required');
  if (role === 'secondary') {
    if (!s.primaryUrl) p.add('--primary-url is required');
    if (!s.logPubkeyFile) p.add('--log-pubkey-file is required');
    return;
  }
  if (s.forcePromote && !s.promote) p.add('--force-promote needs --promote');
  if (s.oldPrimaryUrl.length > 0 && !s.promote) p.add('--old-primary-url needs --promote');
  if (s.forcePromote && (s.expectSize === undefined || s.expectRoot === undefined))
    p.add('--force-promote needs --expect-size and --expect-root: the replica size and root you established');
  if (!s.forcePromote && (s.expectSize !== undefined || s.expectRoot !== undefined))
    p.add('--expect-size and --expect-root go with --force-promote');
  if (s.publishWithoutQuorum && !s.policyFile) p.add('--publish-without-quorum needs --policy-file');
  if (s.allowTestDomain && !s.rateLimitFile) p.add('--allow-test-domain needs --rate-limit-file');
  if (s.secondaryUrl.length !== s.secondaryPubkeyFile.length) {
    p.add(
      `--secondary-url and --secondary-pubkey-file come in pairs: got ${s.secondaryUrl.length} URL(s) and ${s.secondaryPubkeyFile.length} key file(s)`,
    );
  }
  const q = s.replicationQuorum;
  if (q !== undefined && (s.secondaryUrl.length === 0 || q > s.secondaryUrl.length))
    p.add(`--replication-quorum ${q}: must be between 1 and the number of secondaries (${s.secondaryUrl.length})`);
  if (s.initIfMissing && s.promote) p.add('--init-if-missing and --promote exclude each other');
}

function loadPolicy(path: string): Policy {
  const text = readText(path, 'policy-file');
  try {
    return parsePolicy(text);
  } catch (e) {
    throw new KeyError(`--policy-file ${path}: ${errorMessage(e)}`);
  }
}

function loadRateLimits(path: string): RateLimitConfig {
  const text = readText(path, 'rate-limit-file');
  try {
    return parseRateLimitConfig(text, path);
  } catch (e) {
    throw new KeyError(`--rate-limit-file: ${errorMessage(e)}`);
  }
}

/**
 * First run: creates the key and an empty log only when the key is created
 * in the same run. A key that exists without a log is refused: a wrong
 * --data-dir or an unmounted volume must never start a new log (size 0)
 * under a key whose log is elsewhere, which would roll it back.
 */
async function initIfMissing(s: Serve, logger: Logger): Promise<void> {
  const keyExists = existsSync(s.keyFile!);
  const logExists = holdsLog(s.dataDir!);
  if (logExists) return;
  if (keyExists) {
    throw new ConfigError([
      `the key exists but there is no log in ${s.dataDir}: wrong --data-dir or an unmounted volume? Use "sigsum-log init" to start a new log with this key (${s.keyFile})`,
    ]);
  }
  const signer = writeKeyPair(s.keyFile!);
  logger.info(`first run: generated a new ${s.role === 'primary' ? 'log' : 'secondary'} key`, {
    key_file: s.keyFile,
    public_key_file: s.keyFile + '.pub',
  });
  if (s.role === 'primary') {
    (
      await initDataDir(s.dataDir!, { role: 'primary', logPublicKey: signer.publicKey, signer, now: systemClock.now() })
    ).close();
  } else {
    (
      await initDataDir(s.dataDir!, {
        role: 'secondary',
        logPublicKey: loadPublicKey(s.logPubkeyFile!, 'log-pubkey-file'),
        now: systemClock.now(),
      })
    ).close();
  }
  logger.info(`first run: created an empty ${s.role === 'primary' ? 'log' : 'replica'}`, { data_dir: s.dataDir });
}

export async function runServe(s: Serve, given: Set<SettingKey>, out: { write(s: string): void }): Promise<number> {
  const p = new Problems();
  checkCombinations(s, given, p);
  p.throwIfAny();
  const logger = new Logger(s.logLevel, s.logFile, s.logFormat);
  if (s.initIfMissing) await initIfMissing(s, logger);
  const signer: Signer | undefined = p.try(() => loadSigner(s.keyFile!));
  if (signer) await checkSigner(signer, s.keyFile!).catch((e: Error) => p.add(e.message));
  const common = {
    dataDir: s.dataDir!,
    externalEndpoint: s.externalEndpoint,
    internalEndpoint: s.internalEndpoint,
    urlPrefix: s.urlPrefix,
    maxRange: s.maxRange,
    peerTimeout: s.timeout,
    scrubRate: s.scrubRate,
    clock: systemClock,
    logger,
  };
  let node: { external: { url: string }; internal: { url: string }; stop(): Promise<void> };
  if (s.role === 'primary') {
    const secondaries: SecondaryConfig[] = [];
    s.secondaryUrl.forEach((url, i) => {
      const key = p.try(() => loadPublicKey(s.secondaryPubkeyFile[i], 'secondary-pubkey-file'));
      if (key) secondaries.push({ url, publicKey: key });
    });
    const policy = s.policyFile ? p.try(() => loadPolicy(s.policyFile!)) : undefined;
    const rateLimits = s.rateLimitFile ? p.try(() => loadRateLimits(s.rateLimitFile!)) : undefined;
    p.throwIfAny();
    const interval = s.interval ?? 1000;
    const tty = process.stderr.isTTY === true;
    // A bar on a terminal; under systemd, a log line every 10 s with rate and ETA.
    const promotionProgress = new Progress(
      'promotion: checking the replica',
      l => (tty ? process.stderr.write(l) : logger.info(l.trim())),
      tty,
    );
    node = await startPrimary({
      ...common,
      signer: signer!,
      interval,
      resignInterval: s.resignInterval,
      hold: { waitMs: s.addLeafWait ?? interval + 1000, maxHeld: s.addLeafMaxHeld },
      workers: s.workers,
      secondaries,
      replicationQuorum: s.replicationQuorum,
      rateLimits: rateLimits && {
        config: rateLimits,
        allowTestDomain: s.allowTestDomain,
        resolver: systemTxtResolver(),
        dnsTimeoutMs: DNS_TIMEOUT_MS,
      },
      witnesses: policy && { policy, gate: !s.publishWithoutQuorum, timeoutMs: s.witnessTimeout },
      promote: s.promote
        ? {
            force: s.forcePromote
              ? { size: s.expectSize!, root: asHash(new Uint8Array(Buffer.from(s.expectRoot!, 'hex'))) }
              : undefined,
            oldPrimaryUrls: s.oldPrimaryUrl,
            progress: (done: number, total: number) => promotionProgress.update(done, total),
          }
        : undefined,
    });
  } else {
    const logPublicKey = p.try(() => loadPublicKey(s.logPubkeyFile!, 'log-pubkey-file'));
    p.throwIfAny();
    node = await startSecondary({
      ...common,
      signer: signer!,
      logPublicKey: logPublicKey!,
      primaryUrl: s.primaryUrl!,
      logUrl: s.logUrl,
      interval: s.interval ?? 250,
    });
  }
  const signalled = untilSignal(logger, s.logLevel); // handlers in place before anyone is told the node is up
  const prefix = normalizePrefix(s.urlPrefix);
  const base = withPrefix(node.external.url, prefix);
  out.write(
    `sigsum-log ${VERSION}: ${s.role} serving ${base}/ (internal ${withPrefix(node.internal.url, prefix)})\n` +
      (s.role === 'primary'
        ? `log public key: ${toHex(signer!.publicKey)}\nlog key hash:   ${toHex(sha256(signer!.publicKey))}\ntry: curl ${base}/get-tree-head\n`
        : `secondary public key: ${toHex(signer!.publicKey)}\n`),
  );
  await signalled;
  await node.stop();
  if (signer instanceof AgentSigner) signer.close();
  await logger.close();
  return 0;
}

/** Waits for SIGTERM or SIGINT; meanwhile SIGUSR1 toggles debug logging. */
async function untilSignal(logger: Logger, configured: Serve['logLevel']): Promise<void> {
  const toggle = () => {
    const next = logger.enabled('debug') && configured !== 'debug' ? configured : 'debug';
    logger.setLevel(next);
    logger.info('log level changed (SIGUSR1)', { level: next });
  };
  process.on('SIGUSR1', toggle);
  await new Promise<void>(resolve => {
    const onSignal = (sig: string) => {
      logger.info('shutting down', { signal: sig });
      resolve();
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  process.off('SIGUSR1', toggle);
}
