// Progress of long jobs (verify, promotion's fsck, a secondary's catch-up,
// backups): a bar on a terminal, otherwise one line every `everyMs` with the
// rate and an ETA, so progress shows under systemd too.
export class Progress {
    what;
    write;
    tty;
    everyMs;
    unit;
    now;
    started;
    lastLine; // the first line comes after everyMs, when a rate means something
    ended = false; // the bar's final newline was written
    constructor(what, write, tty, everyMs = 10_000, unit = 'leaves', now = Date.now) {
        this.what = what;
        this.write = write;
        this.tty = tty;
        this.everyMs = everyMs;
        this.unit = unit;
        this.now = now;
        this.started = this.lastLine = now();
    }
    update(done, total) {
        const now = this.now();
        if (this.tty) {
            const w = 40;
            const frac = total === 0 ? 1 : done / total;
            this.write(`\r[${'#'.repeat(Math.round(frac * w)).padEnd(w, '.')}] ${(frac * 100).toFixed(1)}% ${done}/${total} ${this.unit}` +
                (done >= total && !this.ended ? '\n' : ''));
            if (done >= total)
                this.ended = true;
            return;
        }
        if (now - this.lastLine < this.everyMs && done < total)
            return;
        this.lastLine = now;
        const secs = (now - this.started) / 1000;
        const rate = secs > 0 ? done / secs : 0;
        const eta = rate > 0 ? Math.round((total - done) / rate) : undefined;
        this.write(`${this.what}: ${done}/${total} ${this.unit} (${Math.round(rate)}/s${eta !== undefined && done < total ? `, ETA ${eta}s` : ''})\n`);
    }
    end() {
        if (this.tty && !this.ended)
            this.write('\n');
        this.ended = true;
    }
}
