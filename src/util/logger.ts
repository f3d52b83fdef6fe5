// Leveled logging to stderr (or a file), one line per event:
// "<ISO time> <LEVEL> <message> key=value ...". Levels match log-go's names.
import { appendFileSync } from 'node:fs';

export const LEVELS = ['debug', 'info', 'warning', 'error'] as const;
export type Level = (typeof LEVELS)[number];

export function parseLevel(s: string): Level {
  const l = s.toLowerCase() === 'warn' ? 'warning' : s.toLowerCase() === 'fatal' ? 'error' : s.toLowerCase();
  if (!(LEVELS as readonly string[]).includes(l)) throw new Error(`invalid log level ${JSON.stringify(s)} (want debug, info, warning or error)`);
  return l as Level;
}

export class Logger {
  private min: number;
  constructor(level: Level = 'info', private readonly file?: string) {
    this.min = LEVELS.indexOf(level);
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
    if (fields) for (const [k, v] of Object.entries(fields)) s += ` ${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(typeof v === 'bigint' ? v.toString() : v)}`;
    s += '\n';
    if (this.file) appendFileSync(this.file, s);
    else process.stderr.write(s);
  }
  debug(msg: string, f?: Record<string, unknown>): void { this.write('debug', msg, f); }
  info(msg: string, f?: Record<string, unknown>): void { this.write('info', msg, f); }
  warning(msg: string, f?: Record<string, unknown>): void { this.write('warning', msg, f); }
  error(msg: string, f?: Record<string, unknown>): void { this.write('error', msg, f); }
}

export const silentLogger = new Logger('error');
