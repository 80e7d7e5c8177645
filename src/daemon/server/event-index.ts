// A session's event index (seq -> byte range of events.jsonl) and its sidecar file, believed only while it matches the events file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * seq -> [start, end) of every event, in typed arrays that grow by doubling: a million events cost 24 MB, not the
 * ~100 MB of three arrays of boxed numbers, and offsets past 2 GiB stay exact.
 */
export class Index {
  n = 0;
  seqs: Float64Array;
  starts: Float64Array;
  ends: Float64Array;

  constructor(capacity = 1024) {
    this.seqs = new Float64Array(capacity);
    this.starts = new Float64Array(capacity);
    this.ends = new Float64Array(capacity);
  }

  push(seq: number, start: number, end: number): void {
    if (this.n === this.seqs.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.seqs = grow(this.seqs);
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
    }
    this.seqs[this.n] = seq;
    this.starts[this.n] = start;
    this.ends[this.n] = end;
    this.n++;
  }

  get lastSeq(): number {
    return this.n ? this.seqs[this.n - 1] : 0;
  }

  /** The position of the first event with seq > afterSeq. */
  firstAfter(afterSeq: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid] <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** What a sidecar holds: the index of the file's first `covered` bytes, and which entries a read visits (their positions). */
export interface IndexPart {
  idx: Index;
  /** Positions in idx of the events a read of the history learns from (visit()). */
  visits: number[];
  /** Bytes of events.jsonl the index covers: up to and including the newline of the last whole line scanned. */
  covered: number;
  skipped: number;
}

const MAGIC = Buffer.from('OPTAIDX1');
/** magic, n, visits, covered, skipped, sha-256 of the last event's line, sha-256 of the body. */
const HEADER_BYTES = 8 + 4 * 8 + 32 + 32;
/** Entries a believed sidecar's index has room for beyond those it holds, at least. */
const SIDECAR_HEADROOM = 4096;
/** A sidecar beyond this is not one the daemon wrote (24 bytes an event: 10 million events are 240 MB). */
const MAX_SIDECAR_BYTES = 512 * 1024 * 1024;

const sha = (...parts: Uint8Array[]): Buffer => {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** A 1 MiB piece at a time, yielding between them: hashing 24 MB at once would hold every other request ~50 ms. */
async function shaInPieces(parts: Uint8Array[]): Promise<Buffer> {
  const h = crypto.createHash('sha256');
  const PIECE = 1024 * 1024;
  for (const p of parts) {
    for (let at = 0; at < p.length; at += PIECE) {
      h.update(p.subarray(at, Math.min(p.length, at + PIECE)));
      await new Promise((r) => setImmediate(r));
    }
  }
  return h.digest();
}

const bytesOf = (a: Float64Array, n: number): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, n * 8);

/** The line [start, end) of the events file, or undefined when the file is shorter. */
export function readRange(fd: number, start: number, end: number): Buffer | undefined {
  const b = Buffer.allocUnsafe(end - start);
  let got = 0;
  while (got < b.length) {
    const n = fs.readSync(fd, b, got, b.length - got, start + got);
    if (n === 0) return undefined;
    got += n;
  }
  return b;
}

/**
 * Writes the sidecar of `part` (temp file + rename, 0600): a cache of the index, so the next cold use of a big session
 * reads 24 bytes an event instead of the events. Never fsynced: a torn or lost sidecar is detected and rebuilt. The
 * events file is read only for its last event's line (the sidecar names it by hash, to be matched at the next read).
 */
export async function writeSidecar(file: string, eventsFd: number, part: Omit<IndexPart, 'idx'> & { idx: Pick<Index, 'n' | 'seqs' | 'starts' | 'ends'> }): Promise<void> {
  const { idx, visits } = part;
  const n = idx.n;
  if (n === 0) return;
  const last = readRange(eventsFd, idx.starts[n - 1], idx.ends[n - 1]);
  if (!last) return;
  const arrays = [bytesOf(idx.seqs, n), bytesOf(idx.starts, n), bytesOf(idx.ends, n), bytesOf(Float64Array.from(visits), visits.length)];
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeDoubleLE(n, 8);
  header.writeDoubleLE(visits.length, 16);
  header.writeDoubleLE(part.covered, 24);
  header.writeDoubleLE(part.skipped, 32);
  sha(last).copy(header, 40);
  (await shaInPieces(arrays)).copy(header, 72);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // One temp name per session (one daemon per home, one read per session at a time): a kill -9 mid-write leaves at
  // most this one file, replaced by the next write.
  const tmp = `${file}.tmp`;
  const fh = await fs.promises.open(tmp, 'w', 0o600);
  try {
    await fh.writev([header, ...arrays]);
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
}

/**
 * The sidecar's index when it holds for this events file (open as `eventsFd`, `size` bytes): whole (its length and
 * hash), and describing this file (the file is at least as long as what it covers, and the bytes where its last event
 * should be are that event, followed by its newline). Else the reason it was not believed ('none' when there is none).
 */
export async function readSidecar(file: string, eventsFd: number, size: number): Promise<IndexPart | string> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'none' : `unreadable (${(err as NodeJS.ErrnoException).code})`;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size < HEADER_BYTES || st.size > MAX_SIDECAR_BYTES) return 'not a sidecar this daemon wrote';
    const header = Buffer.alloc(HEADER_BYTES);
    await fh.read(header, 0, HEADER_BYTES, 0);
    if (!header.subarray(0, 8).equals(MAGIC)) return 'not a sidecar this daemon wrote';
    const n = header.readDoubleLE(8);
    const m = header.readDoubleLE(16);
    const covered = header.readDoubleLE(24);
    const skipped = header.readDoubleLE(32);
    const ints = [n, m, covered, skipped].every((x) => Number.isSafeInteger(x) && x >= 0);
    if (!ints || n === 0 || st.size !== HEADER_BYTES + (3 * n + m) * 8) return 'torn (its length does not match its header)';
    if (covered > size) return `stale (it covers ${covered} bytes, the events file has ${size})`;
    // Room for what was appended since it was written: growing a million entries (copying 24 MB) held the daemon's
    // thread 14 ms in the scan of those few lines. Pages never written are not memory the daemon holds.
    const idx = new Index(n + Math.max(SIDECAR_HEADROOM, Math.ceil(n / 4)));
    const visitsArr = new Float64Array(m);
    let at = HEADER_BYTES;
    for (const [a, len] of [[idx.seqs, n], [idx.starts, n], [idx.ends, n], [visitsArr, m]] as const) {
      const view = new Uint8Array(a.buffer, 0, len * 8);
      const { bytesRead } = await fh.read(view, 0, view.length, at);
      if (bytesRead !== view.length) return 'torn (shorter than its header says)';
      at += view.length;
    }
    idx.n = n;
    if (!(await shaInPieces([bytesOf(idx.seqs, n), bytesOf(idx.starts, n), bytesOf(idx.ends, n), bytesOf(visitsArr, m)])).equals(header.subarray(72, 104))) return 'torn (its checksum does not match)';
    const lastStart = idx.starts[n - 1];
    const lastEnd = idx.ends[n - 1];
    if (!(lastEnd < covered && lastStart < lastEnd)) return 'not a sidecar this daemon wrote';
    const last = readRange(eventsFd, lastStart, lastEnd + 1);
    if (!last || last[last.length - 1] !== 0x0a || !sha(last.subarray(0, last.length - 1)).equals(header.subarray(40, 72))) return 'stale (the events file does not have its last event where it says)';
    return { idx, visits: Array.from(visitsArr), covered, skipped };
  } finally {
    await fh.close();
  }
}
