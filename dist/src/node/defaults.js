/** Sequencer: a batch commit every 20 ms, at most 2048 leaves per transaction (bounds how long one commit blocks the event loop), 100 000 waiting at most (back-pressure: 503). */
export const SEQUENCER = { batchInterval: 20, maxBatch: 2048, maxPool: 100_000 };
/** Secondary: up to 8192 leaves per checked transaction, 4 get-leaves requests in flight while catching up. */
export const SECONDARY = { chunk: 8192, parallel: 4 };
/** Listeners: Go-like serial handling per connection, 16 pipelined requests at most, timeouts against slow clients. */
export const LISTENER = {
    maxPipelined: 16,
    maxConnections: 4096,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5_000,
};
/** Costly reads (get-leaves, proofs) in flight per listener, and how many may wait for a turn before 503. */
export const COSTLY = { max: 32, maxWaiting: 1024 };
/** Shutdown: the final signing round, the listeners and everything else get this long in all. */
export const SHUTDOWN_MS = 5000;
/** How often the data directory is checked for having vanished or been replaced. */
export const STORAGE_CHECK_MS = 1000;
/** DNS lookups of submit-token keys: deadline per lookup. */
export const DNS_TIMEOUT_MS = 5000;
