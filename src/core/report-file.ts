// Writes report files other programs read (JUnit, node_exporter's textfile): atomically, keeping the file's mode.
import fs from 'node:fs';
import path from 'node:path';
import { OptaError, UsageError, causeText } from './errors.js';
import { sweepTemps, tempPathFor } from './temp-files.js';

/**
 * Where the bytes really go: a symlink is followed (as a shell redirect would), so the rename replaces its target,
 * not the link. Undefined parent means "not a regular file" (a FIFO, /dev/stderr): written in place.
 */
function resolveTarget(file: string): { target: string; existing?: fs.Stats } {
  const abs = path.resolve(file);
  let real = abs;
  try {
    real = fs.realpathSync(abs);
  } catch {
    // Does not exist yet (or a dangling link): written where asked.
  }
  try {
    return { target: real, existing: fs.statSync(real) };
  } catch {
    return { target: real };
  }
}

/**
 * Refuses up front, before any work, an output nobody could write: its directory missing or not writable, or a
 * directory where the file should be. Directories are never created (a typo would otherwise make a tree).
 */
export function checkReportTarget(file: string, flag = '--output'): void {
  if (!file) throw new UsageError(`${flag} needs a file name.`);
  const { target, existing } = resolveTarget(file);
  if (existing?.isDirectory()) throw new UsageError(`${flag} ${file} is a directory; give a file name inside it, e.g. ${path.join(file, 'opta-doctor.prom')}.`);
  const dir = path.dirname(target);
  try {
    if (!fs.statSync(dir).isDirectory()) throw new Error('not a directory');
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: cannot write in ${dir} (${causeText(err)}); create the directory or choose another file.`);
  }
}

function writeAll(fd: number, data: Buffer): void {
  // A full disk can make writeSync write less than asked: loop, and let ENOSPC fail the whole write.
  for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off, data.length - off);
}

/**
 * Temp file in the same directory, fsync, rename: a reader (node_exporter, a CI reporter) sees the old file or the
 * new one, never half of one. The temp name starts with a dot and does not end in .prom, so the textfile collector
 * ignores it. Mode: an existing file keeps its own; a new one gets 0666 minus the umask, like `> file`, because
 * the programs that read these files usually run as another user (a report carries no secrets).
 */
export function writeReportFile(file: string, text: string): void {
  const data = Buffer.from(text);
  const { target, existing } = resolveTarget(file);
  try {
    if (existing && !existing.isFile()) {
      // A FIFO or a device (--output /dev/stderr): there is nothing to rename over.
      const fd = fs.openSync(target, 'w');
      try {
        writeAll(fd, data);
      } finally {
        fs.closeSync(fd);
      }
      return;
    }
    const dir = path.dirname(target);
    // What a killed run left here goes first; the temp file is 0600 until it is whole, then gets the report's mode.
    sweepTemps(dir);
    const tmp = tempPathFor(target);
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      writeAll(fd, data);
      fs.fsyncSync(fd);
      fs.fchmodSync(fd, existing ? existing.mode & 0o7777 : 0o666 & ~process.umask());
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    fs.closeSync(fd);
    try {
      fs.renameSync(tmp, target);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    try {
      const dfd = fs.openSync(dir, 'r');
      try {
        fs.fsyncSync(dfd);
      } finally {
        fs.closeSync(dfd);
      }
    } catch {
      // Some platforms cannot open a directory; the rename is atomic all the same.
    }
  } catch (err) {
    throw new OptaError(`could not write ${file}: ${causeText(err)}; the previous file (if any) is unchanged.`, 2);
  }
}
