// Key files as the operator names them: OpenSSH private keys (or log-go's
// raw hex seed) and public keys (OpenSSH line or hex). Errors name the flag
// and the file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomSeed, type Signer, type SyncSigner } from '../sigsum/crypto.js';
import { AgentSigner } from '../net/ssh-agent.js';
import { formatPrivateKey, formatPublicKey, parsePrivateKey, parsePublicKey } from '../sigsum/keyfile.js';
import type { PublicKey } from '../sigsum/types.js';
import { errorCode, errorMessage } from '../util/errors.js';

export class KeyError extends Error {}

export function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new KeyError(`--${flag}: cannot read ${path}: ${errorCode(e) ?? errorMessage(e)}`);
  }
}

/** A private key in a file. */
export function loadPrivateKey(path: string, flag = 'key-file'): SyncSigner {
  const text = readText(path, flag);
  try {
    return parsePrivateKey(text);
  } catch (e) {
    throw new KeyError(`--${flag} ${path}: ${errorMessage(e)}`);
  }
}

/**
 * The signer a key file names: its private key (OpenSSH or hex seed), or, for
 * a public key (as sigsum-go and log-go do), that key in the ssh-agent at
 * SSH_AUTH_SOCK. Check an agent signer with checkSigner() before use.
 */
export function loadSigner(path: string, flag = 'key-file', env = process.env): Signer {
  const text = readText(path, flag);
  if (text.includes('PRIVATE KEY') || /^\s*[0-9a-fA-F]{64}\s*$/.test(text)) return loadPrivateKey(path, flag);
  let publicKey: PublicKey;
  try {
    publicKey = parsePublicKey(text);
  } catch {
    throw new KeyError(
      `--${flag} ${path}: not an OpenSSH private key, a hex seed, or an OpenSSH public key (whose private key is in an ssh-agent)`,
    );
  }
  const sock = env.SSH_AUTH_SOCK;
  if (!sock)
    throw new KeyError(
      `--${flag} ${path} is a public key: its private key must be in an ssh-agent, but SSH_AUTH_SOCK is not set`,
    );
  return new AgentSigner(publicKey, sock);
}

/** Startup check of an agent signer: the agent answers and holds the key. */
export async function checkSigner(signer: Signer, path: string, flag = 'key-file'): Promise<void> {
  if (!(signer instanceof AgentSigner)) return;
  let held: boolean;
  try {
    held = await signer.holdsKey();
  } catch (e) {
    throw new KeyError(`--${flag} ${path}: cannot use the ssh-agent: ${errorMessage(e)}`);
  }
  if (!held)
    throw new KeyError(
      `--${flag} ${path}: the ssh-agent at ${signer.socketPath} does not hold this key (ssh-add the private key, or check SSH_AUTH_SOCK)`,
    );
}

/** A public key in a file: an OpenSSH or hex public key, or the public half of a private key file. */
export function loadPublicKey(path: string, flag: string): PublicKey {
  const text = readText(path, flag);
  try {
    return text.includes('PRIVATE KEY') ? parsePrivateKey(text).publicKey : parsePublicKey(text);
  } catch (e) {
    throw new KeyError(`--${flag} ${path}: ${errorMessage(e)}`);
  }
}

/** Writes a new key pair (FILE and FILE.pub), refusing to overwrite either. */
export function writeKeyPair(path: string): SyncSigner {
  for (const p of [path, path + '.pub'])
    if (existsSync(p)) throw new KeyError(`${p} already exists; refusing to overwrite a key`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, formatPrivateKey(randomSeed()), { mode: 0o600, flag: 'wx' });
  const signer = parsePrivateKey(readFileSync(path, 'utf8'));
  writeFileSync(path + '.pub', formatPublicKey(signer.publicKey), { mode: 0o644, flag: 'wx' });
  return signer;
}
