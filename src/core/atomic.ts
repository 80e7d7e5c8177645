// Atomic, private file writes: temp file, fsync, rename (or link, for create-once), so a crash or a full disk leaves the old or the new file.
import fs from 'node:fs';
import path from 'node:path';
import { errorCode, OptaError } from './errors.js';
import { displayPath } from './paths.js';
import { isDiskFull, writeAll, writeFailureText } from './write-all.js';
import { sweepTemps, tempPathFor, tempSuffix } from './temp-files.js';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

export { tempSuffix };

/** A directory opta needs could not be made: the message names it and the real cause (EROFS, ENOSPC, EACCES, ...). */
export class DirError extends OptaError {
  readonly code: string | undefined;
  constructor(dir: string, cause: unknown) {
    super(`cannot create the directory ${dir}: ${writeFailureText(cause)}`, 1, { cause });
    this.name = 'DirError';
    this.code = errorCode(cause);
  }
}

/** Makes `dir` and its missing parents (0700), or throws DirError with the cause of the mkdir that failed. */
export function ensurePrivateDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    return;
  } catch (err) {
    const code = errorCode(err);
    const inTheWay = code === 'EEXIST' || code === 'ENOTDIR' ? fileInTheWay(dir) : undefined;
    if (inTheWay) {
      // A file where the layout needs a directory is the person's to move (it may be theirs): say which and how.
      const d = displayPath(inTheWay);
      throw new OptaError(`cannot create ${displayPath(dir)}: ${d} is a file, not a directory; move it aside: mv ${d} ${d}.bak, then try again`, 1, { cause: err });
    }
    // node's recursive mkdir reports some failures (a read-only file system) as ENOENT, naming a directory whose parent
    // plainly exists: make the missing ones one at a time, which fails with the true cause, or succeeds after all.
    const missing: string[] = [];
    for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) {
      missing.unshift(d);
      if (path.dirname(d) === d) break;
    }
    if (missing.length === 0) throw new DirError(dir, err);
    for (const d of missing) {
      try {
        fs.mkdirSync(d, { mode: DIR_MODE });
      } catch (again) {
        if (errorCode(again) !== 'EEXIST') throw new DirError(d, again);
      }
    }
  }
}

/** The first path on the way to `dir` (itself included) that exists and is not a directory. */
function fileInTheWay(dir: string): string | undefined {
  const parts = path.resolve(dir).split(path.sep);
  for (let i = 2; i <= parts.length; i++) {
    const p = parts.slice(0, i).join(path.sep) || path.sep;
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return undefined;
    }
    if (!st.isDirectory()) return p;
  }
  return undefined;
}

/** A write that failed as a whole: the message names the file, says the old one is intact, and the next step. */
export class WriteError extends OptaError {
  readonly diskFull: boolean;
  constructor(file: string, cause: unknown) {
    const full = isDiskFull(cause);
    super(
      `failed to write ${file}: ${writeFailureText(cause)}. ${path.basename(file)} is unchanged` +
        (full ? `; free some space (df -h ${path.dirname(file)}) and try again.` : '.'),
      1,
      { cause },
    );
    this.name = 'WriteError';
    this.diskFull = full;
  }
}

/** Makes a new directory entry durable (a kill -9 does not need it; a power loss does). */
export function fsyncDir(dir: string): void {
  try {
    const dfd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
  } catch {
    // Some platforms cannot open directories; the rename is still atomic.
  }
}

/** Writes data to a new temp file beside `file` and fsyncs it; on any failure the temp file is gone. */
function writeTemp(file: string, data: string | Buffer, mode: number): string {
  // What a killed writer left here before goes first: no temp file outlives the next write in its directory.
  sweepTemps(path.dirname(file));
  const tmp = tempPathFor(file);
  let fd: number | undefined;
  try {
    // 0600 from creation: a temp file holds the whole of what it becomes (a support bundle, the config).
    fd = fs.openSync(tmp, 'wx', FILE_MODE & mode);
    writeAll(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    return tmp;
  } catch (err) {
    if (fd !== undefined) {
      try { fs.closeSync(fd); } catch { /* already failing */ }
    }
    fs.rmSync(tmp, { force: true });
    throw new WriteError(file, err);
  }
}

/** Replaces `file` with `data`, or throws WriteError and leaves `file` (and no temp file) as it was. */
export function writeFileAtomic(file: string, data: string | Buffer, mode = FILE_MODE): void {
  const dir = path.dirname(file);
  ensurePrivateDir(dir);
  const tmp = writeTemp(file, data, mode);
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new WriteError(file, err);
  }
  // fsync the directory so the rename itself survives a power loss.
  fsyncDir(dir);
}

/**
 * Creates `file` with `data` only if it does not exist, whole or not at all (temp file + link, which fails on an
 * existing name). Returns false when the file already existed. Used for the lock and for write-once metadata.
 */
export function writeFileOnce(file: string, data: string | Buffer, mode = FILE_MODE): boolean {
  const tmp = writeTemp(file, data, mode);
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return false;
    if (!NO_LINKS.has(errorCode(err) ?? '')) throw new WriteError(file, err);
    return createExclusive(file, data, mode);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  fsyncDir(path.dirname(file));
  return true;
}

/** File systems without hard links (FAT, some network shares) answer link() with these. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** The fallback where link() is not available: an exclusive create, removed again if its content cannot be written. */
function createExclusive(file: string, data: string | Buffer, mode: number): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', mode);
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return false;
    throw new WriteError(file, err);
  }
  try {
    writeAll(fd, data);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw new WriteError(file, err);
  }
  fs.closeSync(fd);
  return true;
}
