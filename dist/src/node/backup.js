// "sigsum-log backup": an online, consistent copy of a data directory's
// database while its node runs (SQLite's backup API, from a read-only
// connection, so the node is never blocked), verified before success is
// reported: SQLite's integrity check, the startup checks (key, signed head,
// root), and a full fsck of the copy. A failed copy is deleted.
import { existsSync, rmSync } from 'node:fs';
import { parsePublicKey } from '../sigsum/keyfile.js';
import { ConfigError } from '../config/parse.js';
import { checkStoredState, dbPath } from '../storage/datadir.js';
import { fsck } from '../storage/fsck.js';
import { openSqliteStore } from '../storage/sqlite.js';
import { Progress } from '../util/progress.js';
import { errorMessage } from '../util/errors.js';
export async function backup(s, io) {
    if (!s.dataDir)
        throw new ConfigError(['--data-dir is required']);
    if (!s.output)
        throw new ConfigError(['--output is required']);
    const output = s.output;
    if (existsSync(output))
        throw new ConfigError([`--output ${output} already exists; refusing to overwrite it`]);
    const tty = io.err.isTTY === true;
    const source = openSqliteStore(dbPath(s.dataDir), true);
    const copying = new Progress('backup', l => io.err.write(l), tty, 10_000, 'pages');
    try {
        await source.backup(output, (done, total) => copying.update(done, total));
        copying.end();
    }
    catch (e) {
        rmSync(output, { force: true });
        throw e;
    }
    finally {
        source.close();
    }
    const copy = openSqliteStore(output, true);
    try {
        const sqlite = copy.integrityCheck();
        if (sqlite.length !== 1 || sqlite[0] !== 'ok')
            throw new Error(`the copy fails SQLite's integrity check: ${sqlite.join('; ')}`);
        const key = parsePublicKey(copy.logPublicKeyHex);
        checkStoredState(copy, key);
        const checking = new Progress('backup verify', l => io.err.write(l), tty);
        const res = fsck(copy, key, (done, total) => checking.update(done, total));
        checking.end();
        if (!res.ok)
            throw new Error(`the copy fails its check: ${res.problem}`);
        io.out.write(`OK: ${output} holds ${res.leaves} leaves and ${res.treeHeads} signed tree heads (role ${copy.role}, epoch ${copy.epoch}), verified\n`);
        return 0;
    }
    catch (e) {
        copy.close();
        rmSync(output, { force: true });
        io.out.write(`FAILED: ${errorMessage(e)}; the copy was deleted\n`);
        return 1;
    }
    finally {
        copy.close();
    }
}
