// Leveled logging to stderr (or a file), one line per event:
// "<ISO time> <LEVEL> <message> key=value ...". Levels match log-go's names.
import { appendFileSync } from 'node:fs';
export const LEVELS = ['debug', 'info', 'warning', 'error'];
export class Logger {
    sink;
    min;
    constructor(level = 'info', sink) {
        this.sink = sink;
        this.min = LEVELS.indexOf(level);
    }
    /** A logger that keeps its lines in memory, for tests to assert on. */
    static memory(level = 'debug') {
        const lines = [];
        return { logger: new Logger(level, l => lines.push(l)), lines };
    }
    setLevel(level) {
        this.min = LEVELS.indexOf(level);
    }
    enabled(level) {
        return LEVELS.indexOf(level) >= this.min;
    }
    write(level, msg, fields) {
        if (!this.enabled(level))
            return;
        let s = `${new Date().toISOString()} ${level.toUpperCase()} ${msg}`;
        if (fields)
            for (const [k, v] of Object.entries(fields))
                s += ` ${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(typeof v === 'bigint' ? v.toString() : v)}`;
        if (typeof this.sink === 'function')
            this.sink(s);
        else if (this.sink)
            appendFileSync(this.sink, s + '\n');
        else
            process.stderr.write(s + '\n');
    }
    debug(msg, f) {
        this.write('debug', msg, f);
    }
    info(msg, f) {
        this.write('info', msg, f);
    }
    warning(msg, f) {
        this.write('warning', msg, f);
    }
    error(msg, f) {
        this.write('error', msg, f);
    }
}
