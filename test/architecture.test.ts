// The layering of src/ (docs/architecture.md): every import goes down the layer table below, and no files import each other in a circle.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = path.join(ROOT, 'src');

/**
 * The layers, lowest first: a file may import its own unit and any unit of a lower layer, never a higher one.
 * A unit is a folder of src/, except in daemon/: its root files (protocol.ts, session-id.ts, ...), client/,
 * lifecycle/, server/ and main.ts (the daemon process's entry) are units of their own.
 * Units of one layer may import each other (daemon/client uses daemon/lifecycle to start a daemon) unless FORBIDDEN says no.
 */
export const LAYERS: string[][] = [
  ['core'],
  ['rules'],
  ['redact'],
  ['daemon'],
  ['daemon/client', 'daemon/lifecycle', 'daemon/service'],
  ['daemon/server'],
  ['daemon/main.ts'],
  ['logs'],
  ['facts'],
  ['actions'],
  ['doctor'],
  ['fix'],
  ['render'],
  ['support'],
  ['cli'],
  ['bin', 'build'],
];

/** Imports the ranks alone would allow: the daemon's server runs in its own process and never starts or calls a daemon. */
const FORBIDDEN: Array<[from: string, to: string]> = [
  ['daemon/server', 'daemon/client'],
  ['daemon/server', 'daemon/lifecycle'],
  ['daemon/server', 'daemon/service'],
];

/**
 * Imports against the table that another slice of issue 17 removes ("from -> to", relative to src/); each names who.
 * An entry that no longer matches an import fails the test too.
 */
const ALLOWED_IMPORTS: Array<{ import: string; slice: string }> = [];

/**
 * Circles that another slice of issue 17 removes (files relative to src/, sorted); each entry names who. An entry that
 * no longer matches a circle fails the test too, so the list shrinks as they go.
 */
const ALLOWED_CIRCLES: Array<{ files: string[]; slice: string }> = [];

export function unitOf(rel: string): string {
  const parts = rel.split('/');
  if (parts[0] !== 'daemon') return parts[0];
  if (parts.length === 2) return parts[1] === 'main.ts' ? 'daemon/main.ts' : 'daemon';
  return `daemon/${parts[1]}`;
}

const RANK = new Map(LAYERS.flatMap((units, i) => units.map((u) => [u, i] as const)));

export interface Import {
  from: string;
  to: string;
  /** As written in the file. */
  spec: string;
}

/** Every file under src/ (relative, with /) and its imports of other files under src/: static, dynamic and type-only. */
export function importGraph(src = SRC): { files: string[]; imports: Import[] } {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) files.push(path.relative(src, p).split(path.sep).join('/'));
    }
  };
  walk(src);
  files.sort();
  const imports: Import[] = [];
  for (const from of files) {
    const info = ts.preProcessFile(fs.readFileSync(path.join(src, from), 'utf8'), true, true);
    for (const { fileName: spec } of info.importedFiles) {
      if (!spec.startsWith('.')) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec)).replace(/\.js$/, '.ts');
      if (files.includes(target)) imports.push({ from, to: target, spec });
    }
  }
  return { files, imports };
}

/** The imports that go up the layer table, or across a forbidden pair, each as one line naming the file and the import. */
export function upwardImports(imports: Import[], allowed: ReadonlySet<string> = new Set()): string[] {
  const bad: string[] = [];
  for (const i of imports) {
    if (allowed.has(`${i.from} -> ${i.to}`)) continue;
    const a = unitOf(i.from);
    const b = unitOf(i.to);
    if (a === b) continue;
    const ra = RANK.get(a);
    const rb = RANK.get(b);
    if (ra === undefined || rb === undefined) bad.push(`src/${i.from}: imports '${i.spec}': ${ra === undefined ? a : b} is in no layer (add it to LAYERS)`);
    else if (rb > ra) bad.push(`src/${i.from}: imports '${i.spec}': ${a} may not import ${b}, a higher layer`);
    else if (FORBIDDEN.some(([f, t]) => f === a && t === b)) bad.push(`src/${i.from}: imports '${i.spec}': ${a} may not import ${b}`);
  }
  return bad;
}

/** Groups of more than one file that import each other (strongly connected components, Tarjan), each sorted. */
export function circles(files: string[], imports: Import[]): string[][] {
  const next = new Map(files.map((f) => [f, [] as string[]]));
  for (const i of imports) if (next.has(i.to)) next.get(i.from)?.push(i.to);
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return out;
}

test('every file of src/ is in a layer, and imports only its own unit or lower layers', () => {
  const { imports } = importGraph();
  assert.ok(imports.length > 300, `too few imports found (${imports.length}): is src/ where the test looks (${SRC})?`);
  assert.deepEqual(upwardImports(imports, new Set(ALLOWED_IMPORTS.map((a) => a.import))), []);
  const gone = ALLOWED_IMPORTS.filter((a) => !imports.some((i) => `${i.from} -> ${i.to}` === a.import));
  assert.deepEqual(gone.map((a) => `${a.import} (${a.slice}) is gone: remove it from ALLOWED_IMPORTS`), []);
});

test('no files of src/ import each other in a circle (static, dynamic and type imports alike)', () => {
  const { files, imports } = importGraph();
  const found = circles(files, imports);
  const key = (fs: string[]) => fs.join(' ');
  const allowed = new Set(ALLOWED_CIRCLES.map((c) => key(c.files)));
  const described = found
    .filter((c) => !allowed.has(key(c)))
    .map((c) => `a circle of ${c.length} files: ${imports.filter((i) => c.includes(i.from) && c.includes(i.to)).map((i) => `src/${i.from} imports '${i.spec}'`).join('; ')}`);
  assert.deepEqual(described, []);
  // An allowed circle that is gone must leave the list (so nothing re-forms it unseen).
  const gone = ALLOWED_CIRCLES.filter((c) => !found.some((f) => key(f) === key(c.files)));
  assert.deepEqual(gone.map((c) => `${key(c.files)} (${c.slice}) is no longer a circle: remove it from ALLOWED_CIRCLES`), []);
});

test('the checks see what they guard: an upward import, a forbidden pair and a circle are each reported', () => {
  const imports: Import[] = [
    { from: 'rules/loader.ts', to: 'doctor/kind.ts', spec: '../doctor/kind.js' },
    { from: 'daemon/server/daemon.ts', to: 'daemon/lifecycle/control.ts', spec: '../lifecycle/control.js' },
    { from: 'daemon/lifecycle/spawn.ts', to: 'daemon/main.ts', spec: '../main.js' },
    { from: 'cli/a.ts', to: 'cli/b.ts', spec: './b.js' },
    { from: 'cli/b.ts', to: 'cli/a.ts', spec: './a.js' },
    { from: 'fix/runner.ts', to: 'doctor/run.ts', spec: '../doctor/run.js' },
  ];
  assert.deepEqual(upwardImports(imports), [
    "src/rules/loader.ts: imports '../doctor/kind.js': rules may not import doctor, a higher layer",
    "src/daemon/server/daemon.ts: imports '../lifecycle/control.js': daemon/server may not import daemon/lifecycle",
    "src/daemon/lifecycle/spawn.ts: imports '../main.js': daemon/lifecycle may not import daemon/main.ts, a higher layer",
  ]);
  assert.deepEqual(circles(['cli/a.ts', 'cli/b.ts', 'fix/runner.ts', 'doctor/run.ts'], imports), [['cli/a.ts', 'cli/b.ts']]);
});
