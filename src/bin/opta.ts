// The opta bin (package.json `bin`, built to dist/bundle/opta.cjs): answers --version at once, else runs the bundle of the command (or the daemon) with the V8 code cache.
//
// Only esbuild's CommonJS output of this file runs (it needs __dirname and the build's facts below); tsc's output is
// there for the type check and unit tests of bundleFor.
import path from 'node:path';

/** What the build (src/build/bundle.ts) knows and bakes in: the version, the command groups, each bundle's content hash. */
export interface BuildInfo {
  version: string;
  groups: string[];
  hashes: Record<string, string>;
}

declare const OPTA_BUILD: BuildInfo;

/** The daemon's marker comes first on its command line (daemonArgs); else the group named by the first non-option. */
export function bundleFor(args: string[], groups: string[]): string {
  if (args[0] === '--opta-daemon') return 'daemon';
  const first = args.find((a) => !a.startsWith('-'));
  return first !== undefined && groups.includes(first) ? `cli-${first}` : 'cli';
}

/** A program that has not exited by then (the daemon, --follow, --watch) writes its missing cache anyway. */
const WRITE_AFTER_MS = 2000;

async function run(args: string[]): Promise<void> {
  const id = bundleFor(args, OPTA_BUILD.groups);
  const file = path.join(__dirname, `${id}.cjs`);
  if (id !== 'daemon' && args.includes('--debug')) {
    // Stack traces that name the TypeScript sources: node's own loader reads the bundle's source map. No code cache.
    process.setSourceMapsEnabled(true);
    require(file);
    return;
  }
  const { cacheDir, cacheFile, runWithCache } = await import('./code-cache.js');
  const dir = cacheDir();
  runWithCache({ file, cache: dir === undefined ? undefined : cacheFile(dir, id, OPTA_BUILD.hashes[id] ?? 'unknown'), writeAfterMs: WRITE_AFTER_MS });
}

if (typeof OPTA_BUILD !== 'undefined') {
  const args = process.argv.slice(2);
  // What commander would print, without loading it or any bundle.
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) process.stdout.write(`${OPTA_BUILD.version}\n`);
  else {
    run(args).catch((e: NodeJS.ErrnoException) => {
      // Only a broken installation gets here (a bundle missing or unreadable): the command itself reports its own errors.
      process.stderr.write(`opta: cannot start: ${e.message}. Rebuild opta (npm run build) or reinstall it.\n`);
      process.exitCode = 2;
    });
  }
}
