// Leveled logging, one line per event, to stderr or a file. Levels match
// log-go's names. Two formats:
//   text: "<ISO time> <LEVEL> <message> key=value ..."
//   json: {"time":"<ISO time>","level":"info","msg":"<message>","key":value,...}
// A file is written asynchronously (a write stream, appending); lines that
// would pile up beyond MAX_PENDING bytes because the disk does not keep up
// are dropped and counted, and the count is logged once writing catches up:
// logging never blocks the node or grows its memory without bound.
import { createWriteStream, type WriteStream } from 'node:fs';

export const LEVELS = ['debug', 'info', 'warning', 'error'] as const;
export type Level = (typeof LEVELS)[number];
export type LogFormat = 'text' | 'json';

/** Where lines go: stderr (default), a file path (appended), or a function (tests). */
export type Sink = string | ((line: string) => void);

const MAX_PENDING = 8 << 20;
const RESERVED = new Set(['time', 'level', 'msg']);

function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Error) return v.message;
  return v;
}

export class Logger {
  private min: number;
  private stream: WriteStream | undefined; // owned by write(); ended by close()
  private dropped = 0;

  constructor(
    level: Level = 'info',
    private readonly sink?: Sink,
    private readonly format: LogFormat = 'text',
  ) {
    this.min = LEVELS.indexOf(level);
    if (typeof sink === 'string') {
      this.stream = createWriteStream(sink, { flags: 'a' });
      this.stream.on('error', e =>
        process.stderr.write(`sigsum-log: cannot write the log file ${sink}: ${e.message}\n`),
      );
    }
  }

  /** A logger that keeps its lines in memory, for tests to assert on. */
  static memory(level: Level = 'debug', format: LogFormat = 'text'): { logger: Logger; lines: string[] } {
    const lines: string[] = [];
    return { logger: new Logger(level, l => lines.push(l), format), lines };
  }

  setLevel(level: Level): void {
    this.min = LEVELS.indexOf(level);
  }

  enabled(level: Level): boolean {
    return LEVELS.indexOf(level) >= this.min;
  }

  /** Flushes and closes a log file (at exit). */
  close(): Promise<void> {
    const s = this.stream;
    this.stream = undefined;
    return s ? new Promise(r => s.end(r)) : Promise.resolve();
  }

  private line(level: Level, msg: string, fields?: Record<string, unknown>): string {
    const time = new Date().toISOString();
    if (this.format === 'json') {
      const o: Record<string, unknown> = { time, level, msg };
      if (fields) for (const [k, v] of Object.entries(fields)) o[RESERVED.has(k) ? `field_${k}` : k] = jsonValue(v);
      return JSON.stringify(o);
    }
    let s = `${time} ${level.toUpperCase()} ${msg}`;
    if (fields)
      for (const [k, v] of Object.entries(fields)) {
        const x = jsonValue(v);
        s += ` ${k}=${typeof x === 'string' && !/\s/.test(x) ? x : JSON.stringify(x)}`;
      }
    return s;
  }

  private write(level: Level, msg: string, fields?: Record<string, unknown>): void {
    if (!this.enabled(level)) return;
    const s = this.line(level, msg, fields);
    if (typeof this.sink === 'function') return this.sink(s);
    if (!this.stream) {
      if (typeof this.sink !== 'string') process.stderr.write(s + '\n');
      return;
    }
    if (this.stream.writableLength > MAX_PENDING) {
      this.dropped++;
      return;
    }
    if (this.dropped > 0) {
      const n = this.dropped;
      this.dropped = 0;
      this.stream.write(this.line('warning', 'log lines dropped: the log file did not keep up', { dropped: n }) + '\n');
    }
    this.stream.write(s + '\n');
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
