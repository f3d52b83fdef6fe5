// Key files as the operator names them: OpenSSH private keys (or log-go's
// raw hex seed) and public keys (OpenSSH line or hex). Errors name the flag
// and the file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomSeed } from '../sigsum/crypto.js';
import { formatPrivateKey, formatPublicKey, parsePrivateKey, parsePublicKey } from '../sigsum/keyfile.js';
import { errorCode, errorMessage } from '../util/errors.js';
export class KeyError extends Error {
}
export function readText(path, flag) {
    try {
        return readFileSync(path, 'utf8');
    }
    catch (e) {
        throw new KeyError(`--${flag}: cannot read ${path}: ${errorCode(e) ?? errorMessage(e)}`);
    }
}
/** A private key in a file. */
export function loadPrivateKey(path, flag = 'key-file') {
    const text = readText(path, flag);
    try {
        return parsePrivateKey(text);
    }
    catch (e) {
        throw new KeyError(`--${flag} ${path}: ${errorMessage(e)}`);
    }
}
/** A public key in a file: an OpenSSH or hex public key, or the public half of a private key file. */
export function loadPublicKey(path, flag) {
    const text = readText(path, flag);
    try {
        return text.includes('PRIVATE KEY') ? parsePrivateKey(text).publicKey : parsePublicKey(text);
    }
    catch (e) {
        throw new KeyError(`--${flag} ${path}: ${errorMessage(e)}`);
    }
}
/** Writes a new key pair (FILE and FILE.pub), refusing to overwrite either. */
export function writeKeyPair(path) {
    for (const p of [path, path + '.pub'])
        if (existsSync(p))
            throw new KeyError(`${p} already exists; refusing to overwrite a key`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, formatPrivateKey(randomSeed()), { mode: 0o600, flag: 'wx' });
    const signer = parsePrivateKey(readFileSync(path, 'utf8'));
    writeFileSync(path + '.pub', formatPublicKey(signer.publicKey), { mode: 0o644, flag: 'wx' });
    return signer;
}
