// Progress of long jobs (verify, promotion's fsck, a secondary's catch-up,
// backups): a bar on a terminal, otherwise one line every `everyMs` with the
// rate and an ETA, so progress shows under systemd too.
export class Progress {
  private readonly started: number;
  private lastLine: number; // the first line comes after everyMs, when a rate means something
  private ended = false; // the bar's final newline was written

  constructor(
    private readonly what: string,
    private readonly write: (line: string) => void,
    private readonly tty: boolean,
    private readonly everyMs = 10_000,
    private readonly unit = 'leaves',
    private readonly now: () => number = Date.now,
  ) {
    this.started = this.lastLine = now();
  }

  update(done: number, total: number): void {
    const now = this.now();
    if (this.tty) {
      const w = 40;
      const frac = total === 0 ? 1 : done / total;
      this.write(
        `\r[${'#'.repeat(Math.round(frac * w)).padEnd(w, '.')}] ${(frac * 100).toFixed(1)}% ${done}/${total} ${this.unit}` +
          (done >= total && !this.ended ? '\n' : ''),
      );
      if (done >= total) this.ended = true;
      return;
    }
    if (now - this.lastLine < this.everyMs && done < total) return;
    this.lastLine = now;
    const secs = (now - this.started) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 ? Math.round((total - done) / rate) : undefined;
    this.write(
      `${this.what}: ${done}/${total} ${this.unit} (${Math.round(rate)}/s${eta !== undefined && done < total ? `, ETA ${eta}s` : ''})\n`,
    );
  }

  end(): void {
    if (this.tty && !this.ended) this.write('\n');
    this.ended = true;
  }
}
