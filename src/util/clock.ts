// Injectable time, so tests can control what the log believes "now" is.
// Wall time (now) is what timestamps and ages are made of and may jump;
// monotonic time is what deadlines and periods are measured with and never
// goes back.
export interface Clock {
  /** Unix time in milliseconds (wall clock; may jump back or forth). */
  now(): number;
  /** Milliseconds on a clock that never goes back (for periods and deadlines). */
  monotonic(): number;
}

export const systemClock: Clock = { now: () => Date.now(), monotonic: () => performance.now() };
