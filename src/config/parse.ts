// Flags and TOML config files into typed settings. Flags win over the file,
// the file over defaults. Every problem is collected and reported together
// (one run shows them all), each naming the flag or the file and key.
// Conventions kept from log-go: the same names in flags and files, [primary]
// and [secondary] tables, "" meaning unset; unknown keys are errors, and
// log-go keys that mean nothing here say why. Relative paths in a file are
// resolved against the file's folder; on the command line, against the
// working directory.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import {
  COMMAND_SETTINGS,
  LOG_GO_ONLY,
  SETTINGS,
  type Command,
  type CommandSettings,
  type SettingDef,
  type SettingKey,
} from './settings.js';
import { errorMessage } from '../util/errors.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** Go-style durations: "10s", "250ms", "1m30s", "2h". Returns milliseconds. */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  if (s.length === 0) throw new Error('empty duration');
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new Error(`invalid duration ${JSON.stringify(s)} (examples: 250ms, 1s, 10s, 1m)`);
    total += Number(m[1]) * units[m[2]];
    pos = re.lastIndex;
  }
  return Math.round(total);
}

type Raw = string | number | boolean | string[];

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Converts one raw value; throws a message (without the "where"). `base`: folder for relative paths. */
function convert(def: SettingDef, raw: unknown, base: string | undefined): string | number | boolean {
  switch (def.kind) {
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw new Error('want true or false');
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
      const min = def.flag === 'scrub-rate' || def.allowZero ? 0 : 1;
      if (!Number.isSafeInteger(n) || n < min)
        throw new Error(`want a ${min === 0 ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(raw)}`);
      if (def.max !== undefined && n > def.max) throw new Error(`at most ${def.max}, got ${n}`);
      return n;
    }
    case 'duration': {
      if (typeof raw !== 'string') throw new Error('want a duration string such as "1s"');
      const ms = parseDuration(raw);
      if (ms === 0 && !def.allowZero) throw new Error('must be positive');
      return ms;
    }
    case 'level': {
      const l = typeof raw === 'string' ? raw.toLowerCase() : '';
      if (!['debug', 'info', 'warning', 'warn', 'error', 'fatal'].includes(l))
        throw new Error('want debug, info, warning or error');
      return l === 'warn' ? 'warning' : l === 'fatal' ? 'error' : l;
    }
    case 'role':
      if (raw !== 'primary' && raw !== 'secondary') throw new Error('want primary or secondary');
      return raw;
    case 'format':
      if (raw !== 'text' && raw !== 'json') throw new Error('want text or json');
      return raw;
    case 'endpoint':
      if (typeof raw !== 'string' || !/^(\[[^\]]+\]|[^:]*):\d{1,5}$/.test(raw))
        throw new Error(`want HOST:PORT, got ${JSON.stringify(raw)}`);
      return raw;
    case 'url':
      if (typeof raw !== 'string' || !/^https?:\/\/[^/\s]+\S*$/.test(raw))
        throw new Error(`${JSON.stringify(raw)}: want an http:// or https:// URL`);
      return raw;
    case 'hex32':
      if (typeof raw !== 'string' || !/^[0-9a-fA-F]{64}$/.test(raw)) throw new Error('want 64 hex digits');
      return raw.toLowerCase();
    case 'path':
      if (typeof raw !== 'string') throw new Error('want a file name');
      return base === undefined ? raw : resolve(base, raw);
    case 'string':
      if (typeof raw !== 'string') throw new Error('want a string');
      return raw;
  }
}

function keyOfFlag(flag: string, keys: readonly SettingKey[]): SettingKey | undefined {
  return keys.find(k => SETTINGS[k].flag === flag);
}

/** Reads a TOML config file into raw values by setting key; problems are pushed. */
function readConfigFile(
  path: string,
  keys: readonly SettingKey[],
  problems: string[],
): Partial<Record<SettingKey, Raw>> {
  const out: Partial<Record<SettingKey, Raw>> = {};
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(readFileSync(path, 'utf8'));
  } catch (e) {
    problems.push(`config file ${path}: ${errorMessage(e)}`);
    return out;
  }
  const base = dirname(resolve(path));
  const push = (key: SettingKey, v: string | number | boolean) => {
    const list = out[key];
    out[key] = Array.isArray(list) ? [...list, String(v)] : [String(v)];
  };
  const set = (key: SettingKey, v: unknown, where: string) => {
    const def: SettingDef = SETTINGS[key];
    if (def.flagOnly)
      return problems.push(
        `${where}: only a command-line flag (it must not persist across restarts); remove it from the file`,
      );
    if (v === '') return; // log-go: "" means unset
    try {
      if (def.multiple) for (const x of Array.isArray(v) ? v : [v]) push(key, convert(def, x, base));
      else out[key] = convert(def, v, base);
    } catch (e) {
      problems.push(`${where}: ${errorMessage(e)}`);
    }
  };
  const visit = (table: Record<string, unknown>, section: 'primary' | 'secondary' | undefined) => {
    for (const [k, v] of Object.entries(table)) {
      const where = `config file ${path}: ${section ? `[${section}] ` : ''}${k}`;
      if (section === 'primary' && k === 'secondary' && keys.includes('secondaryUrl')) {
        if (!Array.isArray(v)) {
          problems.push(`${where}: want a list of [[primary.secondary]] tables with url and pubkey-file`);
          continue;
        }
        v.forEach((t, i) => {
          const w = `config file ${path}: [[primary.secondary]] #${i + 1}`;
          if (!isTable(t)) return problems.push(`${w}: want a table`);
          const e = t;
          for (const key of Object.keys(e))
            if (key !== 'url' && key !== 'pubkey-file')
              problems.push(`${w}: unknown setting ${key} (want url and pubkey-file)`);
          if (typeof e.url !== 'string' || typeof e['pubkey-file'] !== 'string')
            return problems.push(`${w}: needs url and pubkey-file strings`);
          set('secondaryUrl', e.url, `${w} url`);
          set('secondaryPubkeyFile', e['pubkey-file'], `${w} pubkey-file`);
        });
        continue;
      }
      if (!section && (k === 'primary' || k === 'secondary') && isTable(v)) {
        visit(v, k);
        continue;
      }
      if (LOG_GO_ONLY[k]) {
        problems.push(`${where}: log-go setting not used by sigsum-log (${LOG_GO_ONLY[k]}); remove it`);
        continue;
      }
      const key =
        keys.find(x => SETTINGS[x].flag === k && (SETTINGS[x] as SettingDef).section === section) ?? keyOfFlag(k, keys);
      if (!key) {
        problems.push(`${where}: unknown setting`);
        continue;
      }
      const def: SettingDef = SETTINGS[key];
      if (def.section !== section) {
        problems.push(`${where}: belongs ${def.section ? `in [${def.section}]` : 'at the top level'}`);
        continue;
      }
      set(key, v, where);
    }
  };
  visit(doc, undefined);
  return out;
}

export interface Parsed<C extends Command> {
  settings: CommandSettings<C>;
  /** Which settings were given (flag or file), as opposed to defaults. */
  given: Set<SettingKey>;
  help: boolean;
  configFile?: string;
}

/** Parses a command's flags (and --config FILE) into typed settings; throws ConfigError with every problem found. */
export function parseCommand<C extends Command>(command: C, argv: readonly string[]): Parsed<C> {
  const keys: readonly SettingKey[] = COMMAND_SETTINGS[command];
  const problems: string[] = [];
  const flags: Partial<Record<SettingKey, Raw>> = {};
  let config: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      help = true;
      continue;
    }
    const m = /^(?:--([a-z][a-z0-9-]*)|-([a-zA-Z]))(?:=(.*))?$/s.exec(a);
    if (!m) {
      problems.push(`unexpected argument ${JSON.stringify(a)}`);
      continue;
    }
    let name = m[1] ?? '';
    const short = m[2];
    let inline = m[3];
    if (name === 'config') {
      config = inline ?? argv[++i];
      if (config === undefined) problems.push('--config needs a file name');
      continue;
    }
    let negated = false;
    let key = short ? keys.find(k => (SETTINGS[k] as SettingDef).short === short) : keyOfFlag(name, keys);
    if (!key && name.startsWith('no-')) {
      key = keyOfFlag(name.slice(3), keys);
      negated = key !== undefined && SETTINGS[key].kind === 'bool';
      if (!negated) key = undefined;
    }
    if (!key) {
      problems.push(`unknown option ${short ? `-${short}` : `--${name}`}`);
      continue;
    }
    const def: SettingDef = SETTINGS[key];
    name = def.flag;
    if (def.kind === 'bool') {
      if (inline === undefined) inline = negated ? 'false' : 'true';
    } else if (inline === undefined) {
      inline = argv[++i];
      if (inline === undefined) {
        problems.push(`--${name} needs a value`);
        continue;
      }
    }
    if (inline === '' && def.kind !== 'bool') continue; // log-go: "" means unset
    try {
      const v = convert(def, inline, undefined);
      const list = flags[key];
      if (def.multiple) flags[key] = Array.isArray(list) ? [...list, String(v)] : [String(v)];
      else flags[key] = v;
    } catch (e) {
      problems.push(`--${name}: ${errorMessage(e)}`);
    }
  }
  const file = config !== undefined ? readConfigFile(config, keys, problems) : {};
  const values: Record<string, unknown> = {};
  const given = new Set<SettingKey>();
  for (const k of keys) {
    const def: SettingDef = SETTINGS[k];
    const v = flags[k] ?? file[k];
    if (v !== undefined) given.add(k);
    if (v !== undefined) values[k] = v;
    else if (def.multiple) values[k] = [];
    else if (def.default !== undefined)
      values[k] = def.kind === 'duration' ? parseDuration(String(def.default)) : def.default;
    else if (def.kind === 'bool') values[k] = false;
  }
  if (problems.length > 0 && !help) throw new ConfigError(problems);
  // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion -- one converted value (or default) per setting of C, by the loop above
  return { settings: values as CommandSettings<C>, given, help, configFile: config };
}
