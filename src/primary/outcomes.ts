// What the primary says about a submission, in domain terms. The HTTP layer
// (src/http/) maps each kind to a status code and body.
export type AddLeafOutcome =
  /** The leaf is in the tree head that decides 200 (log.md: the log promises to publish it). */
  | { kind: 'included' }
  /** Accepted (pooled or stored) but not yet in that head: 202. */
  | { kind: 'accepted' }
  /** The sigsum-token header did not verify. */
  | { kind: 'bad-token'; reason: string }
  /** The leaf signature does not verify. */
  | { kind: 'bad-signature' }
  /** A rate limit refused it; `reason` names the limit. */
  | { kind: 'rate-limited'; reason: string }
  /** Not accepted now (pool full, shutting down, storage unusable); the client retries. */
  | { kind: 'unavailable'; reason: string };
