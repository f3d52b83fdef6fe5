// The import rule of doc/design.md, checked on every source file: each
// folder of src/ may import only the folders the rule allows, roles see
// storage only through its ports, the HTTP layer sees roles only as types,
// only the composition root (src/node/) imports everything, and cmd/ imports
// only the composition root and config. A new import that breaks the rule
// fails here, naming the file and the import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Folder -> folders it may import (besides itself); "type:" = type-only imports. */
const RULE: Record<string, string[]> = {
  util: [],
  sigsum: ['util'],
  storage: ['sigsum', 'util'],
  net: ['sigsum', 'util'],
  metrics: ['util'],
  config: ['util'],
  ratelimit: ['sigsum', 'util', 'net', 'storage', 'type:metrics'],
  witness: ['sigsum', 'util', 'net', 'storage', 'type:metrics'],
  secondary: ['sigsum', 'util', 'net', 'storage', 'type:metrics'],
  primary: ['witness', 'ratelimit', 'sigsum', 'util', 'net', 'storage', 'type:metrics'],
  http: ['sigsum', 'util', 'type:metrics', 'type:primary', 'type:secondary', 'type:witness'],
  node: ['*'],
  cmd: ['node', 'config'],
};
/** The storage modules roles may import: the ports and algorithms over them, never SQLite or the data directory. */
const STORAGE_PORTS = ['ports', 'state', 'fsck'];
const ROLES = ['ratelimit', 'witness', 'secondary', 'primary'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap(f => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** "src/primary/x.ts" -> "primary"; "cmd/x.ts" -> "cmd"; "src/version.ts" -> "version". */
function area(file: string): string {
  const rel = relative(ROOT, file).split('/');
  if (rel[0] === 'cmd') return 'cmd';
  return rel.length === 2 ? rel[1].replace(/\.ts$/, '') : rel[1];
}

interface Import {
  target: string;
  typeOnly: boolean;
}

export function importsOf(source: string): Import[] {
  const out: Import[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'"]*?)\s*from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/gm;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    if (m[5]) {
      out.push({ target: m[5], typeOnly: false });
      continue;
    }
    const names = m[3];
    const allTypes =
      /^\{[^}]*\}$/.test(names.trim()) &&
      names
        .replace(/[{}\s]/g, '')
        .split(',')
        .filter(Boolean)
        .every(n => n.startsWith('type'));
    out.push({ target: m[4], typeOnly: m[2] !== undefined || allTypes });
  }
  return out;
}

function violations(): string[] {
  const out: string[] = [];
  for (const file of [...files(join(ROOT, 'src')), ...files(join(ROOT, 'cmd'))]) {
    const from = area(file);
    if (from === 'version') continue;
    const allowed = RULE[from];
    if (!allowed) {
      out.push(`${relative(ROOT, file)}: folder ${from} is not in the import rule`);
      continue;
    }
    for (const imp of importsOf(readFileSync(file, 'utf8'))) {
      if (!imp.target.startsWith('.')) continue; // packages and node: builtins
      const target = resolve(dirname(file), imp.target).replace(/\.js$/, '.ts');
      const to = area(target);
      if (to === from || to === 'version' || allowed.includes('*')) continue;
      const name = `${relative(ROOT, file)} imports ${imp.target}`;
      if (allowed.includes(to)) {
        if (
          to === 'storage' &&
          ROLES.includes(from) &&
          !STORAGE_PORTS.includes(target.split('/').pop()!.replace(/\.ts$/, ''))
        )
          out.push(`${name}: roles see storage only through its ports (${STORAGE_PORTS.join(', ')})`);
        continue;
      }
      if (allowed.includes(`type:${to}`)) {
        if (!imp.typeOnly) out.push(`${name}: ${from} may import ${to} for types only`);
        continue;
      }
      out.push(`${name}: ${from} may not import ${to}`);
    }
  }
  return out;
}

test('every import follows the rule of doc/design.md', () => {
  assert.deepEqual(violations(), []);
});

test('the rule itself has no cycle between folders (except through the composition root)', () => {
  const edges = Object.entries(RULE).flatMap(([from, tos]) =>
    tos.filter(t => t !== '*').map(t => [from, t.replace(/^type:/, '')] as const),
  );
  const reach = (a: string, b: string, seen = new Set<string>()): boolean =>
    edges.some(([x, y]) => x === a && !seen.has(y) && (y === b || reach(y, b, seen.add(y))));
  for (const folder of Object.keys(RULE)) assert.ok(!reach(folder, folder), `${folder} can reach itself`);
});

test('the checker sees what it must: a forbidden import and a value import of a type-only folder are caught', () => {
  assert.deepEqual(
    importsOf(
      "import { a, type B } from '../x.js';\nimport type { C } from '../y.js';\nexport { d } from './z.js';\nconst m = await import('../w.js');",
    ),
    [
      { target: '../x.js', typeOnly: false },
      { target: '../y.js', typeOnly: true },
      { target: './z.js', typeOnly: false },
      { target: '../w.js', typeOnly: false },
    ],
  );
  assert.deepEqual(importsOf("import { type A, type B } from '../x.js';"), [{ target: '../x.js', typeOnly: true }]);
});
