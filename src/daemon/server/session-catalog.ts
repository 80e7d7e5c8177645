// The daemon's catalog of sessions (daemon/sessions-catalog.json): each session's metadata and facts, so a start reads one file, not the history.
import fs from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../../core/atomic.js';
import { readSmallFile } from '../../core/read-small.js';

export const CATALOG_FILE = 'sessions-catalog.json';

/** 10,000 sessions take about 3 MB; a file far beyond what the daemon writes is not read (it was not the daemon's). */
const MAX_CATALOG_BYTES = 256 * 1024 * 1024;

const Entry = z.object({
  createdAt: z.string(),
  workspace: z.string().nullable(),
  /** Size, mtime and inode of events.jsonl when the entry was written: the entry holds only while all three match. */
  size: z.number().int().min(0),
  mtimeMs: z.number(),
  ino: z.number(),
  lastSeq: z.number().int().min(0),
  count: z.number().int().min(0),
  turns: z.number().int().min(0),
  openTurns: z.array(z.string()),
  lastActivity: z.string().nullable(),
});
export type CatalogEntry = z.infer<typeof Entry>;

/** The form daemons before issue 23's rows wrote (an object per session, its field names repeated): still read. */
const CatalogV1 = z.object({ v: z.literal(1), sessions: z.record(z.string(), Entry) });

/**
 * The form written now: one row per session, its fields in ROW_FIELDS order. Why rows: the v1 object of 10,000 sessions
 * (2.1 MB) took ~22 ms to parse and left ~2.5 MB more heap than these rows (1.1 MB, ~14 ms), measured on a daemon's
 * start, which reads this file before it serves.
 */
const Row = z.tuple([z.string(), Entry.shape.createdAt, Entry.shape.workspace, Entry.shape.size, Entry.shape.mtimeMs, Entry.shape.ino, Entry.shape.lastSeq, Entry.shape.count, Entry.shape.turns, Entry.shape.openTurns, Entry.shape.lastActivity]);
const CatalogV2 = z.object({ v: z.literal(2), rows: z.array(Row) });
const Catalog = z.union([CatalogV1, CatalogV2]);

/** A row's fields, in order (the session's id first); also written into the file, for a person reading it. */
export const ROW_FIELDS = ['id', 'createdAt', 'workspace', 'size', 'mtimeMs', 'ino', 'lastSeq', 'count', 'turns', 'openTurns', 'lastActivity'] as const;

const isInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isStr = (x: unknown): x is string => typeof x === 'string';
const isStrOrNull = (x: unknown): boolean => x === null || typeof x === 'string';

/** An entry's fields checked as Entry's schema says, by hand (see catalogEntries): one check for v1 objects and v2 rows. */
function entryOk(e: Record<string, unknown>): boolean {
  return (
    isStr(e.createdAt) && isStrOrNull(e.workspace) && isInt(e.size) && typeof e.mtimeMs === 'number' && Number.isFinite(e.mtimeMs) &&
    typeof e.ino === 'number' && Number.isFinite(e.ino) && isInt(e.lastSeq) && isInt(e.count) && isInt(e.turns) &&
    Array.isArray(e.openTurns) && e.openTurns.every(isStr) && isStrOrNull(e.lastActivity)
  );
}

/**
 * The catalog's entries when `data` has the shape of Catalog (rows, or an older daemon's v1 object), else undefined.
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

/** The entry a v2 row holds, checked as Row is; undefined when it is not one. */
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

/** The schema the hand check follows (for the test that holds them together). */
export const CATALOG_SCHEMA = Catalog;

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

/** The first line of the catalog as the daemon writes it: then one row a line, and `]}` alone on the last. */
const HEADER = `{"v":2,"fields":${JSON.stringify(ROW_FIELDS)},"rows":[`;

/**
 * The catalog's entries, as the registry uses them (a Map's get, set, has, delete, keys and size). A row read from the
 * file stays its line of the file's text until it is asked for, and is parsed again then (it was checked when read):
 * 10,000 entries made into objects at the start were ~3 MB of heap that no one used before the session was.
 */
export class CatalogEntries {
  /** A row of the text (its index in `starts`), or an entry set since. */
  private readonly map = new Map<string, number | CatalogEntry>();

  constructor(
    private readonly text = '',
    private readonly starts: number[] = [],
    /** Each text row's events size and whether it has open turns: what a start needs of every entry. */
    private readonly sizes: number[] = [],
    private readonly open: boolean[] = [],
  ) {}

  /** Adds a row of the text, already checked (the reader's). */
  addRow(id: string, start: number, size: number, open: boolean): void {
    this.map.set(id, this.starts.length);
    this.starts.push(start);
    this.sizes.push(size);
    this.open.push(open);
  }

  get size(): number {
    return this.map.size;
  }

  has(id: string): boolean {
    return this.map.has(id);
  }

  get(id: string): CatalogEntry | undefined {
    const v = this.map.get(id);
    return typeof v === 'number' ? rowEntry(JSON.parse(this.line(v)))?.[1] : v;
  }

  /** The events size the entry names, without making the entry. */
  sizeOf(id: string): number {
    const v = this.map.get(id);
    return typeof v === 'number' ? this.sizes[v] : (v?.size ?? 0);
  }

  /** Whether the entry names open turns, without making the entry. */
  hasOpenTurns(id: string): boolean {
    const v = this.map.get(id);
    return typeof v === 'number' ? this.open[v] : (v?.openTurns.length ?? 0) > 0;
  }

  set(id: string, e: CatalogEntry): this {
    this.map.set(id, e);
    return this;
  }

  delete(id: string): boolean {
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

  static of(entries: Map<string, CatalogEntry>): CatalogEntries {
    const out = new CatalogEntries();
    for (const [id, e] of entries) out.set(id, e);
    return out;
  }
}

/**
 * The rows of a catalog in the daemon's own layout (HEADER, one row a line joined by commas, `]}`), each parsed and
 * checked on its own, kept as lines; undefined when `text` is not in that layout (then the whole text is parsed). A
 * text accepted here is whole JSON: every line between the first and the last is a row, a comma after every row but
 * the last, `]}` and nothing else (a newline) after it.
 */
function readRows(text: string): { entries?: CatalogEntries } | undefined {
  if (!text.startsWith(HEADER + '\n')) return undefined;
  const entries = new CatalogEntries(text);
  let at = HEADER.length + 1;
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
    entries.addRow(e[0], at, e[1].size, e[1].openTurns.length > 0);
    at = end + 1;
  }
}

/**
 * The catalog, or an empty one with the reason when it is missing, torn or not the daemon's shape: a cache is never
 * believed in part. Every session then reads its own metadata and, on first use, its events.
 */
export function readCatalog(file: string): { entries: CatalogEntries; problem?: string } {
  let text: string;
  try {
    text = readSmallFile(file, MAX_CATALOG_BYTES);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: new CatalogEntries() };
    return { entries: new CatalogEntries(), problem: (err as Error).message };
  }
  const torn = `${file} is not whole JSON (torn?)`;
  const foreign = `${file} is not a sessions catalog this daemon wrote`;
  // The daemon's own layout is read a row at a time; anything else (a torn file too) is parsed whole, which words why.
  const rows = readRows(text);
  if (rows?.entries) return { entries: rows.entries };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { entries: new CatalogEntries(), problem: torn };
  }
  const entries = catalogEntries(data);
  if (!entries) return { entries: new CatalogEntries(), problem: foreign };
  return { entries: CatalogEntries.of(entries) };
}

/** Replaces the catalog whole (temp file + rename, 0600): HEADER, one row a line, `]}` (whole JSON, read back by rows). */
export function writeCatalog(file: string, entries: CatalogEntries): void {
  const rows = [...entries.rowTexts()];
  writeFileAtomic(file, `${HEADER}\n${rows.map((r) => r + ',\n').join('').slice(0, -2)}${rows.length ? '\n' : ''}]}\n`);
}
