// sigsum-log: the command line. Parses flags and config files into typed
// settings and calls the composition root (src/node/); all behaviour lives
// there. Commands are loaded on demand, so --version and --help start fast.
import { ConfigError, parseCommand } from '../src/config/parse.js';
import { usage } from '../src/config/usage.js';
import { VERSION } from '../src/version.js';
const SUMMARIES = {
    keygen: 'Generate an Ed25519 key pair in OpenSSH format (interchangeable with sigsum-key generate).',
    init: 'Create an empty log (signing its size-0 tree head) or an empty secondary replica in a data directory.',
    serve: 'Run a log node until SIGTERM or SIGINT.',
    status: 'Show whether a node runs on a data directory, its role, epoch, tree size and the ages of its tree heads (read-only, safe while the node runs).',
    verify: "Check a data directory: SQLite's integrity check, then every leaf, subtree hash and signed tree head.",
    backup: "Copy a data directory's database while the node runs (SQLite's online backup) and verify the copy.",
};
const NOTES = {
    serve: [
        'The internal endpoint also serves /metrics (Prometheus) and /health (200 ready, 503 not ready, with the reasons).',
        'Signals: SIGTERM or SIGINT stops the node after a final signing round (at most 5 s); SIGUSR1 toggles debug logging.',
    ],
};
function topUsage() {
    return ('Usage: sigsum-log <command> [options]\n\nA Sigsum transparency log server.\n\nCommands:\n' +
        Object.entries(SUMMARIES)
            .map(([n, c]) => `  ${n.padEnd(8)} ${c.length > 68 ? c.slice(0, c.indexOf('.') + 1) : c}`)
            .join('\n') +
        '\n\nRun "sigsum-log <command> --help" for the options of a command; "sigsum-log --version" prints the version.\n');
}
/** Parses a command's settings; prints its help instead when asked. */
function parse(cmd, rest) {
    const parsed = parseCommand(cmd, rest);
    if (!parsed.help)
        return parsed;
    process.stdout.write(usage(cmd, SUMMARIES[cmd], NOTES[cmd]));
    return undefined;
}
async function run(cmd, rest) {
    const io = { out: process.stdout, err: process.stderr };
    const node = () => import('../src/node/index.js');
    switch (cmd) {
        case 'serve': {
            const p = parse(cmd, rest);
            return p ? (await node()).runServe(p.settings, p.given, process.stdout) : 0;
        }
        case 'keygen': {
            const p = parse(cmd, rest);
            return p ? (await node()).keygen(p.settings, io) : 0;
        }
        case 'init': {
            const p = parse(cmd, rest);
            return p ? (await node()).init(p.settings, io) : 0;
        }
        case 'status': {
            const p = parse(cmd, rest);
            return p ? (await node()).status(p.settings, io) : 0;
        }
        case 'verify': {
            const p = parse(cmd, rest);
            return p ? (await node()).verify(p.settings, io) : 0;
        }
        case 'backup': {
            const p = parse(cmd, rest);
            return p ? (await node()).backup(p.settings, io) : 0;
        }
    }
}
function isCommand(s) {
    return s in SUMMARIES;
}
export async function main(argv) {
    const [cmd, ...rest] = argv;
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
        process.stdout.write(topUsage());
        return cmd === undefined ? 2 : 0;
    }
    if (cmd === '--version' || cmd === 'version') {
        process.stdout.write(`sigsum-log ${VERSION}\n`);
        return 0;
    }
    if (!isCommand(cmd)) {
        process.stderr.write(`sigsum-log: unknown command ${JSON.stringify(cmd)}\n\n${topUsage()}`);
        return 2;
    }
    try {
        return await run(cmd, rest);
    }
    catch (e) {
        const lines = e instanceof ConfigError ? e.problems : [e instanceof Error ? e.message : String(e)];
        for (const l of lines)
            process.stderr.write(`sigsum-log ${cmd}: ${l}\n`);
        if (e instanceof Error && !(e instanceof ConfigError) && process.env.SIGSUM_LOG_DEBUG)
            process.stderr.write(`${e.stack}\n`);
        return 1;
    }
}
process.exitCode = await main(process.argv.slice(2));
