// A session's events.jsonl: loaded once into an index of seq -> byte range, appended whole and fsynced, replayed by range.
import fs from 'node:fs';
import path from 'node:path';
import { fsyncDir } from '../../core/atomic.js';
import { kindOf } from '../../core/read-small.js';
import { isEnvelope, type EventEnvelope } from '../protocol.js';
import { AppendFile, StorageError } from './durable-fs.js';
import type { SpaceGuard } from './space-reserve.js';

export const EVENTS_FILE = 'events.jsonl';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

/** Reads of the file at load and replay go in pieces of this size, so neither holds the event loop for long. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * At most this many events.jsonl files are held open for appending, across all sessions: the least recently written
 * one is closed (and reopened on its next append). Without a bound, every session written to since the start keeps a
 * descriptor, and a few hundred sessions exhaust a usual limit of open files (256 on macOS), after which the daemon
 * can neither create a session nor accept a connection.
 */
export const MAX_OPEN_EVENT_LOGS = 32;
/** Insertion order is recency: the first is the least recently written. */
const openForAppend = new Set<EventLog>();

/** Events that close something (a turn, a cancel): they may use the space reserve when the disk is full. */
const CLOSING = new Set<string>(['turn.error', 'session.cancelled']);

export interface ReplayLine {
  seq: number;
  /** The event exactly as stored: one JSON object, no newline. */
  line: Buffer;
}

/**
 * Why an index: replay (GET /events?afterSeq=N, the WebSocket's afterSeq) must cost what it returns. The daemon is the
 * only writer, so every event it loaded or appended has a known byte range; a replay binary-searches the first seq
 * and reads just those bytes, asynchronously, a chunk at a time, and sends them as stored (no parse, no stringify).
 */
export class EventLog {
  readonly file: string;
  private readonly seqs: number[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly out: AppendFile;
  /** Lines that are not events (a torn write from a kill -9, a seq that does not increase); left on disk as they are. */
  skipped = 0;

  constructor(readonly dir: string, private readonly space: SpaceGuard) {
    this.file = path.join(dir, EVENTS_FILE);
    this.out = new AppendFile(this.file, { sync: true });
  }

  /** Reads the file once (at start-up), indexing every event and handing it to `visit` in order. */
  load(visit: (e: EventEnvelope) => void): void {
    let fd: number;
    try {
      // Never blocking (a FIFO would hold the whole start-up until a writer came) and never through a link (the append
      // path refuses links too; /dev/zero behind one would never end): only the regular file the daemon wrote.
      fd = fs.openSync(this.file, O_RDONLY | (O_NOFOLLOW ?? 0) | (O_NONBLOCK ?? 0));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code === 'ELOOP') throw new Error(`${this.file} is a symbolic link, which the daemon never writes or follows; move it aside (mv ${this.file} ${this.file}.bad)`);
      throw err;
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw new Error(`${this.file} is ${kindOf(st)}, not a file the daemon wrote; move it aside (mv ${this.file} ${this.file}.bad)`);
      const buf = Buffer.alloc(CHUNK_BYTES);
      let carry = Buffer.alloc(0);
      let carryAt = 0;
      let pos = 0;
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, pos);
        const data = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
        const base = carry.length ? carryAt : pos;
        pos += n;
        let from = 0;
        for (let nl = data.indexOf(0x0a, from); nl !== -1; nl = data.indexOf(0x0a, from)) {
          this.take(data, from, nl, base, visit);
          from = nl + 1;
        }
        if (n === 0) {
          // A last line without its newline (a crash just before it): an event if it parses, else a torn line.
          if (from < data.length) this.take(data, from, data.length, base, visit);
          break;
        }
        carry = Buffer.from(data.subarray(from));
        carryAt = base + from;
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  private take(data: Buffer, from: number, to: number, base: number, visit: (e: EventEnvelope) => void): void {
    let s = from;
    while (s < to && (data[s] === 0x20 || data[s] === 0x0d || data[s] === 0x09)) s++;
    if (s === to) return;
    let e: unknown;
    try {
      e = JSON.parse(data.toString('utf8', from, to));
    } catch {
      this.skipped++;
      return;
    }
    if (!isEnvelope(e) || (this.seqs.length && e.seq <= this.seqs[this.seqs.length - 1])) {
      this.skipped++;
      return;
    }
    this.index(e.seq, base + from, base + to);
    visit(e);
  }

  private index(seq: number, start: number, end: number): void {
    this.seqs.push(seq);
    this.starts.push(start);
    this.ends.push(end);
  }

  get lastSeq(): number {
    return this.seqs.length ? this.seqs[this.seqs.length - 1] : 0;
  }

  get count(): number {
    return this.seqs.length;
  }

  /**
   * Appends one event, fsynced, or throws StorageError with the file exactly as before. Ordinary events need the space
   * reserve in place (so that a turn can always be closed); closing events may use the reserve's room.
   */
  append(e: EventEnvelope): void {
    const closing = CLOSING.has(e.event);
    if (!closing) this.space.beforeAppend();
    const line = JSON.stringify(e) + '\n';
    let at;
    try {
      at = this.appendLine(line);
    } catch (err) {
      if (!(err instanceof StorageError) || !err.diskFull || !this.space.onDiskFull() || !closing) throw err;
      at = this.appendLine(line);
    }
    this.index(e.seq, at.start, at.end - 1);
  }

  private appendLine(line: string): { start: number; end: number } {
    openForAppend.delete(this);
    openForAppend.add(this);
    for (const other of openForAppend) {
      if (openForAppend.size <= MAX_OPEN_EVENT_LOGS) break;
      openForAppend.delete(other);
      other.out.close();
    }
    const created = this.out.length === 0 && !fs.existsSync(this.file);
    const at = this.out.append(line);
    if (created) fsyncDir(this.dir);
    return at;
  }

  /** The position in the index of the first event with seq > afterSeq. */
  private firstAfter(afterSeq: number): number {
    let lo = 0;
    let hi = this.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid] <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** How many events are stored now; a replay stops there, so its answer is one consistent prefix. */
  snapshot(): { count: number; lastSeq: number } {
    return { count: this.seqs.length, lastSeq: this.lastSeq };
  }

  /**
   * The stored events with seq > afterSeq among the first `count`, a chunk of lines at a time, read asynchronously by
   * byte range. Only indexed ranges are read: a torn line between two events is never part of the answer. A chunk is
   * at most `chunkBytes` (or one event, if that is bigger).
   */
  async *replay(afterSeq: number, count = this.seqs.length, chunkBytes = CHUNK_BYTES): AsyncGenerator<ReplayLine[]> {
    let i = this.firstAfter(afterSeq);
    if (i >= count) return;
    const fh = await fs.promises.open(this.file, 'r');
    try {
      while (i < count) {
        const from = this.starts[i];
        let j = i + 1;
        while (j < count && this.ends[j] + 1 - from <= chunkBytes) j++;
        const len = this.ends[j - 1] - from;
        const buf = Buffer.allocUnsafe(len);
        let got = 0;
        while (got < len) {
          const { bytesRead } = await fh.read(buf, got, len - got, from + got);
          if (bytesRead === 0) throw new Error(`${this.file} is shorter than its index (${from + got} < ${from + len}): it was changed by something other than the daemon`);
          got += bytesRead;
        }
        const lines: ReplayLine[] = [];
        for (let k = i; k < j; k++) lines.push({ seq: this.seqs[k], line: buf.subarray(this.starts[k] - from, this.ends[k] - from) });
        yield lines;
        i = j;
      }
    } finally {
      await fh.close();
    }
  }

  close(): void {
    openForAppend.delete(this);
    this.out.close();
  }
}
