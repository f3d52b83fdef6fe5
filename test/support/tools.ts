// Locates the reference Sigsum programs installed by scripts/install-sigsum-tools.sh.
// Outside CI a missing installation skips the tests that need them; in CI it fails them.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function toolsDir(): string | undefined {
  const candidates = [
    process.env.SIGSUM_TOOLS_BIN,
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sigsum-tools', 'usr', 'bin'),
  ];
  for (const c of candidates)
    if (c && existsSync(join(c, 'sigsum-submit')) && existsSync(join(c, 'sigsum-log-primary'))) return c;
  return undefined;
}

/** The tools directory, or a skip reason for node:test (throws in CI, where the tools are required). */
export function requireTools(): { dir?: string; skip?: string } {
  const dir = toolsDir();
  if (dir) return { dir };
  const msg = 'reference Sigsum tools not installed (run scripts/install-sigsum-tools.sh)';
  if (process.env.CI) throw new Error(msg);
  return { skip: msg };
}

export function tool(dir: string, name: string): string {
  return join(dir, name);
}
