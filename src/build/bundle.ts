// Build step after tsc: esbuild bundles (CommonJS, one per command group, the daemon, each worker) and the bin that runs them, into dist/bundle/.
//
// Why bundles: a command used to load 40-100 ESM files and their dependencies' CommonJS files one by one, and compile
// them all; one CommonJS file per command, run by the bin through a V8 code cache (src/bin/code-cache.ts), costs a
// read and a deserialisation. Why CommonJS: the bin compiles a bundle with vm.Script, which takes cached data for
// scripts (Node 20 has no such thing for ES modules), and lazily imported modules stay lazy (esbuild wraps each in a
// function run on first use), so `opta doctor` still does not evaluate commander, zod or listr2 unless it needs them.
// Why esbuild: it bundles TypeScript sources directly with source maps (for --debug), converts the ESM sources and
// their dependencies to CommonJS in one pass, and takes well under a second for all bundles.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';
import { BUNDLE_DIR, PACKAGE_ROOT, PROGRAMS } from '../core/install.js';
import { VERSION } from '../core/version.js';
import type { BuildInfo } from '../bin/opta.js';

/** What one bundle runs: a source file (a program), or a few generated lines (a CLI entry over some command groups). */
export interface Entry {
  id: string;
  file?: string;
  contents?: string;
}

/** Packages that are optional at run time (ws tries them and does without): left as plain requires. */
const OPTIONAL = ['bufferutil', 'utf-8-validate'];

const src = (p: string) => JSON.stringify(path.join(PACKAGE_ROOT, p));

/** Every bundle: `cli` (all groups: help, unknown commands), `cli-<group>` per command group, and each program. */
export function entries(groups: string[]): Entry[] {
  const cli = (body: string) => `import { runCli } from ${src('src/cli/main.ts')};\n${body}`;
  return [
    { id: 'cli', contents: cli(`import * as groups from ${src('src/cli/groups.ts')};\nrunCli(process.argv, groups);\n`) },
    ...groups.map((g) => ({ id: `cli-${g}`, contents: cli(`import { ${g} as group } from ${src('src/cli/groups.ts')};\nrunCli(process.argv, { ${JSON.stringify(g)}: group });\n`) })),
    ...Object.entries(PROGRAMS).map(([id, file]) => ({ id, file: path.join(PACKAGE_ROOT, file) })),
  ];
}

const COMMON: esbuild.BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // import() becomes a require inside a promise: vm.Script has no loader for real dynamic imports.
  supported: { 'dynamic-import': false },
  // ASCII only (esbuild's default, checked below): the bin reads bundles as one-byte strings.
  charset: 'ascii',
  // Smaller files to read, no comments (some carry non-ASCII text); names stay, for stack traces and error messages.
  minifyWhitespace: true,
  minifySyntax: true,
  // Licence comments of bundled packages (some not ASCII) go to <bundle>.LEGAL.txt beside each bundle.
  legalComments: 'external',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'silent',
  absWorkingDir: PACKAGE_ROOT,
};

/**
 * Packages are taken in their CommonJS build (every one we use has one): esbuild wraps a CommonJS module in a function
 * run on its first require, while an ES module's functions are hoisted into the bundle's top level, where V8 creates
 * them all at start and the code cache carries them all. zod alone made `opta doctor`, which never loads it, ~8 ms slower.
 */
const preferCommonJs: esbuild.Plugin = {
  name: 'opta-prefer-commonjs',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (a) => {
      if (a.kind === 'require-call' || a.pluginData === 'cjs' || a.namespace !== 'file' || a.path.startsWith('node:')) return undefined;
      const r = await b.resolve(a.path, { kind: 'require-call', resolveDir: a.resolveDir, importer: a.importer, pluginData: 'cjs' });
      return r.errors.length ? undefined : r;
    });
  },
};

/**
 * Node's built-in modules as ES modules of the bundle: `import fs from 'node:fs'` in a module esbuild turns into
 * CommonJS becomes `__toESM(require('node:fs'))`, which copies every export into a new object with a getter each, once
 * per importing file (51 such copies cost the doctor ~7 ms). One small ES module per built-in, requiring it once,
 * is shared by all. It exports the default, every plain value, and the getters our sources import by name (others are
 * not run: fs.promises loads code, process.stdin opens standard input).
 */
/** The names each built-in module is imported by in our sources: `import { parseArgs } from 'node:util'` -> util: parseArgs. */
function importedBuiltinNames(dir: string, out = new Map<string, Set<string>>()): Map<string, Set<string>> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) importedBuiltinNames(p, out);
    else if (e.name.endsWith('.ts')) {
      for (const m of fs.readFileSync(p, 'utf8').matchAll(/import\s+(?:[\w$]+\s*,\s*)?\{([^}]*)\}\s*from\s*['"]node:([\w/]+)['"]/g)) {
        const set = out.get(m[2]) ?? new Set<string>();
        for (const part of m[1].split(',')) {
          const name = part.trim().split(/\s+as\s+/)[0];
          if (name && !name.startsWith('type ')) set.add(name);
        }
        out.set(m[2], set);
      }
    }
  }
  return out;
}

const builtinModules: esbuild.Plugin = {
  name: 'opta-builtins',
  setup(b) {
    const named = importedBuiltinNames(path.join(PACKAGE_ROOT, 'src'));
    const NAME = /^(?:node:)?([a-z_/]+)$/;
    b.onResolve({ filter: /^node:/ }, (a) => {
      if (a.kind !== 'import-statement' && a.kind !== 'dynamic-import') return undefined;
      return { path: a.path.replace(NAME, '$1'), namespace: 'opta-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'opta-builtin' }, (a) => {
      const mod = createRequire(import.meta.url)(`node:${a.path}`) as Record<string, unknown>;
      const names = Object.keys(mod).filter(
        (k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default' && ('value' in Object.getOwnPropertyDescriptor(mod, k)! || named.get(a.path)?.has(k)),
      );
      const body = names.map((k) => `export const ${k} = m.${k};`).join('\n');
      return { contents: `const m = require(${JSON.stringify(`node:${a.path}`)});\nexport default m;\n${body}\n`, loader: 'js' };
    });
  },
};

function fail(what: string, messages: esbuild.Message[]): never {
  const text = messages.map((m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`).join('\n');
  throw new Error(`${what}:\n${text}`);
}

export async function buildBundles(outDir = BUNDLE_DIR): Promise<Array<{ id: string; bytes: number }>> {
  const groups = Object.keys(await import('../cli/groups.js'));
  const list = entries(groups);
  fs.rmSync(outDir, { recursive: true, force: true });
  const virtual: esbuild.Plugin = {
    name: 'opta-entries',
    setup(b) {
      b.onResolve({ filter: /^opta-entry:/ }, (a) => ({ path: a.path.slice('opta-entry:'.length), namespace: 'opta-entry' }));
      b.onLoad({ filter: /.*/, namespace: 'opta-entry' }, (a) => ({ contents: list.find((e) => e.id === a.path)!.contents, loader: 'ts', resolveDir: PACKAGE_ROOT }));
    },
  };
  const r = await esbuild.build({
    ...COMMON,
    entryPoints: Object.fromEntries(list.map((e) => [e.id, e.file ?? `opta-entry:${e.id}`])),
    outdir: outDir,
    outExtension: { '.js': '.cjs' },
    external: OPTIONAL,
    plugins: [virtual, builtinModules, preferCommonJs],
    metafile: true,
    // install.ts alone reads import.meta, in the branch tsc's output takes; in a bundle that branch would throw.
    define: { 'import.meta.url': 'OPTA_NO_IMPORT_META_IN_BUNDLES' },
  }).catch((e: esbuild.BuildFailure) => fail('esbuild failed', e.errors ?? []));
  // A warning here is a bug in a bundle (import.meta in CommonJS, a require that cannot be bundled): fail the build.
  if (r.warnings.length) fail('esbuild warned', r.warnings);

  for (const input of Object.keys(r.metafile.inputs)) {
    if (!input.startsWith('src/') || input === 'src/core/install.ts') continue;
    if (fs.readFileSync(path.join(PACKAGE_ROOT, input), 'utf8').includes('import.meta')) {
      throw new Error(`${input} uses import.meta, which bundles do not have: find files through src/core/install.ts`);
    }
  }
  if (process.argv.includes('--metafile')) fs.writeFileSync(path.join(outDir, 'meta.json'), JSON.stringify(r.metafile));

  const hashes: Record<string, string> = {};
  const sizes: Array<{ id: string; bytes: number }> = [];
  for (const e of list) {
    const file = path.join(outDir, `${e.id}.cjs`);
    const buf = fs.readFileSync(file);
    if (buf.some((b) => b > 0x7f)) throw new Error(`${file} is not ASCII; the bin reads bundles as one-byte strings`);
    hashes[e.id] = crypto.createHash('sha256').update(buf).digest('hex').slice(0, 16);
    sizes.push({ id: e.id, bytes: buf.length });
  }

  const info: BuildInfo = { version: VERSION, groups, hashes };
  const bin = await esbuild.build({
    ...COMMON,
    entryPoints: [path.join(PACKAGE_ROOT, 'src/bin/opta.ts')],
    outfile: path.join(outDir, 'opta.cjs'),
    define: { OPTA_BUILD: JSON.stringify(info) },
    banner: { js: '#!/usr/bin/env node' },
  }).catch((e: esbuild.BuildFailure) => fail('esbuild failed on the bin', e.errors ?? []));
  if (bin.warnings.length) fail('esbuild warned on the bin', bin.warnings);
  fs.chmodSync(path.join(outDir, 'opta.cjs'), 0o755);
  return sizes;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(PACKAGE_ROOT, 'dist', 'src', 'build', 'bundle.js')) {
  const sizes = await buildBundles();
  if (process.argv.includes('--verbose')) for (const s of sizes) process.stdout.write(`dist/bundle/${s.id}.cjs ${(s.bytes / 1024).toFixed(0)} KiB\n`);
}
