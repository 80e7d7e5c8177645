// Runs a CommonJS bundle through vm.Script with a V8 code cache kept under the user's cache directory (never required, checked before use).
//
// Why: most of a short opta command's time was compiling code, not running it. V8 can hand back what it compiled
// (bytecode of every function that ran) and take it again on the next run, skipping the parse and compile. Node 20
// has no built-in module compile cache, so the bin does this itself for its bundles (one file each, see
// src/build/bundle.ts). The cache is an optimisation only: any problem with it means compiling as usual.
// Named imports only: esbuild turns a default import of a builtin into a copy of all its properties (~0.5 ms at start).
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * What a cache file is: a format tag, then the V8 data twice. V8 in node 20 does not check a code cache's payload (a
 * flipped byte it accepts crashes the process), so the bin does: the two copies must be equal, a native compare of
 * what was read anyway. Against a flipped byte or a torn file it is as good as a checksum, and needs no module: the
 * CRC-32 it replaces was node:zlib's, ~0.5-1 ms of every command's start to load.
 */
const MAGIC = Buffer.from('optacc2\n', 'latin1');
const HEADER = MAGIC.length;

/**
 * Where caches live: $XDG_CACHE_HOME/opta, else ~/.cache/opta (%LOCALAPPDATA%\opta\cache on Windows). Never the
 * install directory, which the user may not be able to write and which several users may share.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'opta');
  if (platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'opta', 'cache');
  return env.HOME ? join(env.HOME, '.cache', 'opta') : undefined;
}

/** FNV-1a, 32 bits, as hex: short names for the parts of a cache key. */
export function fnv(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The cache file of a bundle: named by the bundle's content hash (from the build) and everything that makes V8 reject
 * code compiled elsewhere (node and V8 version, architecture, flags), so that two node versions or flag sets in turn
 * each keep their own file instead of replacing each other's on every run.
 */
export function cacheFile(dir: string, id: string, bundleHash: string): string {
  const runtime = [process.version, process.versions.v8, process.arch, process.platform, process.execArgv.join(' '), process.env.NODE_OPTIONS ?? ''].join('\0');
  return join(dir, `${id}-${bundleHash}-${fnv(runtime)}.cache`);
}

/**
 * The V8 data of a cache file, or undefined when there is none or it cannot be trusted: not ours (owner, or writable by
 * others: code from it would run as this user), cut short, or not matching its checksum. V8 checks versions, flags
 * and the source's length itself, but not its payload: a flipped byte in a cache V8 accepts crashes the process.
 */
export function readCache(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size <= HEADER || (st.size - HEADER) % 2 !== 0) return undefined;
    if (typeof process.getuid === 'function' && (st.uid !== process.getuid() || (st.mode & 0o022) !== 0)) return undefined;
    const buf = Buffer.allocUnsafe(st.size);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, n);
      if (r === 0) return undefined;
      n += r;
    }
    if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const half = (buf.length - HEADER) / 2;
    const data = buf.subarray(HEADER, HEADER + half);
    return data.equals(buf.subarray(HEADER + half)) ? data : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a cache file whole or not at all (a temp file renamed over it, 0600 in a 0700 directory), and removes the
 * caches other builds of the same bundle left for the same runtime. Any failure (read-only or full disk, no home) just
 * means no cache.
 */
export function writeCache(file: string, data: Buffer): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, Buffer.concat([MAGIC, data, data]), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    return false;
  }
  // <id>-<build>-<runtime>.cache: another build's cache of this bundle for this runtime is of no more use.
  const parts = basename(file).split('-');
  const id = parts.slice(0, -2).join('-');
  const runtime = parts[parts.length - 1];
  try {
    for (const name of readdirSync(dirname(file))) {
      const p = name.split('-');
      if (name !== basename(file) && p.length === parts.length && p.slice(0, -2).join('-') === id && p[p.length - 1] === runtime) unlinkSync(join(dirname(file), name));
    }
  } catch {
    // an old cache left behind costs disk space, nothing else
  }
  return true;
}

/** What a bundle gets as its `module` and `require`, as a CommonJS module would. */
export interface BundleModule {
  exports: unknown;
}

export interface RunOptions {
  /** The bundle (CommonJS, ASCII only: the build checks both). */
  file: string;
  /** Its cache file, or undefined for none. */
  cache?: string;
  /** When to write a missing or rejected cache if the process has not exited by then (long-running programs). */
  writeAfterMs?: number;
  module: BundleModule;
  require: NodeJS.Require;
}

/**
 * Runs a bundle as Node would run a CommonJS module, from cached code when there is a usable cache; when there is not,
 * writes one after the program ran (at exit, or after `writeAfterMs`), so the functions compiled while it ran are in it.
 * Returns whether a cache was offered and V8 took it.
 */
export function runWithCache(opts: RunOptions): boolean {
  // One-byte read: the bundle is ASCII, and V8 keys a cache on the source's length.
  const source = readFileSync(opts.file, 'latin1');
  const cached = opts.cache ? readCache(opts.cache) : undefined;
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapper, { filename: opts.file, cachedData: cached });
  const used = cached !== undefined && !script.cachedDataRejected;
  if (opts.cache && !used) {
    const cache = opts.cache;
    let written = false;
    const write = () => {
      if (written) return;
      written = true;
      try {
        writeCache(cache, script.createCachedData());
      } catch {
        // no cache this time
      }
    };
    process.once('exit', write);
    if (opts.writeAfterMs !== undefined) setTimeout(write, opts.writeAfterMs).unref();
  }
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(opts.module.exports, opts.module.exports, opts.require, opts.module, opts.file, dirname(opts.file));
  return used;
}

/**
 * Runs a bundle through node's own CommonJS loader, which reads its source map when source maps are enabled (--debug:
 * stack traces name the TypeScript sources). No code cache. `require` is the bundle's, as with runWithCache. `Module`
 * is node:module's, given by the caller: loading that module brings node's ES module loader and source maps (~0.3
 * ms), which only --debug needs.
 */
export function runPlain(opts: Pick<RunOptions, 'file' | 'module' | 'require'>, Module: typeof import('node:module').Module): void {
  const m = new Module(opts.file);
  m.filename = opts.file;
  // The module-local require calls m.require: the bundle then gets the same libraries as with the cache.
  m.require = opts.require as unknown as typeof m.require;
  (m as unknown as { _compile(content: string, filename: string): void })._compile(readFileSync(opts.file, 'utf8'), opts.file);
  opts.module.exports = m.exports;
}
