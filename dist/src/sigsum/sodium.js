// The optional libsodium binding (sodium-native, prebuilt inside the package):
// loaded once, used only where it is both faster and never more permissive
// than the node:crypto path it sits in front of (SHA-256 of small inputs, the
// accept-only Ed25519 fast path in crypto.ts). When it cannot load, every
// caller falls back to node:crypto and `sodiumLoadError` says why (the node
// logs it once at startup).
import { createRequire } from 'node:module';
function isSodium(m) {
    return (typeof m === 'object' &&
        m !== null &&
        typeof Reflect.get(m, 'crypto_hash_sha256') === 'function' &&
        typeof Reflect.get(m, 'crypto_sign_verify_detached') === 'function');
}
function load() {
    if (process.env.SIGSUM_LOG_NO_SODIUM === '1')
        return { error: 'disabled by SIGSUM_LOG_NO_SODIUM=1' };
    try {
        const m = createRequire(import.meta.url)('sodium-native');
        return isSodium(m) ? { sodium: m } : { error: 'sodium-native lacks the expected functions' };
    }
    catch (e) {
        return { error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
    }
}
const loaded = load();
/** libsodium, or undefined when it could not be loaded. */
export const sodium = loaded.sodium;
/** Why libsodium is not used, if it is not. */
export const sodiumLoadError = loaded.error;
