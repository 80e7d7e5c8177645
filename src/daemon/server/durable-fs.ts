// The daemon's append path (events.jsonl, daemon.log): whole lines or nothing, through one replaceable set of fs calls.
import fs from 'node:fs';
import { isDiskFull, writeAll, writeFailureText } from '../../core/write-all.js';
import { APPEND_FLAGS } from '../log-file.js';

/**
 * Every open, write, fsync, truncate and close of an append goes through this object. It is deliberately a plain,
 * mutable object: a test (or a recorder of the write / fsync / publish order) may replace a method in place.
 */
export interface DurableIo {
  openSync(file: string, flags: number, mode: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  fsyncSync(fd: number): void;
  ftruncateSync(fd: number, length: number): void;
  fstatSync(fd: number): fs.Stats;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  closeSync(fd: number): void;
}

export const durableIo: DurableIo = {
  openSync: (file, flags, mode) => fs.openSync(file, flags, mode),
  writeSync: (fd, b, o, l, p) => fs.writeSync(fd, b, o, l, p),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  ftruncateSync: (fd, len) => fs.ftruncateSync(fd, len),
  fstatSync: (fd) => fs.fstatSync(fd),
  readSync: (fd, b, o, l, p) => fs.readSync(fd, b, o, l, p),
  closeSync: (fd) => fs.closeSync(fd),
};

const { O_WRONLY, O_RDWR } = fs.constants;

/** An append that did not happen; HTTP routes answer it as 507 (disk full) or 500. */
export class StorageError extends Error {
  readonly code: 'DISK_FULL' | 'STORAGE_ERROR';
  readonly status: number;
  readonly diskFull: boolean;
  readonly expose = true;
  constructor(readonly file: string, cause: unknown, what = 'write') {
    const full = isDiskFull(cause);
    super(`cannot ${what} ${file}: ${writeFailureText(cause)}`, { cause });
    this.name = 'StorageError';
    this.diskFull = full;
    this.code = full ? 'DISK_FULL' : 'STORAGE_ERROR';
    this.status = full ? 507 : 500;
  }
}

export interface AppendedLine {
  /** Byte offset of the line's first byte (after a separating newline, if one was needed). */
  start: number;
  /** Byte offset just past the line's own newline. */
  end: number;
}

/**
 * One append-only file of lines. A line is written whole (looping over short writes) and, when `sync`, fsynced before
 * append() returns; if any of that fails, the file is truncated back to where the line began, so a reader never sees
 * half a line and the next line starts clean. Opened lazily; reopened if the file was removed or renamed underneath.
 */
export class AppendFile {
  private fd: number | undefined;
  private size = 0;
  /** The file ends in a partial line (a crash before this process, or a truncation that failed): start on a new line. */
  private needsNewline = false;

  constructor(readonly file: string, private readonly opts: { sync: boolean; io?: DurableIo }) {}

  private get io(): DurableIo {
    return this.opts.io ?? durableIo;
  }

  /** Opens the file (creating it); returns true when it was created now. Throws the open's error (ELOOP for a link). */
  open(): boolean {
    if (this.fd !== undefined) return false;
    const existed = fs.existsSync(this.file);
    // Read-write only to look at the last byte; every write still goes to the end (O_APPEND).
    const fd = this.io.openSync(this.file, (APPEND_FLAGS & ~O_WRONLY) | O_RDWR, 0o600);
    this.fd = fd;
    this.size = this.io.fstatSync(fd).size;
    this.needsNewline = false;
    if (this.size > 0) {
      const b = Buffer.alloc(1);
      this.io.readSync(fd, b, 0, 1, this.size - 1);
      this.needsNewline = b[0] !== 0x0a;
    }
    return !existed;
  }

  /** Bytes in the file as far as this writer knows (every line it appended is whole below this). */
  get length(): number {
    return this.size;
  }

  /** The file was removed or renamed away (rotation by someone else, a reset): the next append starts a new one. */
  reopenIfUnlinked(): void {
    if (this.fd === undefined) return;
    if (this.io.fstatSync(this.fd).nlink === 0) this.close();
  }

  /** `line` must end with "\n" and hold no other newline. Throws StorageError, with the file as it was before. */
  append(line: string): AppendedLine {
    if (this.fd === undefined) {
      try {
        this.open();
      } catch (err) {
        throw new StorageError(this.file, err, 'open');
      }
    }
    const fd = this.fd!;
    const before = this.size;
    const data = Buffer.from((this.needsNewline ? '\n' : '') + line);
    try {
      writeAll(fd, data, null, this.io);
      if (this.opts.sync) this.io.fsyncSync(fd);
    } catch (err) {
      this.rollback(before);
      throw new StorageError(this.file, err, 'append to');
    }
    const start = before + (this.needsNewline ? 1 : 0);
    this.needsNewline = false;
    this.size = before + data.length;
    return { start, end: this.size };
  }

  private rollback(to: number): void {
    try {
      this.io.ftruncateSync(this.fd!, to);
      if (this.opts.sync) this.io.fsyncSync(this.fd!);
    } catch {
      // The fragment stays: like a torn line after a crash, it is skipped when read, and the next line starts on its own
      // (the reopen looks at the last byte again).
      this.close();
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      try {
        this.io.closeSync(this.fd);
      } catch {
        // Closing a descriptor of a failing disk may fail too; there is nothing left to do with it.
      }
    }
    this.fd = undefined;
  }
}

