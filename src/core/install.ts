// Where the installed pieces of opta are (rules/, schemas/, the bin and its bundles), whether this code runs bundled or as tsc's output.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * True in the esbuild bundles the bin runs: they are CommonJS, so `__dirname` (dist/bundle) exists. tsc's ESM
 * output (what unit tests import) has no `__dirname`, and finds the root from its own URL instead.
 */
export const BUNDLED = typeof __dirname === 'string';

/** The package root: package.json, rules/, schemas/, dist/. */
export const PACKAGE_ROOT = BUNDLED ? path.resolve(__dirname, '..', '..') : fileURLToPath(new URL('../../../', import.meta.url));

/** The build's bundles (dist/bundle/<id>.cjs, with source maps) and the bin that runs them. */
export const BUNDLE_DIR = path.join(PACKAGE_ROOT, 'dist', 'bundle');

/** package.json's `bin`: answers --version itself, else runs a bundle with the V8 code cache (src/bin/opta.ts). */
export const BIN = path.join(BUNDLE_DIR, 'opta.cjs');

/**
 * Programs opta starts besides the CLI (the daemon process, worker threads): id -> source. Each is a bundle of its
 * own (dist/bundle/<id>.cjs) that the bin runs; a new worker is one line here and `workerStart(id)` where it starts.
 */
export const PROGRAMS = {
  daemon: 'src/daemon/main.ts',
  'tool-worker': 'src/daemon/server/tool-worker.ts',
  'analyze-worker': 'src/logs/analyze-worker.ts',
} as const;

export type ProgramId = keyof typeof PROGRAMS;

/**
 * How to start a worker thread: through the bin (`--opta-worker <id>`: its bundle, the shared dependency bundles and
 * the code cache) when this code is bundled, else tsc's output of its source (unit tests import tsc's output).
 */
export function workerStart(id: Exclude<ProgramId, 'daemon'>): { file: string; argv: string[] } {
  if (BUNDLED) return { file: BIN, argv: ['--opta-worker', id] };
  return { file: path.join(PACKAGE_ROOT, 'dist', PROGRAMS[id].replace(/\.ts$/, '.js')), argv: [] };
}

/** The directory of built-in rule files of a kind (rules/<kind>/). */
export function builtinRulesDir(kind?: string): string {
  return kind ? path.join(PACKAGE_ROOT, 'rules', kind) + path.sep : path.join(PACKAGE_ROOT, 'rules');
}

let builtinRequire: NodeJS.Require | undefined;

/**
 * A synchronous require for a node built-in that only some paths need (child_process off Linux): imported at the top,
 * it would be loaded by every command that imports the module (~0.5-2 ms each). A bundle is CommonJS and has node's
 * require; tsc's ES module output (unit tests, the build's scripts) asks node for node:module when it first needs one.
 * Not imported here: that would load node:module (with node's ES module loader and source maps, ~0.3 ms) in every
 * bundle, `opta sessions list`'s included.
 */
export function requireBuiltin<T>(id: `node:${string}`): T {
  builtinRequire ??= BUNDLED ? require : esmRequire();
  return builtinRequire(id) as T;
}

function esmRequire(): NodeJS.Require {
  // process.getBuiltinModule: Node 20.16+. Only tsc's output needs it; the bundles users run do not.
  const mod = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.('node:module') as typeof import('node:module') | undefined;
  if (!mod) throw new Error(`opta's tests and build scripts need Node 20.16 or newer (process.getBuiltinModule); this is ${process.version}`);
  return mod.createRequire(import.meta.url);
}
