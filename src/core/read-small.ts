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
 * deadline of the process) and refuses what is not a regular file, with a message naming it. Returns the fd.
 */
export function openRegularFile(file: string): number {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(`${file} is ${kindOf(st)}, not a file opta wrote; move it aside (mv ${file} ${file}.bad)`), { code: 'ENOTREG' });
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  return fd;
}

/**
 * A plain readFileSync of a FIFO blocks the whole process (event loop, timers, the doctor's deadline) until a writer
 * comes, and /dev/zero never ends: open without blocking, and read only a regular file of a sane size. Errors keep
 * fs's shape (`code`, ENOENT for a missing file) so callers classify them as before.
 */
export function readSmallFile(file: string, max = MAX_SMALL_FILE): string {
  return readSmallBytes(file, max).toString('utf8');
}

/** readSmallFile's bytes, for a reader that keeps them (no string made, and no buffer left for the collector). */
export function readSmallBytes(file: string, max = MAX_SMALL_FILE): Buffer {
  const fd = openRegularFile(file);
  try {
    const size = fs.fstatSync(fd).size;
    if (size > max) throw Object.assign(new Error(`${file} is ${size} bytes, more than any file opta writes (${max}); move it aside (mv ${file} ${file}.bad)`), { code: 'EFBIG' });
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
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
