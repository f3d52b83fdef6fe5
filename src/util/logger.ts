// Leveled logging to stderr (or a file), one line per event:
// "<ISO time> <LEVEL> <message> key=value ...". Levels match log-go's names.
import { appendFileSync } from 'node:fs';

export const LEVELS = ['debug', 'info', 'warning', 'error'] as const;
export type Level = (typeof LEVELS)[number];

/** Where lines go: stderr (default), a file path (appended), or a function (tests). */
export type Sink = string | ((line: string) => void);

export class Logger {
  private min: number;
  constructor(
    level: Level = 'info',
    private readonly sink?: Sink,
  ) {
    this.min = LEVELS.indexOf(level);
  }

  /** A logger that keeps its lines in memory, for tests to assert on. */
  static memory(level: Level = 'debug'): { logger: Logger; lines: string[] } {
    const lines: string[] = [];
    return { logger: new Logger(level, l => lines.push(l)), lines };
  }
  setLevel(level: Level): void {
    this.min = LEVELS.indexOf(level);
  }
  enabled(level: Level): boolean {
    return LEVELS.indexOf(level) >= this.min;
  }
  private write(level: Level, msg: string, fields?: Record<string, unknown>): void {
    if (!this.enabled(level)) return;
    let s = `${new Date().toISOString()} ${level.toUpperCase()} ${msg}`;
    if (fields)
      for (const [k, v] of Object.entries(fields))
        s += ` ${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(typeof v === 'bigint' ? v.toString() : v)}`;
    if (typeof this.sink === 'function') this.sink(s);
    else if (this.sink) appendFileSync(this.sink, s + '\n');
    else process.stderr.write(s + '\n');
  }
  debug(msg: string, f?: Record<string, unknown>): void {
    this.write('debug', msg, f);
  }
  info(msg: string, f?: Record<string, unknown>): void {
    this.write('info', msg, f);
  }
  warning(msg: string, f?: Record<string, unknown>): void {
    this.write('warning', msg, f);
  }
  error(msg: string, f?: Record<string, unknown>): void {
    this.write('error', msg, f);
  }
}
