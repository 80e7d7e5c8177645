// The log files an analysis reads: the daemon's own (its rotations, plain or .gz, then daemon.log), opened once as a rotation-safe snapshot.
import fs from 'node:fs';
import path from 'node:path';
import tty from 'node:tty';
import { causeText, errorCode, OptaError } from '../core/errors.js';
import { displayPath, type OptaPaths } from '../core/paths.js';
import { refuseLinkOut } from '../core/own-path.js';

export interface LogInput {
  path: string;
  display: string;
  /** A default input that may be absent (daemon.log.1). */
  optional?: boolean;
  /** Standard input ("-" on the command line). */
  stdin?: boolean;
}

/** What "-" on the command line names. */
export const STDIN_INPUT: LogInput = { path: '-', display: 'standard input', stdin: true };

export interface Opened extends LogInput {
  /** The open descriptor, or -1 for a file past MAX_OPEN_INPUTS: reader.ts opens it again (and checks it is the same file) to read it. */
  fd: number;
  size: number;
  /** dev:ino when opened: the same file named twice, and the identity a file opened again must still have. */
  key: string;
  /** Standard input as a pipe: read from its start to its end as it comes (size unknown, 0 here). */
  stream?: boolean;
  /** A descriptor opta did not open (standard input): never closed here. */
  borrowed?: boolean;
  /** Starts with a UTF-16 byte order mark: read by one thread, from its start (reader.ts decodes it). */
  utf16?: boolean;
  /** gzip-compressed (a rotation such as daemon.log.2.gz): decompressed as it is read, by one thread, never to disk. */
  gzip?: boolean;
}

/** The file begins with a UTF-16 byte order mark (FF FE or FE FF). */
function startsUtf16(fd: number): boolean {
  const b = Buffer.alloc(2);
  const n = fs.readSync(fd, b, 0, 2, 0);
  return n === 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff));
}

/** The file begins with gzip's magic bytes (1F 8B 08): by its content, not its name. */
function startsGzip(fd: number): boolean {
  const b = Buffer.alloc(3);
  const n = fs.readSync(fd, b, 0, 3, 0);
  return n === 3 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 0x08;
}

/** Rotations of the daemon's log a rotator keeps (daemon.log.1, daemon.log.2.gz, ...), this many at most, newest kept. */
const MAX_ROTATIONS = 20;

/** daemon.log.<N> and daemon.log.<N>.gz next to the log, oldest (highest N) first. */
function rotations(logFile: string): string[] {
  const dir = path.dirname(logFile);
  const base = path.basename(logFile);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const found: Array<{ n: number; name: string }> = [];
  for (const name of names) {
    if (!name.startsWith(base + '.')) continue;
    const m = /^(\d{1,3})(\.gz)?$/.exec(name.slice(base.length + 1));
    if (m) found.push({ n: Number(m[1]), name });
  }
  found.sort((a, b) => a.n - b.n || a.name.length - b.name.length);
  return found.slice(0, MAX_ROTATIONS).reverse().map((f) => path.join(dir, f.name));
}

/**
 * Descriptors kept open at once: the last files given (the daemon's own two always). A shell glob can name thousands
 * of files, more than a process may open (256 by default on macOS, often 1024 on Linux, and worker threads need some
 * too); the others are checked now and opened again, one at a time, when they are read.
 */
export const MAX_OPEN_INPUTS = 64;

/** The daemon's log and its rotations (daemon.log.1, daemon.log.2.gz, ...), oldest first; only those that exist. */
export function defaultInputs(paths: OptaPaths, env: NodeJS.ProcessEnv): LogInput[] {
  const list = [
    ...rotations(paths.logFile).map((f) => ({ path: f, display: displayPath(f, env), optional: true })),
    { path: paths.logFile, display: displayPath(paths.logFile, env), optional: true },
  ];
  // A daemon.log that links out of the home is not the daemon's log: never analysed through.
  for (const f of list) refuseLinkOut(f.path, paths.home, env);
  const present = list.filter((f) => fs.existsSync(f.path));
  if (!present.length) {
    throw new OptaError(
      `there is no daemon log at ${list[list.length - 1].display}: the daemon has not written one in this home yet. Start it (opta daemon start), or name a log file: opta logs analyze FILE`,
      2,
    );
  }
  return present;
}

/**
 * Opens every input before reading any, newest first: a rotation between two opens then shows up as the same
 * file twice (daemon.log became daemon.log.1), which is read once. Each file is read up to its size at open time;
 * lines appended later belong to the next analysis, and a file renamed or removed meanwhile is still read whole
 * through its open descriptor (past MAX_OPEN_INPUTS files, the earlier ones given are opened again when read).
 */
export function openInputs(inputs: LogInput[]): Opened[] {
  const opened: Opened[] = [];
  let held = 0;
  try {
    for (const input of [...inputs].reverse()) {
      if (input.stdin) {
        const got = openStdin(input);
        if (!opened.some((o) => o.key === got.key)) opened.push(got);
        continue;
      }
      let fd: number;
      try {
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer for ever; it is refused below.
        fd = fs.openSync(input.path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      } catch (err) {
        if (input.optional && errorCode(err) === 'ENOENT') continue;
        throw new OptaError(`cannot read the log ${input.display}: ${causeText(err)}. Check the path, or run opta logs analyze with no FILE to read the daemon's own log.`, 2);
      }
      const st = fs.fstatSync(fd);
      const key = `${st.dev}:${st.ino}`;
      if (!st.isFile()) {
        fs.closeSync(fd);
        throw new OptaError(`cannot read the log ${input.display}: it is not a regular file. Name a log file, or run opta logs analyze with no FILE to read the daemon's own log.`, 2);
      }
      if (opened.some((o) => o.key === key)) {
        fs.closeSync(fd);
        continue;
      }
      const utf16 = startsUtf16(fd);
      const gzip = !utf16 && startsGzip(fd);
      if (held >= MAX_OPEN_INPUTS) {
        fs.closeSync(fd);
        fd = -1;
      } else held++;
      opened.push({ ...input, fd, size: st.size, key, ...(utf16 ? { utf16 } : {}), ...(gzip ? { gzip } : {}) });
    }
  } catch (err) {
    closeInputs(opened);
    throw err;
  }
  if (!opened.length) throw new OptaError(`there is no log to analyse: ${inputs.map((i) => i.display).join(', ')} do not exist. Start the daemon (opta daemon start), or name a log file.`, 2);
  return opened.reverse();
}

export function closeInputs(files: Array<{ fd: number; borrowed?: boolean }>): void {
  for (const f of files) if (f.fd >= 0 && !f.borrowed) fs.closeSync(f.fd);
}

/**
 * Standard input: a file redirected into it (< daemon.log) is read like any file; a pipe (cat, zcat, ssh) is read
 * to its end as it comes; a terminal is refused (the analysis would wait for typing that never comes).
 */
function openStdin(input: LogInput): Opened {
  let st: fs.Stats;
  try {
    st = fs.fstatSync(0);
  } catch (err) {
    throw new OptaError(`cannot read the log from standard input: ${causeText(err)}. Pipe a log into it (cat daemon.log | opta logs analyze -), or name a log file.`, 2);
  }
  const key = `${st.dev}:${st.ino}`;
  if (st.isFile()) return { ...input, fd: 0, size: st.size, key, borrowed: true, ...(startsUtf16(0) ? { utf16: true } : {}) };
  if (tty.isatty(0)) {
    throw new OptaError('cannot read the log from standard input: it is a terminal, not a log. Pipe a log into it (cat daemon.log | opta logs analyze -), or name a log file.', 2);
  }
  return { ...input, fd: 0, size: 0, key, stream: true, borrowed: true };
}

