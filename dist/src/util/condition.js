export class Condition {
    logger;
    what;
    level;
    fields;
    kind;
    /** The latest message, for health pages and status. */
    message;
    /** Unix ms when the condition started (performance-independent, from Date). */
    since;
    constructor(logger, 
    /** What the lines say, e.g. "witness failing". */
    what, level = 'warning', fields = {}) {
        this.logger = logger;
        this.what = what;
        this.level = level;
        this.fields = fields;
    }
    get active() {
        return this.kind !== undefined;
    }
    /** The condition holds, of this kind. */
    set(kind, message, fields = {}) {
        const all = { ...this.fields, ...fields, error: message };
        if (kind !== this.kind) {
            this.logger[this.level](this.kind === undefined ? this.what : `${this.what} (changed)`, all);
            if (this.kind === undefined)
                this.since = Date.now();
            this.kind = kind;
        }
        else {
            this.logger.debug(`${this.what} (still)`, all);
        }
        this.message = message;
    }
    /** The condition no longer holds; `recovered` is the INFO line (only written if it held). */
    clear(recovered, fields = {}) {
        if (this.kind === undefined)
            return;
        this.logger.info(recovered, { ...this.fields, ...fields });
        this.kind = undefined;
        this.message = undefined;
        this.since = undefined;
    }
}
