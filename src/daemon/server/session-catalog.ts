// The daemon's catalog of sessions (daemon/sessions-catalog.json): each session's metadata and facts, so a start reads one file, not the history.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { writeFileAtomic } from '../../core/atomic.js';
import { readSmallBytes } from '../../core/read-small.js';
import { isSafeSessionId } from '../session-id.js';

export const CATALOG_FILE = 'sessions-catalog.json';

/** 10,000 sessions take about 3 MB; a file far beyond what the daemon writes is not read (it was not the daemon's). */
const MAX_CATALOG_BYTES = 256 * 1024 * 1024;

/** One session's entry (its row's fields after the id). The zod schema these are checked as: session-catalog-schema.ts. */
export interface CatalogEntry {
  createdAt: string;
  workspace: string | null;
  /** Size, mtime and inode of events.jsonl when the entry was written: the entry holds only while all three match. */
  size: number;
  mtimeMs: number;
  ino: number;
  lastSeq: number;
  count: number;
  turns: number;
  openTurns: string[];
  lastActivity: string | null;
}

// The forms: v1 (daemons before issue 23's rows: an object per session, its field names repeated), v2 (one row per
// session, its fields in ROW_FIELDS order: the v1 object of 10,000 sessions, 2.1 MB, took ~22 ms to parse and left
// ~2.5 MB more heap than these rows, 1.1 MB, ~14 ms), both read whole; and v3, written now, the same rows read only in
// its own layout (readV3): its header holds the SHA-256 of its rows, so no row is parsed before the daemon serves.
// No zod here: loading it cost every start ~10 ms before serving.

/** A row's fields, in order (the session's id first); also written into the file, for a person reading it. */
export const ROW_FIELDS = ['id', 'createdAt', 'workspace', 'size', 'mtimeMs', 'ino', 'lastSeq', 'count', 'turns', 'openTurns', 'lastActivity'] as const;

const isInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isStr = (x: unknown): x is string => typeof x === 'string';
const isStrOrNull = (x: unknown): boolean => x === null || typeof x === 'string';

/** An entry's fields checked as the schema's Entry says, by hand (see catalogEntries): one check for v1 objects and v2 rows. */
function entryOk(e: Record<string, unknown>): boolean {
  return (
    isStr(e.createdAt) && isStrOrNull(e.workspace) && isInt(e.size) && typeof e.mtimeMs === 'number' && Number.isFinite(e.mtimeMs) &&
    typeof e.ino === 'number' && Number.isFinite(e.ino) && isInt(e.lastSeq) && isInt(e.count) && isInt(e.turns) &&
    Array.isArray(e.openTurns) && e.openTurns.every(isStr) && isStrOrNull(e.lastActivity)
  );
}

/**
 * The catalog's entries when `data` has the shape of the schema's Catalog (v2 rows, or a v1 object), else undefined.
 * Why by hand: the start reads this file before it serves, and Catalog.safeParse took 90-230 ms for 10,000 sessions
 * (the whole budget of a start); these checks are the schema's, field by field, and a test holds them to it
 * (test/daemon-units.test.ts).
 */
export function catalogEntries(data: unknown): Map<string, CatalogEntry> | undefined {
  const c = data as { v?: unknown; sessions?: unknown; rows?: unknown } | null;
  if (!c || typeof c !== 'object') return undefined;
  if (c.v === 2) return Array.isArray(c.rows) ? rowEntries(c.rows) : undefined;
  if (c.v !== 1 || !c.sessions || typeof c.sessions !== 'object' || Array.isArray(c.sessions)) return undefined;
  const out = new Map<string, CatalogEntry>();
  for (const [name, v] of Object.entries(c.sessions as Record<string, unknown>)) {
    const e = v as Record<string, unknown> | null;
    if (!e || typeof e !== 'object' || Array.isArray(e) || !entryOk(e)) return undefined;
    // Taken as it is (the daemon wrote it; a copy per entry cost as much as the checks).
    out.set(name, e as unknown as CatalogEntry);
  }
  return out;
}

/** The entry a row holds, checked as the schema's Row is; undefined when it is not one. */
function rowEntry(r: unknown): [string, CatalogEntry] | undefined {
  if (!Array.isArray(r) || r.length !== ROW_FIELDS.length) return undefined;
  const [id, createdAt, workspace, size, mtimeMs, ino, lastSeq, count, turns, openTurns, lastActivity] = r as unknown[];
  const e = { createdAt, workspace, size, mtimeMs, ino, lastSeq, count, turns, openTurns, lastActivity };
  return isStr(id) && entryOk(e) ? [id, e as CatalogEntry] : undefined;
}

/** The entries of v2's rows, each checked as Row is (an entry made of it: the registry reads fields by name). */
function rowEntries(rows: unknown[]): Map<string, CatalogEntry> | undefined {
  const out = new Map<string, CatalogEntry>();
  for (const r of rows) {
    const e = rowEntry(r);
    if (!e) return undefined;
    out.set(e[0], e[1]);
  }
  return out;
}

/** What the events file is now: its size, mtime and inode, or all zero when there is none yet. */
export interface FileMark {
  size: number;
  mtimeMs: number;
  ino: number;
}

export function markOf(file: string, st: fs.Stats | undefined = fs.lstatSync(file, { throwIfNoEntry: false })): FileMark {
  return st ? { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino } : { size: 0, mtimeMs: 0, ino: 0 };
}

/** An entry is believed only while the events file is exactly the one it describes (nothing appended, nothing replaced). */
export function entryHolds(e: CatalogEntry, m: FileMark): boolean {
  return e.size === m.size && e.mtimeMs === m.mtimeMs && e.ino === m.ino;
}

/** v2's first line (still read): then one row a line, and `]}` alone on the last. */
const HEADER_V2 = `{"v":2,"fields":${JSON.stringify(ROW_FIELDS)},"rows":[`;
/**
 * How v3's first line starts. The line goes on with what a start needs of every entry without parsing its row: the
 * events bytes all rows name (`bytes`), the ids of those with open turns (`open`), and the SHA-256 (`sha256`) of those
 * two figures and the rows' text (every line after this one up to the closing `]}`), then `"rows":[`.
 */
const HEADER_V3 = `{"v":3,"fields":${JSON.stringify(ROW_FIELDS)},`;
interface V3Header {
  bytes: number;
  open: string[];
  sha256: string;
}

/** v3's header line (with `]}` added) when it is one, checked by hand: zod's first parse costs the start a few ms. */
function v3Header(h: Record<string, unknown> | null): V3Header | undefined {
  if (!h || typeof h !== 'object' || h.v !== 3 || JSON.stringify(h.fields) !== JSON.stringify(ROW_FIELDS) || !isInt(h.bytes)) return undefined;
  if (!Array.isArray(h.open) || !h.open.every((id) => isStr(id) && isSafeSessionId(id))) return undefined;
  if (!isStr(h.sha256) || !/^[0-9a-f]{64}$/.test(h.sha256) || !Array.isArray(h.rows) || h.rows.length) return undefined;
  return { bytes: h.bytes, open: h.open as string[], sha256: h.sha256 };
}

/** What v3's header hashes: its figures and the rows' text, so that neither can change without the other. */
const digest = (bytes: number, open: string[], body: string | Uint8Array): string => crypto.createHash('sha256').update(`${bytes} ${JSON.stringify(open)}\n`).update(body).digest('hex');

/** A row's events size, parsed from its text (0 for a row that is not one: it is then not believed either). */
const rowSize = (row: string): number => {
  try {
    return rowEntry(JSON.parse(row))?.[1].size ?? 0;
  } catch {
    return 0;
  }
};

/**
 * The catalog's entries, as the registry uses them (a Map's get, set, has, delete, keys and size). A row read from the
 * file stays its line of the file's text until it is asked for, and is parsed again then (it was checked when read):
 * 10,000 entries made into objects at the start were ~3 MB of heap that no one used before the session was.
 */
export class CatalogEntries {
  /** A row of the text (its index in `starts`), or an entry set since. */
  private readonly map = new Map<string, number | CatalogEntry>();
  private readonly starts: number[] = [];
  /** Ids of the text's rows that name open turns (the header says which, or the v2 reader saw). */
  private readonly openRows = new Set<string>();
  /** The events bytes all entries name, kept as entries are set and deleted. */
  private total = 0;

  /** The catalog file's text; rows are lines of it. */
  constructor(private readonly text = '') {}

  /** Adds a row of the text; `size` is its events size when known (v2), else counted once with all rows (addRowBytes). */
  addRow(id: string, start: number, open: boolean, size = 0): void {
    this.map.set(id, this.starts.length);
    this.starts.push(start);
    if (open) this.openRows.add(id);
    this.total += size;
  }

  /** The events bytes of rows added without their size (v3's header says how many in all). */
  addRowBytes(bytes: number): void {
    this.total += bytes;
  }

  get size(): number {
    return this.map.size;
  }

  /** The events bytes the entries name, together. */
  get bytes(): number {
    return this.total;
  }

  has(id: string): boolean {
    return this.map.has(id);
  }

  /** The entry; undefined also for a row of the text that is not one (parsed and checked now, on first use). */
  get(id: string): CatalogEntry | undefined {
    const v = this.map.get(id);
    if (typeof v !== 'number') return v;
    try {
      return rowEntry(JSON.parse(this.line(v)))?.[1];
    } catch {
      return undefined;
    }
  }

  /** The events size the entry names (a row of the text is parsed for it). */
  sizeOf(id: string): number {
    const v = this.map.get(id);
    return typeof v === 'number' ? rowSize(this.line(v)) : (v?.size ?? 0);
  }

  /** Whether the entry names open turns, without making the entry. */
  hasOpenTurns(id: string): boolean {
    const v = this.map.get(id);
    return typeof v === 'number' ? this.openRows.has(id) : (v?.openTurns.length ?? 0) > 0;
  }

  set(id: string, e: CatalogEntry): this {
    this.total += e.size - (this.map.has(id) ? this.sizeOf(id) : 0);
    this.map.set(id, e);
    return this;
  }

  delete(id: string): boolean {
    if (!this.map.has(id)) return false;
    this.total -= this.sizeOf(id);
    return this.map.delete(id);
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  /** Each entry's row as JSON: a row of the text as it is (no parse), an entry set since made into one. */
  *rowTexts(): IterableIterator<string> {
    for (const [id, v] of this.map) {
      if (typeof v === 'number') yield this.line(v);
      else yield JSON.stringify([id, v.createdAt, v.workspace, v.size, v.mtimeMs, v.ino, v.lastSeq, v.count, v.turns, v.openTurns, v.lastActivity]);
    }
  }

  /** Row `i` of the text, without the comma that joins it to the next. */
  private line(i: number): string {
    const start = this.starts[i];
    const end = this.text.indexOf('\n', start);
    return this.text.slice(start, this.text.charCodeAt(end - 1) === 0x2c ? end - 1 : end);
  }

  /** The ids whose entries name open turns. */
  *openIds(): IterableIterator<string> {
    for (const [id, v] of this.map) if (typeof v === 'number' ? this.openRows.has(id) : v.openTurns.length > 0) yield id;
  }

  static of(entries: Map<string, CatalogEntry>): CatalogEntries {
    const out = new CatalogEntries();
    for (const [id, e] of entries) out.set(id, e);
    return out;
  }
}

/**
 * The rows of a v2 catalog in its own layout (HEADER_V2, one row a line joined by commas, `]}`), each parsed and
 * checked on its own, kept as lines; undefined when `text` is not in that layout (then the whole text is parsed). A
 * text accepted here is whole JSON: every line between the first and the last is a row, a comma after every row but
 * the last, `]}` and nothing else (a newline) after it.
 */
function readRows(text: string): { entries?: CatalogEntries } | undefined {
  if (!text.startsWith(HEADER_V2 + '\n')) return undefined;
  const entries = new CatalogEntries(text);
  let at = HEADER_V2.length + 1;
  for (;;) {
    const end = text.indexOf('\n', at);
    if (end < 0) return {};
    if (end - at === 2 && text.startsWith(']}', at)) {
      // The last line: nothing but a newline may follow, and the row before it has no comma.
      if (end + 1 !== text.length || text.charCodeAt(at - 2) === 0x2c) return {};
      return { entries };
    }
    const comma = text.charCodeAt(end - 1) === 0x2c;
    const next = text.indexOf('\n', end + 1);
    const last = next === end + 3 && text.startsWith(']}', end + 1);
    if (comma === last) return {};
    let row: unknown;
    try {
      row = JSON.parse(text.slice(at, comma ? end - 1 : end));
    } catch {
      return {};
    }
    const e = rowEntry(row);
    if (!e) return {};
    entries.addRow(e[0], at, e[1].openTurns.length > 0, e[1].size);
    at = end + 1;
  }
}

/**
 * A v3 catalog in the layout writeCatalog gives it, believed only whole: its header line checked, the SHA-256 of the
 * rows' text equal to the header's, `]}` and a newline at the end. No row is parsed: each is taken as the id its line
 * starts with (a safe session id), and parsed when the session is listed, used or checked. Undefined when the text is
 * not v3 at all; `{}` when it is, but not whole or not as written.
 */
function readV3(data: Buffer): { entries?: CatalogEntries } | undefined {
  if (data.toString('latin1', 0, HEADER_V3.length) !== HEADER_V3) return undefined;
  const nl = data.indexOf(0x0a);
  const first = nl < 0 ? '' : data.toString('utf8', 0, nl);
  if (!first.endsWith('"rows":[') || data.toString('latin1', data.length - 4) !== '\n]}\n') return {};
  let header: V3Header | undefined;
  try {
    header = v3Header(JSON.parse(first + ']}') as Record<string, unknown> | null);
  } catch {
    return {};
  }
  if (!header) return {};
  // The rows: every line between the header and the closing `]}` (none: the header's newline is the one before it).
  if (digest(header.bytes, header.open, data.subarray(Math.min(nl + 1, data.length - 3), data.length - 3)) !== header.sha256) return {};
  // Kept as text (a Buffer's indexOf and toString per row made this loop 2-3 times slower than a string's).
  const text = data.toString('utf8');
  const stop = text.length - 3;
  const entries = new CatalogEntries(text);
  const open = new Set(header.open);
  // Each line: `["<id>",` and the rest of the row, which is parsed on first use.
  for (let at = first.length + 1; at < stop; ) {
    const end = text.indexOf('\n', at);
    const quote = text.indexOf('"', at + 2);
    const id = text.slice(at + 2, quote);
    if (!text.startsWith('["', at) || quote < 0 || quote > end || text.charCodeAt(quote + 1) !== 0x2c || !isSafeSessionId(id) || entries.has(id)) return {};
    entries.addRow(id, at, open.has(id));
    at = end + 1;
  }
  entries.addRowBytes(header.bytes);
  return { entries };
}

/**
 * The catalog, or an empty one with the reason when it is missing, torn or not the daemon's shape: a cache is never
 * believed in part. Every session then reads its own metadata and, on first use, its events.
 */
export function readCatalog(file: string): { entries: CatalogEntries; problem?: string } {
  let data: Buffer;
  try {
    data = readSmallBytes(file, MAX_CATALOG_BYTES);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: new CatalogEntries() };
    return { entries: new CatalogEntries(), problem: (err as Error).message };
  }
  const torn = `${file} is not whole JSON (torn?)`;
  const foreign = `${file} is not a sessions catalog this daemon wrote`;
  // The daemon's own layout: v3 believed by its hash, v2 read a row at a time. Anything else (a torn file too) is parsed
  // whole, which words why; a v3 text not as written is not believed (its rows are never parsed to find out more).
  const v3 = readV3(data);
  if (v3) return v3.entries ? { entries: v3.entries } : { entries: new CatalogEntries(), problem: data.toString('latin1', data.length - 4) === '\n]}\n' ? foreign : torn };
  const text = data.toString('utf8');
  const rows = readRows(text);
  if (rows?.entries) return { entries: rows.entries };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { entries: new CatalogEntries(), problem: torn };
  }
  const entries = catalogEntries(parsed);
  if (!entries) return { entries: new CatalogEntries(), problem: foreign };
  return { entries: CatalogEntries.of(entries) };
}

/** Replaces the catalog whole (temp file + rename, 0600): v3's header, one row a line, `]}` (whole JSON). */
export function writeCatalog(file: string, entries: CatalogEntries): void {
  const rows = [...entries.rowTexts()];
  const body = rows.length ? `${rows.join(',\n')}\n` : '';
  const open = [...entries.openIds()];
  const header = `${HEADER_V3}"bytes":${entries.bytes},"open":${JSON.stringify(open)},"sha256":"${digest(entries.bytes, open, body)}","rows":[`;
  writeFileAtomic(file, `${header}\n${body}]}\n`);
}
