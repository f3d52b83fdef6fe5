// The software version shown on the info page and by --version.
import { readFileSync } from 'node:fs';
/** package.json is one level up from src/ when run from source, two from dist/src/ when installed. */
function read() {
    for (const rel of ['../package.json', '../../package.json']) {
        try {
            const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
            if (typeof pkg === 'object' && pkg !== null && 'name' in pkg && pkg.name === 'sigsum-log')
                return 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : 'unknown';
        }
        catch {
            // try the next
        }
    }
    return 'unknown';
}
export const VERSION = read();
