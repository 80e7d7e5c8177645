// Streams one byte range of an open log file through a Matcher in fixed-size chunks: memory stays flat for any file and any line length.
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import zlib from 'node:zlib';
import type { Matcher } from './matcher.js';
import { newSegment, type SegmentResult } from './run-scope.js';

/**
 * 64 KiB: small enough that each chunk's latin1 string is an ordinary young-generation object (V8 keeps strings of
 * more than 128 KiB in large-object space until a full GC, which let the resident size grow past 120 MB on a big
 * log), large enough that reads cost nothing next to matching. Measured: 64 KiB and 120 KiB chunks ran fastest.
 */
export const CHUNK_BYTES = 64 * 1024;
/** Bytes per read(2): several chunks at a time, fewer system calls. */
export const READ_BYTES = 8 * CHUNK_BYTES;
/** A line longer than this is matched on its first LINE_CAP bytes; the rest is skipped, not buffered. */
export const LINE_CAP = 64 * 1024;

/** Where a file's bytes come from: its open descriptor, or (fd -1) its path, opened again only while it is read. */
export interface Source {
  fd: number;
  path?: string;
  /** dev:ino the file had when the analysis began; a path that now names another file is an error. */
  key?: string;
}

export interface Segment extends Source {
  /** Index of the input file (for line numbers and names when results are merged). */
  file: number;
  /** Byte range [start, end): start is 0 or just after a newline; end is the snapshot size or the next segment's start. */
  start: number;
  end: number;
}

/** Runs `read` with a descriptor of the source: its own, or the file opened again (and closed after) when it has none. */
export function withSource<T>(src: Source, read: (fd: number) => T): T {
  if (src.fd >= 0) return read(src.fd);
  const fd = openAgain(src);
  try {
    return read(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens a source kept by path again; it must still be the file it was when the analysis began. */
function openAgain(src: Source): number {
  // O_NONBLOCK: if a FIFO took the file's place, opening it must not wait for a writer (it is refused just below).
  const fd = fs.openSync(src.path!, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const st = fs.fstatSync(fd);
  if (`${st.dev}:${st.ino}` !== src.key) {
    fs.closeSync(fd);
    throw new Error('it was replaced or renamed while it was analysed (run opta logs analyze again)');
  }
  return fd;
}

/** Reads segment bytes [start, end) and returns what the matcher found; `onBytes` gets the bytes read so far. */
export function scanSegment(seg: Segment, matcher: Matcher, patterns: number, onBytes?: (done: number) => void): SegmentResult {
  return withSource(seg, (fd) => scanFd(seg, fd, matcher, patterns, onBytes));
}

function scanFd(seg: Segment, fd: number, matcher: Matcher, patterns: number, onBytes?: (done: number) => void): SegmentResult {
  const feeder = new LineFeeder(seg, matcher, patterns);
  const buf = Buffer.allocUnsafe(READ_BYTES);
  let pos = seg.start;
  while (pos < seg.end) {
    const got = fs.readSync(fd, buf, 0, Math.min(READ_BYTES, seg.end - pos), pos);
    // Fewer bytes than the snapshot said: the file was truncated under us; what was there has been analysed.
    if (got <= 0) break;
    pos += got;
    feeder.feed(buf, got);
    onBytes?.(feeder.r.bytesRead);
  }
  return feeder.finish();
}

/**
 * Scans a stream of unknown length (standard input when it is a pipe) from its start to its end, the same way:
 * chunks as they come, lines cut between two of them joined.
 */
export async function scanStream(seg: Pick<Segment, 'file'>, stream: AsyncIterable<Buffer | string>, matcher: Matcher, patterns: number, onBytes?: (done: number) => void): Promise<SegmentResult> {
  const feeder = new LineFeeder({ file: seg.file, start: 0, end: 0 }, matcher, patterns);
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    feeder.feed(buf, buf.length);
    onBytes?.(feeder.r.bytesRead);
  }
  feeder.r.endByte = feeder.r.bytesRead;
  return feeder.finish();
}

/**
 * Scans a gzip-compressed file (a rotation such as daemon.log.2.gz) from its start, decompressing as it reads
 * (node:zlib, in chunks: nothing is unpacked to disk, memory stays flat); several gzip members one after another are
 * read as one stream, as zcat does. Byte counts are those decompressed.
 */
export async function scanGzip(seg: Segment, matcher: Matcher, patterns: number, onBytes?: (done: number) => void): Promise<SegmentResult> {
  const own = seg.fd < 0;
  const fd = own ? openAgain(seg) : seg.fd;
  try {
    const raw = fs.createReadStream('', { fd, autoClose: false, start: 0, end: seg.end > 0 ? seg.end - 1 : undefined, highWaterMark: READ_BYTES });
    // A rotation still being compressed ends early: what is there is read, not an error (Z_SYNC_FLUSH at the end).
    const gunzip = zlib.createGunzip({ chunkSize: READ_BYTES, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    raw.on('error', (err) => gunzip.destroy(err));
    return await scanStream(seg, raw.pipe(gunzip), matcher, patterns, onBytes);
  } finally {
    if (own) fs.closeSync(fd);
  }
}

/**
 * Feeds the bytes of one segment, in order and in any pieces, through a Matcher in chunks of at most CHUNK_BYTES.
 * At the start of a file it drops a UTF-8 byte order mark, and after a UTF-16 one (PowerShell 5 writes UTF-16LE for
 * `opta daemon logs > x.log`) it decodes UTF-16 into UTF-8 first; byte counts stay those of the file.
 */
class LineFeeder {
  readonly r: SegmentResult;
  /** The start of a line that began in an earlier chunk (at most LINE_CAP of it). */
  private head = '';
  private utf16: 'le' | 'be' | null = null;
  private decoder: StringDecoder | null = null;
  /** An odd byte of UTF-16 left over from the last piece. */
  private carry: Buffer | null = null;
  constructor(private readonly seg: Pick<Segment, 'file' | 'start' | 'end'>, private readonly matcher: Matcher, patterns: number) {
    this.r = newSegment(seg.file, seg.start, seg.end, patterns);
    matcher.startSegment();
  }

  feed(buf: Buffer, got: number): void {
    let bytes = buf.subarray(0, got);
    if (this.seg.start + this.r.bytesRead === 0) {
      if (got >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) this.utf16 = 'le';
      else if (got >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) this.utf16 = 'be';
      // A UTF-8 byte order mark (Windows editors, PowerShell 7) is not part of the file's first line.
      else if (got >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
      if (this.utf16) {
        bytes = bytes.subarray(2);
        this.decoder = new StringDecoder('utf16le');
      }
    }
    this.r.bytesRead += got;
    if (this.utf16) bytes = this.fromUtf16(bytes);
    this.lines(bytes);
  }

  private fromUtf16(bytes: Buffer): Buffer {
    if (this.carry) {
      bytes = Buffer.concat([this.carry, bytes]);
      this.carry = null;
    }
    const even = bytes.length & ~1;
    if (even < bytes.length) this.carry = Buffer.from(bytes.subarray(even));
    let units = bytes.subarray(0, even);
    if (this.utf16 === 'be') units = Buffer.from(units).swap16();
    return Buffer.from(this.decoder!.write(units), 'utf8');
  }

  private lines(bytes: Buffer): void {
    const r = this.r;
    const matcher = this.matcher;
    const got = bytes.length;
    for (let off = 0; off < got; off += CHUNK_BYTES) {
      const s = bytes.toString('latin1', off, off + Math.min(CHUNK_BYTES, got - off));
      const n = s.length;
      const nl = s.indexOf('\n');
      if (nl < 0) {
        if (this.head.length < LINE_CAP) this.head += s.slice(0, LINE_CAP - this.head.length);
        continue;
      }
      let from = 0;
      if (this.head.length) {
        // The end of a line that began in an earlier chunk.
        const head = this.head;
        const line = head.length < LINE_CAP ? head + s.slice(0, Math.min(nl, LINE_CAP - head.length)) : head;
        matcher.scan(line, 0, line.length, r);
        this.head = '';
        from = nl + 1;
      }
      const last = s.lastIndexOf('\n');
      if (last >= from) matcher.scan(s, from, last + 1, r);
      if (last + 1 < n) this.head = s.slice(last + 1, Math.min(n, last + 1 + LINE_CAP));
    }
  }

  finish(): SegmentResult {
    if (this.utf16) this.lines(Buffer.from(this.decoder!.end(), 'utf8'));
    // A final line without a newline is a line too.
    if (this.head.length) this.matcher.scan(this.head, 0, this.head.length, this.r);
    this.head = '';
    return this.r;
  }
}

/** The first line start at or after `offset` (0 stays 0): where a segment may begin. */
export function alignToLine(src: Source | number, offset: number, size: number): number {
  if (offset <= 0) return 0;
  if (offset >= size) return size;
  return withSource(typeof src === 'number' ? { fd: src } : src, (fd) => lineStartFrom(fd, offset, size));
}

function lineStartFrom(fd: number, offset: number, size: number): number {
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let pos = offset - 1;
  while (pos < size) {
    const n = fs.readSync(fd, buf, 0, Math.min(CHUNK_BYTES, size - pos), pos);
    if (n <= 0) return size;
    const i = buf.subarray(0, n).indexOf(10);
    if (i >= 0) return pos + i + 1;
    pos += n;
  }
  return size;
}
