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
 * own (dist/bundle/<id>.cjs); a new worker is one line here and `programFile(id)` where it is started.
 */
export const PROGRAMS = {
  daemon: 'src/daemon/main.ts',
  'tool-worker': 'src/daemon/tool-worker.ts',
} as const;

export type ProgramId = keyof typeof PROGRAMS;

/**
 * The file that runs a program: its bundle when this code is bundled, else tsc's output of its source (so a unit test
 * that imports tsc's output starts tsc's worker, and the shipped daemon starts the shipped worker).
 */
export function programFile(id: ProgramId): string {
  if (BUNDLED) return path.join(BUNDLE_DIR, `${id}.cjs`);
  return path.join(PACKAGE_ROOT, 'dist', PROGRAMS[id].replace(/\.ts$/, '.js'));
}

/** The directory of built-in rule files of a kind (rules/<kind>/). */
export function builtinRulesDir(kind?: string): string {
  return kind ? path.join(PACKAGE_ROOT, 'rules', kind) + path.sep : path.join(PACKAGE_ROOT, 'rules');
}
