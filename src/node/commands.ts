// The commands other than serve: keygen, init, status and verify. Each takes
// typed settings and writes its report to `out`.
import { sha256 } from '../sigsum/crypto.js';
import { toHex, type PublicKey } from '../sigsum/types.js';
import { parsePublicKey } from '../sigsum/keyfile.js';
import { ConfigError } from '../config/parse.js';
import type { CommandSettings } from '../config/settings.js';
import { dbPath, initDataDir } from '../storage/datadir.js';
import { fsck } from '../storage/fsck.js';
import { DataDirLock } from '../storage/lock.js';
import { openSqliteStore } from '../storage/sqlite.js';
import { nodeState } from '../storage/state.js';
import { dataDirStatus, formatStatus } from '../storage/status.js';
import { systemClock } from '../util/clock.js';
import { Progress } from '../util/progress.js';
import { checkSigner, loadPrivateKey, loadPublicKey, loadSigner, readText, writeKeyPair } from './keys.js';
import { AgentSigner } from '../net/ssh-agent.js';
import { errorCode, errorMessage } from '../util/errors.js';

export interface Io {
  out: { write(s: string): void };
  err: { write(s: string): void; isTTY?: boolean };
}

function required<T>(v: T | undefined, flag: string): T {
  if (v === undefined || v === '') throw new ConfigError([`--${flag} is required`]);
  return v;
}

export async function keygen(s: CommandSettings<'keygen'>, io: Io): Promise<number> {
  const out = required(s.output, 'output');
  const signer = writeKeyPair(out);
  io.out.write(
    `wrote ${out} and ${out}.pub\npublic key ${toHex(signer.publicKey)}\nkey hash   ${toHex(sha256(signer.publicKey))}\n` +
      `to keep the private key in an ssh-agent instead of a file: ssh-add ${out}, then give --key-file ${out}.pub (with SSH_AUTH_SOCK set) and remove ${out}\n`,
  );
  return 0;
}

export async function init(s: CommandSettings<'init'>, io: Io): Promise<number> {
  const dir = required(s.dataDir, 'data-dir');
  if (s.role === 'secondary') {
    if (s.keyFile !== undefined)
      throw new ConfigError(['--key-file: a secondary replica is created without a key; give its key to "serve"']);
    const logKey = loadPublicKey(required(s.logPubkeyFile, 'log-pubkey-file'), 'log-pubkey-file');
    (await initDataDir(dir, { role: 'secondary', logPublicKey: logKey, now: systemClock.now() })).close();
    io.out.write(`created an empty secondary replica in ${dir} for log key ${toHex(logKey)}\n`);
    return 0;
  }
  if (s.logPubkeyFile !== undefined) throw new ConfigError(['--log-pubkey-file is for --role secondary']);
  const keyFile = required(s.keyFile, 'key-file');
  const signer = loadSigner(keyFile);
  await checkSigner(signer, keyFile);
  try {
    (
      await initDataDir(dir, { role: 'primary', logPublicKey: signer.publicKey, signer, now: systemClock.now() })
    ).close();
  } finally {
    if (signer instanceof AgentSigner) signer.close();
  }
  io.out.write(`created an empty log in ${dir} for log key ${toHex(signer.publicKey)}\n`);
  return 0;
}

export async function status(s: CommandSettings<'status'>, io: Io): Promise<number> {
  const dir = required(s.dataDir, 'data-dir');
  const store = openSqliteStore(dbPath(dir), true);
  try {
    io.out.write(
      formatStatus(dataDirStatus(store, nodeState(store), DataDirLock.holder(dir, dbPath(dir))), systemClock.now()),
    );
    return 0;
  } finally {
    store.close();
  }
}

export async function verify(s: CommandSettings<'verify'>, io: Io): Promise<number> {
  const dir = required(s.dataDir, 'data-dir');
  const store = openSqliteStore(dbPath(dir), true);
  try {
    let key: PublicKey;
    if (s.keyFile !== undefined) {
      const text = readText(s.keyFile, 'key-file');
      key = text.includes('PRIVATE KEY') ? loadPrivateKey(s.keyFile).publicKey : loadPublicKey(s.keyFile, 'key-file');
      if (toHex(key) !== store.logPublicKeyHex)
        throw new ConfigError([
          `--key-file: the database belongs to log key ${store.logPublicKeyHex}, not ${toHex(key)}`,
        ]);
    } else {
      key = parsePublicKey(store.logPublicKeyHex);
    }
    const started = Date.now();
    const sqlite = store.integrityCheck();
    if (sqlite.length !== 1 || sqlite[0] !== 'ok') {
      io.out.write(
        `FAILED: SQLite finds the database file damaged (PRAGMA integrity_check):\n${sqlite.map(l => `  ${l}`).join('\n')}\n`,
      );
      return 1;
    }
    const progress = new Progress('verify', l => io.err.write(l), io.err.isTTY === true);
    const res = fsck(store, key, (done, total) => progress.update(done, total));
    progress.end();
    if (!res.ok) {
      io.out.write(
        `FAILED: ${res.problem}\n(checked ${res.leaves} leaves, ${res.nodes} subtree hashes and ${res.treeHeads} signed tree heads before it)\n`,
      );
      return 1;
    }
    io.out.write(
      `OK: ${res.leaves} leaves, ${res.nodes} subtree hashes and ${res.treeHeads} signed tree heads verified in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
    );
    return 0;
  } catch (e) {
    if (errorCode(e)?.startsWith('SQLITE_')) {
      let details: string[];
      try {
        details = store.integrityCheck();
      } catch (e2) {
        details = [errorMessage(e2)];
      }
      io.out.write(
        `FAILED: the database file is damaged: ${errorMessage(e)}\nPRAGMA integrity_check:\n${details.map(l => `  ${l}`).join('\n')}\n`,
      );
      return 1;
    }
    throw e;
  } finally {
    store.close();
  }
}
