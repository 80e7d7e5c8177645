// A session's events.jsonl: appended whole and fsynced; indexed (seq -> byte range) on first use, replayed by range.
import fs from 'node:fs';
import path from 'node:path';
import { fsyncDir } from '../../core/atomic.js';
import { kindOf } from '../../core/read-small.js';
import { isEnvelope, type EventEnvelope } from '../protocol.js';
import { AppendFile, StorageError } from './durable-fs.js';
import type { SpaceGuard } from './space-reserve.js';
import { Index, readRange, readSidecar, writeSidecar, type IndexPart } from './event-index.js';

export const EVENTS_FILE = 'events.jsonl';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

/** Reads of the file at replay go in pieces of this size, so it does not hold the event loop for long. */
const CHUNK_BYTES = 1024 * 1024;
/** Indexing scans a piece (~1,000 lines) in a few ms: a request to another session waits at most that long behind it. */
const INDEX_CHUNK_BYTES = 1024 * 1024;
/** The tail read that finds the last seq starts with this many bytes and doubles while no whole event is in it. */
const TAIL_BYTES = 64 * 1024;
/** A session whose events file has at least this many bytes not covered by its sidecar gets a new one after its read. */
const SIDECAR_MIN_BYTES = 1024 * 1024;

/** Synchronous work on the daemon's thread (parsing, handing events over) lets the event loop go after this many ms. */
const SLICE_MS = 4;

/** A check to call between pieces of work: a promise to await once SLICE_MS passed since the loop was last let go. */
function slicer(): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since <= SLICE_MS) return undefined;
    return new Promise<void>((r) => setImmediate(r)).then(() => {
      since = performance.now();
    });
  };
}

/** Hands stored events to `visit` in slices: 38,000 of them (a 1 GB session's turns) held the loop 13 ms at once. */
async function visitAll(events: EventEnvelope[], visit: (e: EventEnvelope) => void): Promise<void> {
  const pause = slicer();
  for (const e of events) {
    visit(e);
    const p = pause();
    if (p) await p;
  }
}

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

/** What the daemon knows about the file without reading its events (from the catalog or a tail read). */
export interface LogHead {
  lastSeq: number;
  count: number;
}

/**
 * Throws, naming the file, when what lstat found is not a regular file the daemon wrote (a link, a FIFO, a device): such
 * a session is not loaded, and the file is left where it is. Checked at start from the stat it takes anyway.
 */
export function refuseOddFile(file: string, st: fs.Stats | undefined): void {
  if (!st || st.isFile()) return;
  if (st.isSymbolicLink()) throw new Error(`${file} is a symbolic link, which the daemon never writes or follows; move it aside (mv ${file} ${file}.bad)`);
  throw new Error(`${file} is ${kindOf(st)}, not a file the daemon wrote; move it aside (mv ${file} ${file}.bad)`);
}

/** Opens the events file to read: never blocking (a FIFO), never through a link, only a regular file; undefined if none. */
function openToRead(file: string): number | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | (O_NOFOLLOW ?? 0) | (O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new Error(`${file} is a symbolic link, which the daemon never writes or follows; move it aside (mv ${file} ${file}.bad)`);
    throw err;
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new Error(`${file} is ${kindOf(st)}, not a file the daemon wrote; move it aside (mv ${file} ${file}.bad)`);
  }
  return fd;
}

/** An event parsed from one stored line, or undefined for a line that is not one (torn, damaged, blank). */
function parseLine(data: Buffer, from: number, to: number): EventEnvelope | null | undefined {
  let s = from;
  while (s < to && (data[s] === 0x20 || data[s] === 0x0d || data[s] === 0x09)) s++;
  if (s === to) return null;
  try {
    const e: unknown = JSON.parse(data.toString('utf8', from, to));
    return isEnvelope(e) ? e : undefined;
  } catch {
    return undefined;
  }
}

const PREFIX = Buffer.from('{"v":1,"seq":');
const SESSION_KEY = Buffer.from(',"sessionId":"');
const EVENT_KEY = Buffer.from(',"event":"');
const TS_KEY = Buffer.from(',"ts":"');
const PAYLOAD_KEY = Buffer.from(',"payload":{');

/** Byte by byte: a million calls into Buffer.compare cost more than the loop (measured, indexing 1 GB). */
function startsWithAt(data: Buffer, at: number, to: number, key: Buffer): boolean {
  if (to - at < key.length) return false;
  for (let k = 0; k < key.length; k++) if (data[at + k] !== key[k]) return false;
  return true;
}

/** Where a line's seq and event name are, read from its bytes (lineHead). */
export interface LineHead {
  seq: number;
  /** The event name is data[eventFrom, eventTo). */
  eventFrom: number;
  eventTo: number;
}

/**
 * The seq and event name of a line in the one shape the daemon writes (JSON.stringify of an envelope: v, seq,
 * sessionId, event, ts, payload, in that order, ending with the payload's and the envelope's braces), read from its
 * bytes; undefined for any other line (which is then parsed). Strings in that shape cannot hold a bare quote, so the
 * first quote after a value's opening one closes it. One object is reused: this runs once per stored event.
 */
const scratch: LineHead = { seq: 0, eventFrom: 0, eventTo: 0 };
export function lineHead(data: Buffer, from: number, to: number): LineHead | undefined {
  if (to - from < 40 || data[to - 1] !== 0x7d || data[to - 2] !== 0x7d || !startsWithAt(data, from, to, PREFIX)) return undefined;
  let i = from + PREFIX.length;
  let seq = 0;
  const digits = i;
  while (i < to && data[i] >= 0x30 && data[i] <= 0x39 && i - digits < 15) seq = seq * 10 + (data[i++] - 0x30);
  if (i === digits || (data[digits] === 0x30 && i - digits > 1) || !startsWithAt(data, i, to, SESSION_KEY)) return undefined;
  i = data.indexOf(0x22, i + SESSION_KEY.length);
  if (i < 0 || i >= to || data[i - 1] === 0x5c || !startsWithAt(data, i + 1, to, EVENT_KEY)) return undefined;
  const evFrom = i + 1 + EVENT_KEY.length;
  i = evFrom;
  while (i < to && ((data[i] >= 0x61 && data[i] <= 0x7a) || data[i] === 0x2e || data[i] === 0x5f)) i++;
  if (i === evFrom || i - evFrom > 64 || data[i] !== 0x22 || !startsWithAt(data, i + 1, to, TS_KEY)) return undefined;
  const evTo = i;
  i = data.indexOf(0x22, i + 1 + TS_KEY.length);
  if (i < 0 || i >= to || !startsWithAt(data, i + 1, to, PAYLOAD_KEY)) return undefined;
  scratch.seq = seq;
  scratch.eventFrom = evFrom;
  scratch.eventTo = evTo;
  return scratch;
}

/** The names in `wanted` as bytes, and a test of a line's event name against them without making a string. */
function nameMatcher(wanted: ReadonlySet<string> | undefined): (data: Buffer, h: LineHead) => boolean {
  if (!wanted) return () => true;
  const names = [...wanted].map((w) => Buffer.from(w, 'latin1'));
  return (data, h) => {
    const len = h.eventTo - h.eventFrom;
    for (const n of names) if (n.length === len && startsWithAt(data, h.eventFrom, h.eventTo, n)) return true;
    return false;
  };
}

/**
 * Why an index: replay (GET /events?afterSeq=N, the WebSocket's afterSeq) must cost what it returns. The daemon is the
 * only writer, so every event it indexed or appended has a known byte range; a replay binary-searches the first seq
 * and reads just those bytes. Why on first use: a start must not read the history it keeps (a year of sessions is
 * gigabytes); until a session is used, the daemon knows only its head (last seq, count), and an idle session drops its
 * index again (drop()).
 */
export class EventLog {
  readonly file: string;
  private readonly out: AppendFile;
  private idx: Index | undefined;
  /** While an index is being built: events appended meanwhile, added to it when the scan (which stops before them) ends. */
  private during: Array<[number, number, number]> | undefined;
  private head: LogHead | undefined;
  /** Lines that are not events (a torn write from a kill -9, a seq that does not increase); left on disk as they are. */
  skipped = 0;
  /** Why the last read did not believe the sidecar (torn, stale), for the log; undefined when it was believed or absent. */
  sidecarProblem: string | undefined;

  /**
   * `sidecar`: where this session's index is kept between reads (the daemon's own directory, never sessions/: the
   * history holds only what the daemon appends, and a clean-up of the cache can never touch it).
   */
  constructor(readonly dir: string, private readonly space: SpaceGuard, head?: LogHead, private readonly sidecar?: string) {
    this.file = path.join(dir, EVENTS_FILE);
    this.out = new AppendFile(this.file, { sync: true });
    this.head = head ? { ...head } : undefined;
  }

  get indexed(): boolean {
    return this.idx !== undefined;
  }

  /** The last seq and the count: from the catalog, else from a read of the file's last lines (once). */
  private known(): LogHead {
    if (!this.head) this.head = { lastSeq: this.readLastSeq(), count: -1 };
    return this.head;
  }

  get lastSeq(): number {
    return this.known().lastSeq;
  }

  /** The number of events, or -1 while unknown (a session the daemon has not indexed since its catalog lost it). */
  get count(): number {
    return this.known().count;
  }

  /**
   * The seq of the last whole event, from the end of the file: reads backwards a growing window until a line parses.
   * A torn last line (a kill -9 mid-write) is passed over, as a full read passes over it.
   */
  private readLastSeq(): number {
    const fd = openToRead(this.file);
    if (fd === undefined) return 0;
    try {
      const size = fs.fstatSync(fd).size;
      let want = TAIL_BYTES;
      for (;;) {
        const from = Math.max(0, size - want);
        const buf = Buffer.allocUnsafe(size - from);
        const n = fs.readSync(fd, buf, 0, buf.length, from);
        const data = buf.subarray(0, n);
        let to = data.length;
        // Lines wholly inside the window: those after its first newline (or all, when the window starts the file).
        const firstLine = from === 0 ? 0 : data.indexOf(0x0a) + 1;
        while (to > firstLine) {
          const nl = data.lastIndexOf(0x0a, to - 1);
          const start = nl < firstLine - 1 ? firstLine : nl + 1;
          if (start < to) {
            const e = parseLine(data, start, to);
            if (e) return e.seq;
          }
          to = start === firstLine ? firstLine : nl;
          if (start === firstLine) break;
        }
        if (from === 0) return 0;
        want *= 2;
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Reads the file once, asynchronously a chunk at a time, indexing every event, and hands to `visit`, in order, the
   * events whose name is in `wanted` (all of them when it is undefined) and the last one. It reads only the bytes the
   * file had when it began: events appended meanwhile are indexed by append() and added after. The index replaces any
   * earlier one.
   *
   * Why it does not parse every line: a 1 GB session is a million lines, and JSON.parse of each took ~30 s. A line the
   * daemon wrote has one shape (JSON.stringify of the envelope, keys in order), so its seq and event name are read from
   * its first bytes (lineHead); a line of that shape whose event is not wanted is indexed without being parsed, and
   * anything else is parsed as before. The one way a line of that shape can be no event is a torn write (a kill -9 or a
   * full disk mid-append) that the next append put a newline after; that next event then repeats its seq (the torn one
   * was never published). So an unparsed line is parsed after all when the line after it does not increase the seq,
   * and the last event always is; one that does not parse is taken out of the index again.
   */
  async build(visit: (e: EventEnvelope) => void, wanted?: ReadonlySet<string>): Promise<void> {
    const fd = openToRead(this.file);
    this.during = [];
    this.sidecarProblem = undefined;
    try {
      let idx = new Index();
      let skipped = 0;
      if (fd !== undefined) {
        const end = fs.fstatSync(fd).size;
        let part: IndexPart | undefined;
        let stored: EventEnvelope[] = [];
        if (this.sidecar && end >= SIDECAR_MIN_BYTES) {
          const got = await readSidecar(this.sidecar, fd, end);
          if (typeof got !== 'string') {
            stored = await this.readVisits(fd, got);
            if (stored.length === got.visits.length) part = got;
            else this.sidecarProblem = 'stale (an event it names is not in the events file)';
          } else if (got !== 'none') this.sidecarProblem = got;
        }
        if (part) await visitAll(stored, visit);
        stored = [];
        const scan = await this.scan(fd, end, part, visit, wanted);
        idx = scan.idx;
        skipped = scan.skipped;
        // A new sidecar when the read had to scan much (none was believed, or much was appended since it was written).
        if (this.sidecar && scan.covered - (part?.covered ?? 0) >= SIDECAR_MIN_BYTES && scan.idx.n) {
          // Only events whose line ends inside the covered bytes (a last line without its newline is scanned again).
          const n = idx.n && idx.ends[idx.n - 1] >= scan.covered ? idx.n - 1 : idx.n;
          const visits = scan.visits.filter((v) => v < n);
          const snap = { idx: { n, seqs: idx.seqs, starts: idx.starts, ends: idx.ends }, visits, covered: n < idx.n ? idx.starts[n] : scan.covered, skipped };
          void writeSidecar(this.sidecar, fd, snap).catch(() => undefined);
        }
      }
      for (const [seq, start, stop] of this.during) if (seq > idx.lastSeq) idx.push(seq, start, stop);
      this.idx = idx;
      this.skipped = skipped;
      this.head = { lastSeq: Math.max(idx.lastSeq, this.head?.lastSeq ?? 0), count: idx.n };
    } finally {
      this.during = undefined;
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /**
   * The events a sidecar says a read visits, parsed from the events file: lines close together are read in one piece,
   * and the event loop is let go every few ms. Stops at the first that is not the event the index names.
   */
  private async readVisits(fd: number, part: IndexPart): Promise<EventEnvelope[]> {
    const { idx, visits } = part;
    const out: EventEnvelope[] = [];
    const pause = slicer();
    for (let i = 0; i < visits.length; ) {
      const from = idx.starts[visits[i]];
      let to = idx.ends[visits[i]];
      let j = i + 1;
      while (j < visits.length && idx.starts[visits[j]] - to <= 4096 && idx.ends[visits[j]] - from <= CHUNK_BYTES) to = idx.ends[visits[j++]];
      const b = readRange(fd, from, to);
      if (!b) return out;
      for (let k = i; k < j; k++) {
        const p = visits[k];
        const e = parseLine(b, idx.starts[p] - from, idx.ends[p] - from);
        if (!e || e.seq !== idx.seqs[p]) return out;
        out.push(e);
      }
      i = j;
      const p = pause();
      if (p) await p;
    }
    return out;
  }

  /**
   * Scans the file from where `part` (a believed sidecar) ends, or from its start, to `end`: see build(). Returns the
   * index, the positions of the events visited, and how many bytes of whole lines it covers.
   */
  private async scan(fd: number, end: number, part: IndexPart | undefined, visit: (e: EventEnvelope) => void, wanted?: ReadonlySet<string>): Promise<IndexPart> {
    const idx = part?.idx ?? new Index();
    const visits = part?.visits ?? [];
    let skipped = part?.skipped ?? 0;
    let covered = part?.covered ?? 0;
    /** The last index entry was taken from its shape alone (not parsed). */
    let unverified = false;
    let visitedSeq = visits.length ? idx.seqs[visits[visits.length - 1]] : 0;
    // Asynchronous reads of the one descriptor opened above (checked to be a regular file, not a link or FIFO).
    const read = (b: Buffer, at: number): Promise<number> =>
      new Promise((res, rej) => fs.read(fd, b, 0, Math.min(b.length, end - at), at, (err, n) => (err ? rej(err) : res(n))));
    /** Parses the last index entry again from the file; takes it out when it is no event. */
    const verifyLast = (): void => {
      while (unverified && idx.n) {
        const b = readRange(fd, idx.starts[idx.n - 1], idx.ends[idx.n - 1]);
        const e = b && parseLine(b, 0, b.length);
        if (e && e.seq === idx.lastSeq) {
          unverified = false;
          return;
        }
        idx.n--;
        skipped++;
        // The entry before a taken-out one was accepted when a greater seq followed it: verified enough.
        unverified = false;
      }
    };
    const isWanted = nameMatcher(wanted);
    const take = (data: Buffer, from: number, to: number, base: number) => {
      const head = lineHead(data, from, to);
      if (head && isWanted(data, head)) {
        // Wanted: parsed below like any other line.
      } else if (head) {
        if (idx.n && head.seq <= idx.lastSeq && unverified) verifyLast();
        if (idx.n && head.seq <= idx.lastSeq) {
          skipped++;
          return;
        }
        idx.push(head.seq, base + from, base + to);
        unverified = true;
        return;
      }
      const e = parseLine(data, from, to);
      if (e === null) return;
      if (e && idx.n && e.seq <= idx.lastSeq && unverified) verifyLast();
      if (e === undefined || (idx.n && e.seq <= idx.lastSeq)) {
        skipped++;
        return;
      }
      idx.push(e.seq, base + from, base + to);
      unverified = false;
      visits.push(idx.n - 1);
      visitedSeq = e.seq;
      visit(e);
    };
    // Two buffers: the next piece is read while this one is scanned (a read's round trip through the thread pool, on
    // a busy machine, took longer than the scan of what it brought).
    const bufs = [Buffer.alloc(INDEX_CHUNK_BYTES), Buffer.alloc(INDEX_CHUNK_BYTES)];
    let carry = Buffer.alloc(0);
    let carryAt = 0;
    let pos = covered;
    let k = 0;
    let next = pos < end ? read(bufs[0], pos) : Promise.resolve(0);
    for (;;) {
      const n = await next;
      const buf = bufs[k];
      const ahead = pos + n;
      k ^= 1;
      next = n > 0 && ahead < end ? read(bufs[k], ahead) : Promise.resolve(0);
      const data = buf.subarray(0, n);
      const base = pos;
      pos += n;
      let from = 0;
      if (carry.length) {
        // The line that spans two pieces is put together on its own (the pieces themselves are not copied).
        const nl = data.indexOf(0x0a);
        if (nl === -1 && n > 0) {
          carry = Buffer.concat([carry, data]);
          continue;
        }
        const line = nl === -1 ? carry : Buffer.concat([carry, data.subarray(0, nl)]);
        // A last line without its newline (a crash just before it): an event if it parses, else a torn line.
        take(line, 0, line.length, carryAt);
        if (nl !== -1) covered = base + nl + 1;
        carry = Buffer.alloc(0);
        from = nl === -1 ? n : nl + 1;
      }
      for (let nl = data.indexOf(0x0a, from); nl !== -1; nl = data.indexOf(0x0a, from)) {
        take(data, from, nl, base);
        from = nl + 1;
      }
      if (from > 0) covered = Math.max(covered, base + from);
      if (n === 0) break;
      if (from < n) {
        carry = Buffer.from(data.subarray(from));
        carryAt = base + from;
      }
    }
    // The last event is always parsed: it may be a torn write, and its time is the session's last activity.
    verifyLast();
    if (idx.n && visitedSeq !== idx.lastSeq) {
      const b = readRange(fd, idx.starts[idx.n - 1], idx.ends[idx.n - 1]);
      const e = b && parseLine(b, 0, b.length);
      if (e) visit(e);
    }
    // The sidecar's covered bytes end with a whole line that was scanned: a torn last line is read again next time.
    return { idx, visits, covered, skipped };
  }

  /** Forgets the index (an idle session): the next use builds it again. Replays already running keep theirs. */
  drop(): void {
    if (this.during) return;
    this.idx = undefined;
  }

  /**
   * Appends one event, fsynced, or throws StorageError with the file exactly as before. Ordinary events need the space
   * reserve in place (so that a turn can always be closed); closing events may use the reserve's room. Returns the
   * bytes written.
   */
  append(e: EventEnvelope): number {
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
    const head = this.known();
    head.lastSeq = e.seq;
    if (head.count >= 0) head.count++;
    this.idx?.push(e.seq, at.start, at.end - 1);
    this.during?.push([e.seq, at.start, at.end - 1]);
    return at.end - at.start;
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

  private index(): Index {
    if (!this.idx) throw new Error(`the events of ${this.file} are not indexed yet (the session was not loaded)`);
    return this.idx;
  }

  /** How many events are stored now; a replay stops there, so its answer is one consistent prefix. */
  snapshot(): { count: number; lastSeq: number } {
    const idx = this.index();
    return { count: idx.n, lastSeq: idx.lastSeq };
  }

  /**
   * The stored events with seq > afterSeq among the first `count`, a chunk of lines at a time, read asynchronously by
   * byte range. Only indexed ranges are read: a torn line between two events is never part of the answer. A chunk is
   * at most `chunkBytes` (or one event, if that is bigger). The index is taken now: dropping it later does not stop
   * this replay.
   */
  replay(afterSeq: number, count?: number, chunkBytes = CHUNK_BYTES): AsyncGenerator<ReplayLine[]> {
    const idx = this.index();
    return this.replayFrom(idx, afterSeq, count ?? idx.n, chunkBytes);
  }

  private async *replayFrom(idx: Index, afterSeq: number, count: number, chunkBytes: number): AsyncGenerator<ReplayLine[]> {
    let i = idx.firstAfter(afterSeq);
    if (i >= count) return;
    const fh = await fs.promises.open(this.file, 'r');
    try {
      while (i < count) {
        const from = idx.starts[i];
        let j = i + 1;
        while (j < count && idx.ends[j] + 1 - from <= chunkBytes) j++;
        const len = idx.ends[j - 1] - from;
        const buf = Buffer.allocUnsafe(len);
        let got = 0;
        while (got < len) {
          const { bytesRead } = await fh.read(buf, got, len - got, from + got);
          if (bytesRead === 0) throw new Error(`${this.file} is shorter than its index (${from + got} < ${from + len}): it was changed by something other than the daemon`);
          got += bytesRead;
        }
        const lines: ReplayLine[] = [];
        for (let k = i; k < j; k++) lines.push({ seq: idx.seqs[k], line: buf.subarray(idx.starts[k] - from, idx.ends[k] - from) });
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
