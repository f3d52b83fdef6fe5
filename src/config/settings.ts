// Settings of every subcommand: one table naming each setting once, with its
// flag, its TOML key (log-go's name and section where the concept is the
// same), its type and default. Flags override the config file; unknown flags
// and unknown config keys are errors that name the offender.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseToml } from 'smol-toml';

export type Kind = 'string' | 'duration' | 'int' | 'bool' | 'level' | 'role' | 'endpoint';

export interface SettingDef {
  /** Flag name without "--", also the TOML key. */
  name: string;
  kind: Kind;
  /** TOML table: undefined = top level, or "primary" / "secondary" as in log-go. */
  section?: 'primary' | 'secondary';
  default?: string | number | boolean;
  short?: string;
  /** Repeatable flag / TOML string or array of strings; the value is a string[]. */
  multiple?: boolean;
  /** A duration that may be 0 (off). */
  allowZero?: boolean;
  help: string;
}

export class ConfigError extends Error {}

/** Go-style durations: "10s", "250ms", "1m30s", "2h". Returns milliseconds. */
export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
  if (s === '0') return 0;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new Error(`invalid duration ${JSON.stringify(s)} (examples: 250ms, 1s, 10s, 1m)`);
    const v = Number(m[1]);
    total += v * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    pos = re.lastIndex;
  }
  if (s.length === 0) throw new Error('empty duration');
  return Math.round(total);
}

/** Keys log-go accepts that have no meaning here, with the reason. */
const LOG_GO_ONLY: Record<string, string> = {
  'trillian-rpc-server': 'sigsum-log keeps its tree in --data-dir, there is no Trillian',
  backend: 'sigsum-log always stores the tree in SQLite under --data-dir',
  'trillian-tree-id-file': 'sigsum-log keeps its tree in --data-dir, there is no Trillian',
  'sth-file': 'sigsum-log stores signed tree heads in the database under --data-dir',
};

export type Values = Record<string, string | number | boolean | string[] | undefined>;

function convert(def: SettingDef, raw: unknown, where: string): string | number | boolean {
  const bad = (why: string) => new ConfigError(`${where}: ${why}`);
  switch (def.kind) {
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '') return true;
      if (raw === 'false') return false;
      throw bad('want true or false');
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < 1) throw bad(`want a positive integer, got ${JSON.stringify(raw)}`);
      return n;
    }
    case 'duration': {
      if (typeof raw !== 'string') throw bad('want a duration string such as "1s"');
      try {
        const ms = parseDuration(raw);
        if (ms < 0 || (ms === 0 && !def.allowZero)) throw new Error('must be positive');
        return ms;
      } catch (e) {
        throw bad((e as Error).message);
      }
    }
    case 'level':
      if (typeof raw !== 'string' || !['debug', 'info', 'warning', 'warn', 'error', 'fatal'].includes(raw.toLowerCase())) throw bad('want debug, info, warning or error');
      return raw.toLowerCase();
    case 'role':
      if (raw !== 'primary' && raw !== 'secondary') throw bad('want primary or secondary');
      return raw;
    case 'endpoint':
      if (typeof raw !== 'string' || !/^(\[[^\]]+\]|[^:]*):\d{1,5}$/.test(raw)) throw bad(`want HOST:PORT, got ${JSON.stringify(raw)}`);
      return raw;
    case 'string':
      if (typeof raw !== 'string') throw bad('want a string');
      return raw;
  }
}

/** Reads a TOML config file, keeping only the settings `defs` knows. */
export function readConfigFile(path: string, defs: SettingDef[]): Values {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`config file ${path}: ${(e as Error).message}`);
  }
  const out: Values = {};
  const push = (name: string, v: string) => {
    const list = Array.isArray(out[name]) ? (out[name] as string[]) : (out[name] = []);
    list.push(v);
  };
  const visit = (table: Record<string, unknown>, section: 'primary' | 'secondary' | undefined) => {
    for (const [k, v] of Object.entries(table)) {
      const where = `config file ${path}: ${section ? `[${section}] ` : ''}${k}`;
      if (section === 'primary' && k === 'secondary' && defs.some(d => d.name === 'secondary-url')) {
        // [[primary.secondary]] tables: url = "...", pubkey-file = "..."
        if (!Array.isArray(v)) throw new ConfigError(`${where}: want a list of [[primary.secondary]] tables with url and pubkey-file`);
        v.forEach((t, i) => {
          const w = `config file ${path}: [[primary.secondary]] #${i + 1}`;
          if (typeof t !== 'object' || t === null || Array.isArray(t)) throw new ConfigError(`${w}: want a table`);
          const e = t as Record<string, unknown>;
          for (const key of Object.keys(e)) if (key !== 'url' && key !== 'pubkey-file') throw new ConfigError(`${w}: unknown setting ${key} (want url and pubkey-file)`);
          if (typeof e.url !== 'string' || typeof e['pubkey-file'] !== 'string') throw new ConfigError(`${w}: needs url and pubkey-file strings`);
          push('secondary-url', e.url);
          push('secondary-pubkey-file', e['pubkey-file']);
        });
        continue;
      }
      if (!section && (k === 'primary' || k === 'secondary') && typeof v === 'object' && v !== null && !Array.isArray(v)) {
        visit(v as Record<string, unknown>, k);
        continue;
      }
      if (LOG_GO_ONLY[k]) throw new ConfigError(`${where}: log-go setting not used by sigsum-log (${LOG_GO_ONLY[k]}); remove it`);
      const def = defs.find(d => d.name === k && d.section === section) ?? defs.find(d => d.name === k);
      if (!def) throw new ConfigError(`${where}: unknown setting`);
      if (def.section !== section) throw new ConfigError(`${where}: belongs ${def.section ? `in [${def.section}]` : 'at the top level'}`);
      if (def.multiple) {
        const list = Array.isArray(v) ? v : [v];
        for (const x of list) push(def.name, convert(def, x, where) as string);
        continue;
      }
      out[def.name] = convert(def, v, where);
    }
  };
  visit(doc, undefined);
  return out;
}

export interface Parsed {
  values: Values;
  positionals: string[];
  help: boolean;
}

/** Parses flags (and --config FILE) against `defs`; flags win over the file, the file over defaults. */
export function parseSettings(argv: string[], defs: SettingDef[]): Parsed {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    config: { type: 'string' },
  };
  for (const d of defs) options[d.name] = { type: d.kind === 'bool' ? 'boolean' : 'string', ...(d.short ? { short: d.short } : {}), ...(d.multiple ? { multiple: true } : {}) };
  let parsed;
  try {
    // Accept --flag=value for booleans too (log-go's --allow-test-domain=true form).
    const args = argv.map(a => a.replace(/^--([a-z-]+)=(true|false)$/, (all, n: string, v: string) => (defs.some(d => d.name === n && d.kind === 'bool') ? (v === 'true' ? `--${n}` : `--no-${n}`) : all)));
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true, allowNegative: true } as Parameters<typeof parseArgs>[0]);
  } catch (e) {
    throw new ConfigError((e as Error).message.replace(/\. To specify a positional argument.*$/, ''));
  }
  const flags = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const values: Values = {};
  for (const d of defs) if (d.default !== undefined) values[d.name] = d.kind === 'duration' ? parseDuration(String(d.default)) : d.default;
  if (typeof flags.config === 'string') Object.assign(values, readConfigFile(flags.config, defs));
  for (const d of defs) {
    const v = flags[d.name];
    if (v === undefined) continue;
    values[d.name] = Array.isArray(v) ? v.map(x => convert(d, x, `--${d.name}`) as string) : convert(d, v, `--${d.name}`);
  }
  return { values, positionals: parsed.positionals, help: flags.help === true };
}

export function usage(command: string, summary: string, defs: SettingDef[]): string {
  const lines = [`Usage: sigsum-log ${command} [options]`, '', summary, '', 'Options:'];
  const all = [...defs, { name: 'config', kind: 'string' as Kind, help: 'TOML config file with the same setting names (flags override it)' }, { name: 'help', kind: 'bool' as Kind, help: 'show this help' }];
  for (const d of all) {
    const flag = `${'short' in d && d.short ? `-${d.short}, ` : '    '}--${d.name}${d.kind === 'bool' ? '' : ' ' + d.kind.toUpperCase()}${'multiple' in d && d.multiple ? ' ...' : ''}`;
    const def = 'default' in d && d.default !== undefined ? ` (default ${JSON.stringify(d.default)})` : '';
    const sect = 'section' in d && d.section ? ` [config: [${d.section}] ${d.name}]` : '';
    lines.push(`  ${flag.padEnd(36)} ${d.help}${def}${sect}`);
  }
  return lines.join('\n') + '\n';
}
