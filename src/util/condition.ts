// A failure is a state: one log line when it starts, one when it changes
// kind, one when it ends, and nothing per retry in between (DEBUG only).
// Keyed by the kind of the condition (chosen by the caller, e.g. "timeout",
// "http-409"), never by the text of a message that may carry timestamps or
// sizes that change on every retry.
import type { Logger } from './logger.js';

export class Condition {
  private kind: string | undefined;
  /** The latest message, for health pages and status. */
  message: string | undefined;
  /** Unix ms when the condition started (performance-independent, from Date). */
  since: number | undefined;

  constructor(
    private readonly logger: Logger,
    /** What the lines say, e.g. "witness failing". */
    private readonly what: string,
    private readonly level: 'warning' | 'error' = 'warning',
    private readonly fields: Record<string, unknown> = {},
  ) {}

  get active(): boolean {
    return this.kind !== undefined;
  }

  /** The condition holds, of this kind. */
  set(kind: string, message: string, fields: Record<string, unknown> = {}): void {
    const all = { ...this.fields, ...fields, error: message };
    if (kind !== this.kind) {
      this.logger[this.level](this.kind === undefined ? this.what : `${this.what} (changed)`, all);
      if (this.kind === undefined) this.since = Date.now();
      this.kind = kind;
    } else {
      this.logger.debug(`${this.what} (still)`, all);
    }
    this.message = message;
  }

  /** The condition no longer holds; `recovered` is the INFO line (only written if it held). */
  clear(recovered: string, fields: Record<string, unknown> = {}): void {
    if (this.kind === undefined) return;
    this.logger.info(recovered, { ...this.fields, ...fields });
    this.kind = undefined;
    this.message = undefined;
    this.since = undefined;
  }
}
