// Reading what was thrown without pretending to know its type: a thrown value
// may be anything, so its message and code are taken only when they exist.
export function errorMessage(e) {
    return e instanceof Error ? e.message : String(e);
}
/** The `code` of a Node or SQLite error ("ENOENT", "SQLITE_BUSY"), if it has one. */
export function errorCode(e) {
    if (typeof e !== 'object' || e === null || !('code' in e))
        return undefined;
    return typeof e.code === 'string' ? e.code : undefined;
}
