// The opta bin (package.json `bin`, built to dist/bundle/opta.cjs): answers --version at once, else runs the bundle of the command (or the daemon, a worker) with the V8 code cache.
//
// Only esbuild's CommonJS output of this file runs (it needs __dirname and the build's facts below); tsc's output is
// there for the type check and unit tests of bundleFor.
import { join } from 'node:path';
import type { BundleModule } from './code-cache.js';

/** What the build (src/build/bundle.ts) knows and bakes in. */
export interface BuildInfo {
  version: string;
  /** Command groups: `opta <group>` runs cli-<group>.cjs. */
  groups: string[];
  /**
   * Subcommands with a bundle of their own: `opta daemon logs` runs cli-daemon-logs.cjs ("daemon logs"), which hands
   * anything but a plain invocation to its group's bundle.
   */
  subcommands: string[];
  /** Programs the bin starts by marker: the daemon, worker threads. */
  programs: string[];
  /** package.json's dependencies: each is a bundle of its own (libBundle), loaded on first require. */
  libs: string[];
  /** Each bundle's content hash, which names its cache. */
  hashes: Record<string, string>;
}

declare const OPTA_BUILD: BuildInfo;

export const DAEMON_FLAG = '--opta-daemon';
export const WORKER_FLAG = '--opta-worker';

/** The bundle of a dependency: lib-zod.cjs, lib-find-process.cjs. */
export function libBundle(name: string): string {
  return `lib-${name.replace(/^@/, '').replace(/\//g, '+')}`;
}

/** The bundle of a subcommand of its own: cli-daemon-logs.cjs. */
export function subcommandBundle(group: string, name: string): string {
  return `cli-${group}-${name}`;
}

/**
 * Which bundle runs: the daemon's marker first on its command line (daemonArgs), a worker's marker and id, else the
 * subcommand that has a bundle of its own when named first, else the command group named by the first non-option
 * (help and unknown commands: cli, which has them all).
 */
export function bundleFor(args: string[], info: Pick<BuildInfo, 'groups' | 'programs' | 'subcommands'>): string {
  if (args[0] === DAEMON_FLAG) return 'daemon';
  if (args[0] === WORKER_FLAG && info.programs.includes(args[1] ?? '')) return args[1];
  if (args.length >= 2 && info.subcommands.includes(`${args[0]} ${args[1]}`)) return subcommandBundle(args[0], args[1]);
  const first = args.find((a) => !a.startsWith('-'));
  return first !== undefined && info.groups.includes(first) ? `cli-${first}` : 'cli';
}

/** A program that has not exited by then (the daemon, --follow, --watch) writes its missing cache anyway. */
const WRITE_AFTER_MS = 2000;

async function run(args: string[], info: BuildInfo): Promise<void> {
  const id = bundleFor(args, info);
  // Stack traces that name the TypeScript sources (node's own loader reads the source maps), at the price of the cache.
  const debug = id.startsWith('cli') && args.includes('--debug');
  if (debug) process.setSourceMapsEnabled(true);
  const runBundle = await cachedRunner(info, debug);
  // A bundle may hand the command over (a subcommand's bundle, given what only its group's bundle answers): it says
  // so in its exports (a promise when it must ask something first: sessions list, whether the daemon plainly runs),
  // having done nothing else.
  const main: BundleModule = { exports: {} };
  runBundle(id, main);
  const handOff: unknown = await (main.exports as { handOff?: unknown }).handOff;
  if (typeof handOff === 'string' && handOff !== id && handOff in info.hashes) runBundle(handOff, { exports: {} });
}

/** Runs bundles with the V8 code cache, and the dependencies' bundles they require (each once per process). */
async function cachedRunner(info: BuildInfo, debug: boolean): Promise<(bundle: string, module: BundleModule) => void> {
  const { cacheDir, cacheFile, runPlain, runWithCache } = await import('./code-cache.js');
  // --debug's loader alone needs node:module (with node's ES module loader and source maps, ~0.3 ms to load).
  const Module = debug ? (await import('node:module')).Module : undefined;
  const dir = debug ? undefined : cacheDir();
  // The bin's own require: the bundles are files of its own directory, so it resolves for them as it does for itself.
  const real = require;
  const libs = new Map<string, BundleModule>();
  // What node's require gave, by name: bundles require node's built-ins by name, again and again (every CommonJS file
  // of a dependency asks for fs, path, events...), and each call walks node's resolver (~0.5 ms in a doctor run).
  const required = new Map<string, unknown>();

  const runBundle = (bundle: string, module: BundleModule): void => {
    const file = join(__dirname, `${bundle}.cjs`);
    // A dependency comes from its own bundle (once per process, shared by every bundle that requires it); node's
    // built-ins and anything else from node.
    const fromNode = (name: string) => {
      if (!required.has(name)) required.set(name, real(name));
      return required.get(name);
    };
    const require = Object.assign((name: string) => (info.libs.includes(name) ? lib(name) : fromNode(name)), {
      resolve: real.resolve,
      cache: real.cache,
      extensions: real.extensions,
      main: real.main,
    }) as NodeJS.Require;
    if (Module) runPlain({ file, module, require }, Module);
    else runWithCache({ file, module, require, cache: dir === undefined ? undefined : cacheFile(dir, bundle, info.hashes[bundle] ?? 'unknown'), writeAfterMs: WRITE_AFTER_MS });
  };
  const lib = (name: string): unknown => {
    let m = libs.get(name);
    if (!m) {
      // Registered before it runs, as node does: a cycle between dependencies gets the partial exports.
      m = { exports: {} };
      libs.set(name, m);
      runBundle(libBundle(name), m);
    }
    return m.exports;
  };
  return runBundle;
}

if (typeof OPTA_BUILD !== 'undefined') {
  const args = process.argv.slice(2);
  // What commander would print, without loading it or any bundle.
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) process.stdout.write(`${OPTA_BUILD.version}\n`);
  else {
    run(args, OPTA_BUILD).catch((e: NodeJS.ErrnoException) => {
      // Only a broken installation gets here (a bundle missing or unreadable): the command itself reports its own errors.
      process.stderr.write(`opta: cannot start: ${e.message}. Rebuild opta (npm run build) or reinstall it.\n`);
      process.exitCode = 2;
    });
  }
}
