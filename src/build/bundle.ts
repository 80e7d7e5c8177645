// Build step after tsc: esbuild bundles (CommonJS: one per command group, per program, per dependency) and the bin that runs them, into dist/bundle/.
//
// Why bundles: a command used to load 40-100 ESM files and their dependencies' CommonJS files one by one, and compile
// them all; a few CommonJS files, run by the bin through a V8 code cache (src/bin/code-cache.ts), cost a read and a
// deserialisation each. Why CommonJS: the bin compiles a bundle with vm.Script, which takes cached data for scripts
// (Node 20 has no such thing for ES modules), and lazily imported modules stay lazy (esbuild wraps each in a function
// run on first use), so `opta doctor` still does not evaluate commander or listr2 unless it needs them.
// Why a bundle per dependency: what a command reads costs in proportion to its size even when most of it never runs
// (zod's 700 KB in `opta daemon logs` cost ~20% of its CPU time); a dependency is read, from its own bundle and cache,
// only by a command that requires it, and shared by every bundle of the process.
// Why esbuild: it bundles TypeScript sources directly with source maps (for --debug), converts the ESM sources and
// their dependencies to CommonJS in one pass, and takes about a second for all bundles.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import * as esbuild from 'esbuild';
import { BUNDLE_DIR, PACKAGE_ROOT, PROGRAMS } from '../core/install.js';
import { VERSION } from '../core/version.js';
import { PREFILTERS_FILE } from '../logs/prefilters.js';
import { libBundle, subcommandBundle, type BuildInfo } from '../bin/opta.js';

/** What one bundle runs: a source file (a program), or a few generated lines (a CLI entry, a dependency). */
export interface Entry {
  id: string;
  file?: string;
  contents?: string;
}

/** Packages that are optional at run time (ws tries them and does without): left as plain requires. */
const OPTIONAL = ['bufferutil', 'utf-8-validate'];

const rootRequire = createRequire(path.join(PACKAGE_ROOT, 'package.json'));
const src = (p: string) => JSON.stringify(path.join(PACKAGE_ROOT, p));

/** package.json's dependencies, each with the file node's require loads for it (its CommonJS entry). */
export function dependencies(): Map<string, string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return new Map(Object.keys(pkg.dependencies ?? {}).map((d) => [d, entryOf(d)]));
}

/** A package's CommonJS entry, or for an ESM-only package (plist: `exports` has only `import`) its ESM entry: esbuild converts it. */
function entryOf(name: string): string {
  try {
    return rootRequire.resolve(name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw err;
    const dir = path.join(PACKAGE_ROOT, 'node_modules', name);
    const exp = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { exports?: Record<string, { import?: string | { default?: string } }> }).exports?.['.']?.import;
    const file = typeof exp === 'string' ? exp : exp?.default;
    if (!file) throw err;
    return path.join(dir, file);
  }
}

/**
 * Subcommands with a bundle of their own ("group name" -> its module, which exports `subcommandEntry(argv)`: runs a plain
 * invocation, or names the bundle to hand the command to). Only where a command's budget needs it: `daemon logs`, `sessions list`.
 */
export const SUBCOMMANDS: Record<string, string> = { 'daemon logs': 'src/cli/daemon-logs.ts', 'sessions list': 'src/cli/sessions-list.ts' };

/**
 * Every bundle: `cli` (all groups: help, unknown commands), `cli-<group>` per command group, `cli-<group>-<name>` per
 * subcommand of its own, each program, each dependency.
 */
export function entries(groups: string[], deps: Map<string, string>): Entry[] {
  const cli = (body: string) => `import { runCli } from ${src('src/cli/main.ts')};\n${body}`;
  return [
    { id: 'cli', contents: cli(`import * as groups from ${src('src/cli/groups.ts')};\nrunCli(process.argv, groups);\n`) },
    ...groups.map((g) => ({ id: `cli-${g}`, contents: cli(`import { ${g} as group } from ${src('src/cli/groups.ts')};\nrunCli(process.argv, { ${JSON.stringify(g)}: group });\n`) })),
    ...Object.entries(SUBCOMMANDS).map(([sub, file]) => ({
      id: subcommandBundle(...(sub.split(' ') as [string, string])),
      contents: `import { subcommandEntry } from ${src(file)};\nexport const handOff = subcommandEntry(process.argv);\n`,
    })),
    ...Object.entries(PROGRAMS).map(([id, file]) => ({ id, file: path.join(PACKAGE_ROOT, file) })),
    ...[...deps].map(([name, entry]) => ({ id: libBundle(name), contents: `module.exports = require(${JSON.stringify(entry)});\n` })),
  ];
}

/** What a module's shim must export for our sources: WHOLE when one takes it whole (`import * as`, `import()`). */
const WHOLE = '*';

/**
 * The names each module is imported by in our sources: `import { parseArgs } from 'node:util'` -> node:util:
 * parseArgs; WHOLE for a module some source takes as a namespace (`import * as x from`, `await import('node:dns/promises')`).
 */
function importedNames(dir: string, out = new Map<string, Set<string>>()): Map<string, Set<string>> {
  const add = (module: string, name: string) => out.set(module, (out.get(module) ?? new Set<string>()).add(name));
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) importedNames(p, out);
    else if (e.name.endsWith('.ts')) {
      const text = fs.readFileSync(p, 'utf8');
      for (const m of text.matchAll(/import\s+(?:[\w$]+\s*,\s*)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)) {
        for (const part of m[1].split(',')) {
          const name = part.trim().split(/\s+as\s+/)[0];
          if (name && !name.startsWith('type ')) add(m[2], name);
        }
      }
      for (const m of text.matchAll(/import\s+\*\s+as\s+[\w$]+\s+from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) add(m[1] ?? m[2], WHOLE);
    }
  }
  return out;
}

/**
 * A module required from outside the bundle (a node built-in, a dependency's bundle), as an ES module of the bundle.
 * esbuild turns `import fs from 'node:fs'` into `__toESM(require('node:fs'))`, which copies every export into a new
 * object with a getter each, once per importing file (51 such copies cost the doctor ~7 ms; zod has 260 exports). One
 * small ES module per required module, requiring it once, is shared by all. It exports the default (module.exports,
 * as node gives a CommonJS module to `import`) and the names our sources import (a built-in's other getters are not
 * run: fs.promises loads code, process.stdin opens standard input); every plain value too where a source takes the
 * module whole, and a dependency's every export.
 */
const plainValues = new Map<string, string[]>();
/**
 * A built-in's exports that are plain values in a fresh node: once a lazy getter ran (fs.Dir, after this build's own
 * fs calls) node may have made it a value, so this process cannot tell (reading fs.Dir loads internal/fs/dir).
 */
function plainValuesOf(specifier: string): string[] {
  let names = plainValues.get(specifier);
  if (!names) {
    const code = `const m = require(${JSON.stringify(specifier)}); process.stdout.write(JSON.stringify(Object.keys(m).filter((k) => 'value' in Object.getOwnPropertyDescriptor(m, k))))`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cannot list the exports of ${specifier}: ${r.stderr}`);
    names = JSON.parse(r.stdout) as string[];
    plainValues.set(specifier, names);
  }
  return [...names];
}

function shim(specifier: string, named: Set<string> | undefined, entry?: string): string {
  const builtin = specifier.startsWith('node:');
  // A built-in that our sources only import by name exports just those names: each shim's copies run at every start
  // of every bundle that carries it (node:fs has ~100 plain values; `opta sessions list` uses four).
  const byName = builtin && !named?.has(WHOLE);
  const names = (byName ? [] : builtin ? plainValuesOf(specifier) : Object.keys(requireDep(specifier, entry))).filter(
    (k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default' && k !== '__esModule',
  );
  for (const k of named ?? []) if (builtin && k !== WHOLE && !names.includes(k) && k in (rootRequire(specifier) as object)) names.push(k);
  // Locals by number: an export may be named like a reserved word (zod's `null`, `void`).
  const locals = names.map((k, i) => `const e${i} = m[${JSON.stringify(k)}];`).join('\n');
  const list = names.map((k, i) => `e${i} as ${k}`).join(', ');
  return `const m = require(${JSON.stringify(specifier)});\nexport default m;\n${locals}\nexport { ${list} };\n`;
}

/** A dependency as `require` gives it; an ESM-only one (plist) by its entry file (Node 20.19+ requires ES modules). */
function requireDep(specifier: string, entry: string | undefined): object {
  try {
    return rootRequire(specifier) as object;
  } catch (err) {
    if (!entry) throw err;
    return rootRequire(entry) as object;
  }
}

/**
 * Resolves what our sources and the bundled packages import: node built-ins and package.json's dependencies stay
 * outside (as a shim, above, for an `import`; as a plain require for a `require`), and a package is taken in its
 * CommonJS build: esbuild wraps a CommonJS module in a function run on first require, while an ES module's functions
 * are hoisted into the bundle's top level, where V8 creates them all at start and the code cache carries them all.
 */
function outside(deps: Map<string, string>): esbuild.Plugin {
  const depOfEntry = new Map([...deps].map(([name, entry]) => [entry, name]));
  return {
    name: 'opta-outside',
    setup(b) {
      const named = importedNames(path.join(PACKAGE_ROOT, 'src'));
      const imported = (kind: esbuild.ImportKind) => kind === 'import-statement' || kind === 'dynamic-import';
      b.onResolve({ filter: /^node:/ }, (a) => (imported(a.kind) ? { path: a.path, namespace: 'opta-outside' } : { path: a.path, external: true }));
      b.onResolve({ filter: /^[^./]/ }, async (a) => {
        if (a.pluginData === 'resolving') return undefined;
        let r = await b.resolve(a.path, { kind: 'require-call', resolveDir: a.resolveDir, importer: a.importer, pluginData: 'resolving' });
        // An ESM-only dependency (plist: `exports` has no require condition) resolves as an import.
        if (r.errors.length) r = await b.resolve(a.path, { kind: 'import-statement', resolveDir: a.resolveDir, importer: a.importer, pluginData: 'resolving' });
        if (r.errors.length) return undefined;
        const dep = depOfEntry.get(r.path);
        // A package's own copy of another package (a nested node_modules) is bundled with it.
        if (dep === undefined) return r;
        return imported(a.kind) ? { path: dep, namespace: 'opta-outside' } : { path: dep, external: true };
      });
      b.onLoad({ filter: /.*/, namespace: 'opta-outside' }, (a) => ({ contents: shim(a.path, named.get(a.path), deps.get(a.path)), loader: 'js', resolveDir: PACKAGE_ROOT }));
    },
  };
}

/**
 * Parts of dependencies opta never uses, replaced in their bundles: path inside node_modules -> what stands in.
 * - zod's locales: 64 modules, half of zod's 700 KB, all evaluated when zod loads (~3 ms); opta's messages are English.
 * - undici's entry: the daemon uses its request API on an Agent (daemon/server/lmx-client.ts) and nothing else. The
 *   whole package (fetch, WebSocket, caches, mocks, proxies, interceptors) took ~40 ms to load on the daemon's thread
 *   at its first turn, which every other request then waited for; the Agent, its pools and clients and the request
 *   API are what stays. Its HTTP/2 client goes too (only a TLS connection that chose h2 uses it, and loading it loaded
 *   node:http2 and node:tls, ~5 ms): opta talks HTTP/1.1 to LMX. Together: ~40 ms became ~5 ms.
 */
const TRIM: Record<string, string> = {
  'zod/v4/locales/index.cjs': `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const en = require("./en.cjs");
Object.defineProperty(exports, "en", { enumerable: true, get: () => (en && en.__esModule ? en : { default: en }).default });
`,
  'undici/index.js': `"use strict";
const Dispatcher = require("./lib/dispatcher/dispatcher");
Dispatcher.prototype.request = require("./lib/api/api-request");
module.exports.Dispatcher = Dispatcher;
module.exports.Agent = require("./lib/dispatcher/agent");
`,
  'undici/lib/dispatcher/client-h2.js': `"use strict";
module.exports = function connectH2() {
  throw new Error("HTTP/2 is not in opta's build of undici: opta talks HTTP/1.1 to LMX");
};
`,
};

const trim: esbuild.Plugin = {
  name: 'opta-trim',
  setup(b) {
    const files = new Map(Object.entries(TRIM).map(([p, contents]) => [path.join(PACKAGE_ROOT, 'node_modules', p), contents]));
    b.onLoad({ filter: /\.c?js$/ }, (a) => (files.has(a.path) ? { contents: files.get(a.path), loader: 'js', resolveDir: path.dirname(a.path) } : undefined));
  },
};

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

/** An artifact the build step before this one wrote (the log prefilters), as compact JSON text. */
function builtArtifact(file: string): string {
  try {
    return JSON.stringify(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (err) {
    throw new Error(`no ${path.basename(file)} at ${file} (${(err as Error).message}): run node dist/src/build/build-artifacts.js first (npm run build does)`);
  }
}

function fail(what: string, messages: esbuild.Message[]): never {
  const text = messages.map((m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`).join('\n');
  throw new Error(`${what}:\n${text}`);
}

export async function buildBundles(outDir = BUNDLE_DIR): Promise<Array<{ id: string; bytes: number }>> {
  const groups = Object.keys(await import('../cli/groups.js'));
  const deps = dependencies();
  const list = entries(groups, deps);
  fs.rmSync(outDir, { recursive: true, force: true });
  const generated: esbuild.Plugin = {
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
    plugins: [generated, outside(deps), trim],
    metafile: true,
    define: {
      // install.ts alone reads import.meta, in the branch tsc's output takes; in a bundle that branch would throw.
      'import.meta.url': 'OPTA_NO_IMPORT_META_IN_BUNDLES',
      // The log patterns' prefilters, which build-artifacts.js wrote just before: no file to read in a doctor run. A
      // string, parsed on first use: an object here would become a module esbuild builds at every start. (The rule
      // manifests stay files: one per kind, 90 KB in all, read only by what loads that kind.)
      OPTA_LOG_PREFILTERS: JSON.stringify(builtArtifact(PREFILTERS_FILE)),
    },
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

  const info: BuildInfo = { version: VERSION, groups, subcommands: Object.keys(SUBCOMMANDS), programs: Object.keys(PROGRAMS).filter((p) => p !== 'daemon'), libs: [...deps.keys()], hashes };
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
