// --help text, wrapped at 80 columns and grouped as an operator reads it:
// every node, primary, witnesses, rate limits, failover, secondary, logging.
import { COMMAND_SETTINGS, SETTINGS, type Command, type Group, type SettingDef } from './settings.js';

const WIDTH = 80;
const GROUPS: Record<Group, string> = {
  node: 'Every node',
  primary: 'Primary',
  witnesses: 'Primary: witnesses and publication',
  limits: 'Primary: rate limits',
  failover: 'Failover (flags only, never in a config file)',
  secondary: 'Secondary',
  logging: 'Logging',
  command: 'Options',
};

/** Wraps `text` to lines of at most `width` columns, the first after `first` columns, the rest indented by `indent`. */
export function wrap(text: string, indent: number, first = indent, width = WIDTH): string[] {
  const lines: string[] = [];
  let line = '';
  let room = width - first;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
      room = width - indent;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : ' '.repeat(indent) + l));
}

function optionLines(def: SettingDef): string[] {
  const metavar =
    def.kind === 'bool'
      ? ''
      : ` ${def.kind === 'duration' ? 'DURATION' : def.kind === 'int' ? 'N' : def.kind === 'path' ? 'FILE' : def.kind.toUpperCase()}`;
  const flag = `  ${def.short ? `-${def.short}, ` : ''}--${def.flag}${metavar}${def.multiple ? ' ...' : ''}`;
  const notes = [
    ...(def.default !== undefined && def.default !== '' ? [`default ${String(def.default)}`] : []),
    ...(def.max !== undefined ? [`at most ${def.max}`] : []),
  ];
  const dflt = notes.length > 0 ? ` (${notes.join(', ')})` : '';
  const where = def.section ? ` [${def.section}]` : '';
  const help = `${def.help}${dflt}.${def.flagOnly ? '' : where ? ` Config:${where} ${def.flag}.` : ''}`;
  return [flag, ...wrap(help, 6).map(l => (l.startsWith(' ') ? l : `      ${l}`))];
}

export function usage(command: Command, summary: string, notes: string[] = []): string {
  const out = [`Usage: sigsum-log ${command} [options]`, '', ...wrap(summary, 0), ''];
  const keys = COMMAND_SETTINGS[command] as readonly (keyof typeof SETTINGS)[];
  for (const [group, title] of Object.entries(GROUPS)) {
    const defs = keys.map(k => SETTINGS[k] as SettingDef).filter(d => d.group === group);
    if (defs.length === 0) continue;
    out.push(`${title}:`);
    for (const d of defs) out.push(...optionLines(d));
    out.push('');
  }
  out.push(
    'Other:',
    ...optionLines({
      flag: 'config',
      kind: 'path',
      group: 'command',
      help: 'TOML file with the same names; flags win over it; relative paths in it are relative to its folder',
    }),
    ...optionLines({ flag: 'help', kind: 'bool', short: 'h', group: 'command', help: 'show this help' }),
  );
  if (notes.length) out.push('', ...notes.flatMap(n => [...wrap(n, 0), '']));
  return out.join('\n').replace(/\n+$/, '') + '\n';
}
