// Reads the last N lines of a file from its end (cost grows with N, not with the file), and follows it across rotation.
import fs from 'node:fs';
import { openRegularFile } from '../core/read-small.js';

const CHUNK = 64 * 1024;

/** Where a read stopped: following from here misses nothing written after it, even across a rotation. */
export interface Position {
  ino: number;
  pos: number;
  /** With keepOpen, the still-open file, so a follower can drain it even after it was rotated away. */
  fd?: number;
}

export function lastLines(file: string, n: number): string[] {
  return readTail(file, n).lines;
}

/** Fills buf from the file at pos (a read may return less than asked). */
function readFully(fd: number, buf: Buffer, pos: number): void {
  for (let done = 0; done < buf.length; ) {
    const got = fs.readSync(fd, buf, done, buf.length - done, pos + done);
    if (got <= 0) throw new Error(`the file ended while reading it (at byte ${pos + done})`);
    done += got;
  }
}

/**
 * The last n lines and the position right after them. With maxBytes, no more than that is read from the end: when the
 * n lines are longer (a log of NULs after a power loss has no line breaks at all), `cut` is set and the lines are
 * those that start within the window (or the window itself when no line starts there).
 */
export function readTail(file: string, n: number, opts: { keepOpen?: boolean; maxBytes?: number } = {}): { lines: string[]; end: Position; cut?: boolean } {
  // Never a FIFO or a device: opening one blocks the process (a bundle's deadline, the one-liner) until a writer comes.
  const fd = openRegularFile(file);
  try {
    const st = fs.fstatSync(fd);
    const size = st.size;
    const end: Position = { ino: st.ino, pos: size, fd: opts.keepOpen ? fd : undefined };
    if (n <= 0) return { lines: [], end };
    let pos = size;
    let newlines = 0;
    /** Where the wanted lines start in the first chunk read (the earliest in the file), once found. */
    let start = -1;
    const chunks: Buffer[] = [];
    // From the end, until n complete lines are held (n+1 newlines, counting a trailing one). lastIndexOf is a native
    // scan that stops there: counting every byte in JavaScript cost ~2 ms per 64 KiB in a command's first run.
    const floor = opts.maxBytes === undefined ? 0 : Math.max(0, size - opts.maxBytes);
    while (pos > floor && start < 0) {
      const len = Math.min(CHUNK, pos - floor);
      pos -= len;
      const buf = Buffer.allocUnsafe(len);
      readFully(fd, buf, pos);
      chunks.unshift(buf);
      for (let i = len; i > 0; ) {
        const nl = buf.lastIndexOf(10, i - 1);
        if (nl < 0) break;
        if (++newlines > n) {
          start = nl + 1;
          break;
        }
        i = nl;
      }
    }
    // Only what is shown is decoded (a newline byte never occurs inside a UTF-8 sequence, so the cut is clean).
    const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const cut = start < 0 && pos > 0;
    // Cut by maxBytes: the window begins inside a line, so it starts at the first line that begins in it.
    const firstWhole = cut ? all.indexOf(10) + 1 : 0;
    const text = all.toString('utf8', start >= 0 ? start : firstWhole > 0 && firstWhole < all.length ? firstWhole : 0);
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return { lines: lines.slice(-n), end, ...(cut ? { cut } : {}) };
  } finally {
    if (!opts.keepOpen) fs.closeSync(fd);
  }
}

/**
 * Calls onData with each new piece of the file as it grows; when the file is replaced (rotation, reset) it reopens
 * the new one from its start. Returns a stop function. Polls like `tail -F`: watchers miss renames on some systems.
 */
export function follow(file: string, onData: (text: string) => void, opts: { from?: Position; intervalMs?: number } = {}): () => void {
  const intervalMs = opts.intervalMs ?? 150;
  let fd: number | undefined;
  let ino = -1;
  let pos = 0;
  const open = (fromEnd: boolean) => {
    try {
      fd = fs.openSync(file, 'r');
      const st = fs.fstatSync(fd);
      ino = st.ino;
      pos = fromEnd ? st.size : 0;
    } catch {
      fd = undefined;
    }
  };
  const drain = () => {
    if (fd === undefined) return;
    const size = fs.fstatSync(fd).size;
    if (size < pos) pos = 0; // truncated in place
    while (pos < size) {
      const len = Math.min(CHUNK, size - pos);
      const buf = Buffer.alloc(len);
      const got = fs.readSync(fd, buf, 0, len, pos);
      if (got <= 0) break;
      pos += got;
      onData(buf.subarray(0, got).toString('utf8'));
    }
  };
  if (opts.from?.fd !== undefined) {
    // Continue exactly where the caller's read ended, on the same open file: lines written between the read and
    // now are drained even if the file was rotated meanwhile (the tick below then moves to the new file).
    fd = opts.from.fd;
    ino = opts.from.ino;
    pos = opts.from.pos;
  } else open(true);
  const timer = setInterval(() => {
    try {
      drain();
      let st: fs.Stats | undefined;
      try { st = fs.statSync(file); } catch { st = undefined; }
      if (st && st.ino !== ino) {
        // Rotated: finish the old file, then read the new one from its start.
        drain();
        if (fd !== undefined) fs.closeSync(fd);
        open(false);
        drain();
      } else if (!st && fd !== undefined) {
        // Removed; keep the handle until a new file appears.
      } else if (fd === undefined) {
        open(false);
        drain();
      }
    } catch {
      // A transient race with rotation; the next tick retries.
    }
  }, intervalMs);
  return () => {
    clearInterval(timer);
    if (fd !== undefined) fs.closeSync(fd);
  };
}
