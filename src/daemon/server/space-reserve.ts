// Room kept for the end of a turn: a reserve file the daemon gives back when the disk fills, and admission of new work.
import fs from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';
import { OptaError } from '../../core/errors.js';
import { writeAll } from '../../core/write-all.js';
import { durableIo, StorageError } from './durable-fs.js';

/** The reserve: enough for the turn.error of every turn a full disk interrupts, and the log lines that say why. */
export const RESERVE_BYTES = 64 * 1024;
/** A new turn or session is refused (HTTP 507) with less than this free besides the reserve. */
export const MIN_FREE_BYTES = 64 * 1024;

/**
 * Why a reserve: on a full disk the event that does not fit is truncated away and the turn must still end with a
 * stored turn.error, which needs room the disk no longer has. The daemon holds that room in a file of its own
 * (daemon/space.reserve) and deletes it the moment an append finds the disk full; the turn.error and the log line go
 * into the freed space. Until the reserve can be written again, only such closing events are appended.
 */
export class SpaceGuard {
  private held = false;
  private lastError: StorageError | undefined;

  constructor(private readonly reserveFile: string, private readonly dataDir: string) {}

  /** Creates the reserve at start-up; throws OptaError (the next step included) when the disk cannot hold it. */
  claim(): void {
    if (this.restore()) return;
    const dir = path.dirname(this.reserveFile);
    throw new OptaError(
      `${this.lastError!.message}. The daemon keeps ${RESERVE_BYTES / 1024} KiB in reserve so that a full disk cannot lose the end of a turn. ` +
        `Free some space (df -h ${dir}) and start again.`,
    );
  }

  /** (Re)writes the reserve whole; false (and no partial file) when the disk cannot hold it yet. */
  private restore(): boolean {
    let fd: number | undefined;
    try {
      fd = durableIo.openSync(this.reserveFile, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | (fs.constants.O_NOFOLLOW ?? 0), 0o600);
      // Random bytes: zeros could be compressed or deduplicated to nothing by the file system.
      writeAll(fd, crypto.randomBytes(RESERVE_BYTES), 0, durableIo);
      durableIo.fsyncSync(fd);
      durableIo.closeSync(fd);
      fd = undefined;
      this.held = true;
      return true;
    } catch (err) {
      if (fd !== undefined) {
        try { durableIo.closeSync(fd); } catch { /* already failing */ }
      }
      fs.rmSync(this.reserveFile, { force: true });
      this.lastError = new StorageError(this.reserveFile, err);
      return false;
    }
  }

  /** New work (a turn, a session) only when there is room for more than its first line: otherwise 507 at once. */
  admit(): void {
    let free: number;
    try {
      const s = fs.statfsSync(this.dataDir);
      free = s.bavail * s.bsize;
    } catch {
      return; // Cannot tell: let the append itself decide.
    }
    if (free < MIN_FREE_BYTES) {
      throw new StorageError(this.dataDir, Object.assign(new Error(`ENOSPC: only ${free} bytes free, fewer than the ${MIN_FREE_BYTES} a new turn needs`), { code: 'ENOSPC' }), 'add to');
    }
  }

  /** Before an ordinary (not closing) event: the reserve must be in place, restored first if it was used. */
  beforeAppend(): void {
    if (this.held) return;
    if (!this.restore()) throw this.lastError!;
  }

  /** An append found the disk full: give the reserve's room to the closing events and log lines that follow. */
  onDiskFull(): boolean {
    if (!this.held) return false;
    this.held = false;
    try {
      fs.rmSync(this.reserveFile, { force: true });
    } catch {
      // Cannot delete it (permissions changed under us): the closing events will find out for themselves.
    }
    return true;
  }

  get isHeld(): boolean {
    return this.held;
  }

  /** At stop (and after a failed start): the reserve only matters while the daemon runs. */
  release(): void {
    this.held = false;
    fs.rmSync(this.reserveFile, { force: true });
  }
}
