// What the roles report to metrics, as plain method calls: the roles know
// nothing of Prometheus (src/metrics/metrics.ts implements these).
export interface PrimaryEvents {
  batchCommitted(leaves: number, seconds: number): void;
  tokenFailed(reason: string): void;
  rateLimited(limit: string): void;
}

export interface WitnessEvents {
  /** One add-checkpoint exchange: `status` is "200", the witness's HTTP status, or "other". */
  witnessRequest(witness: string, status: string, retried: boolean, seconds?: number): void;
  /** Whether a head reached the witness quorum, and how long after it was offered. */
  witnessQuorum(reached: boolean, seconds?: number): void;
}

export const noEvents: PrimaryEvents & WitnessEvents = {
  batchCommitted() {},
  tokenFailed() {},
  rateLimited() {},
  witnessRequest() {},
  witnessQuorum() {},
};
