// Writes that are whole or fail: fs.writeSync may write fewer bytes than asked (a full disk), so every write loops here.
import fs from 'node:fs';
import { causeText, errorCode } from './errors.js';

/** The one system call writeAll needs; a replaceable object lets a caller route it elsewhere (see daemon/durable-fs). */
export interface WriteIo {
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
}

const nodeIo: WriteIo = { writeSync: (fd, b, o, l, p) => fs.writeSync(fd, b, o, l, p) };

/**
 * Writes every byte of `data` or throws. A write that makes no progress is a full disk (Linux reports the short
 * write first and ENOSPC only on the next call; some file systems return 0 instead), so it throws ENOSPC.
 * `position` null appends at the file offset; a number writes there and advances.
 */
export function writeAll(fd: number, data: string | Uint8Array, position: number | null = null, io: WriteIo = nodeIo): number {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  let done = 0;
  while (done < buf.length) {
    const n = io.writeSync(fd, buf, done, buf.length - done, position === null ? null : position + done);
    if (n <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write made no progress'), { code: 'ENOSPC', syscall: 'write' });
    done += n;
  }
  return done;
}

/** ENOSPC and EDQUOT: no more room for this user on this file system. */
export function isDiskFull(err: unknown): boolean {
  const c = errorCode(err);
  return c === 'ENOSPC' || c === 'EDQUOT';
}

/** "the disk is full (ENOSPC: no space left on device, write)" or the plain cause, for messages a person reads. */
export function writeFailureText(err: unknown): string {
  return isDiskFull(err) ? `the disk is full (${causeText(err)})` : causeText(err);
}
