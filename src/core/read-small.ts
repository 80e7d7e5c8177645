// Reads one of opta's own small files (state.json, config.json, a lock, meta.json) without hanging on what is not a file.
import fs from 'node:fs';

/** Larger than any file opta writes; a bigger one is not one of ours. */
export const MAX_SMALL_FILE = 1024 * 1024;

/** What a path that is not a regular file is, in words ("a FIFO", "a directory", ...): every refusal names it so. */
export function kindOf(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isDirectory()) return 'a directory';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * Opens a file opta reads without blocking on a FIFO (open() of one waits for a writer, stalling every timer and
 * deadline of the process) and refuses what is not a regular file, with a message naming it. Returns the fd and its
 * size.
 */
function openRegular(file: string): { fd: number; size: number } {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(`${file} is ${kindOf(st)}, not a file opta wrote; move it aside (mv ${file} ${file}.bad)`), { code: 'ENOTREG' });
    return { fd, size: st.size };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/** openRegular's fd alone, for a reader that reads it its own way (a log's end, a lock). */
export function openRegularFile(file: string): number {
  return openRegular(file).fd;
}

/**
 * A plain readFileSync of a FIFO blocks the whole process (event loop, timers, the doctor's deadline) until a writer
 * comes, and /dev/zero never ends: open without blocking, and read only a regular file of a sane size. Errors keep
 * fs's shape (`code`, ENOENT for a missing file) so callers classify them as before.
 */
export function readSmallFile(file: string, max = MAX_SMALL_FILE): string {
  return readSmallBytes(file, max).toString('utf8');
}

/**
 * readSmallFile's bytes, for a reader that keeps them (no string made, and no buffer left for the collector): the size
 * fstat gave, read with readSync (readFileSync of an fd stats it again and grows its buffer: ~0.2 ms of the first call
 * in a process). Opta replaces its files whole (rename), so that size is the file's; bytes appended since are not read.
 * A file that says it is empty (a pseudo-file, some network file systems) is read to its end, never past `max`.
 */
export function readSmallBytes(file: string, max = MAX_SMALL_FILE): Buffer {
  const { fd, size } = openRegular(file);
  try {
    if (size > max) throw Object.assign(new Error(`${file} is ${size} bytes, more than any file opta writes (${max}); move it aside (mv ${file} ${file}.bad)`), { code: 'EFBIG' });
    if (size === 0) return readToEnd(fd, file, max);
    const buf = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const n = fs.readSync(fd, buf, at, size - at, null);
      if (n === 0) break;
      at += n;
    }
    return at === size ? buf : buf.subarray(0, at);
  } finally {
    fs.closeSync(fd);
  }
}

/** What is left to read of `fd`, refused once it passes `max`. */
function readToEnd(fd: number, file: string, max: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    const n = fs.readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) return Buffer.concat(parts, total);
    total += n;
    if (total > max) throw Object.assign(new Error(`${file} is more than ${max} bytes, more than any file opta writes; move it aside (mv ${file} ${file}.bad)`), { code: 'EFBIG' });
    parts.push(chunk.subarray(0, n));
  }
}

/** Whether anything is at `file`, a dangling symbolic link included (lstat: never follows it). */
export function anythingAt(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a stream (a file, standard input, a pipe that may never end) whole, but never past `max` bytes: returns null
 * as soon as it would, so /dev/zero or an endless pipe costs `max` at most. Read errors are the caller's to word.
 */
export async function readUpTo(stream: NodeJS.ReadableStream, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += b.length;
    if (total > max) return null;
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}
