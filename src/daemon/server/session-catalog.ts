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
    if (!e || typeof e !== 'object' || Array.isArray(e)) return undefined;
    const ok =
      isStr(e.createdAt) && isStrOrNull(e.workspace) && isInt(e.size) && typeof e.mtimeMs === 'number' && Number.isFinite(e.mtimeMs) &&
      typeof e.ino === 'number' && Number.isFinite(e.ino) && isInt(e.lastSeq) && isInt(e.count) && isInt(e.turns) &&
      Array.isArray(e.openTurns) && e.openTurns.every(isStr) && isStrOrNull(e.lastActivity);
    if (!ok) return undefined;
    // Taken as it is (the daemon wrote it; a copy per entry cost as much as the checks).
    out.set(name, e as unknown as CatalogEntry);
  }
  return out;
}

/** The entries of v2's rows, each checked as Row is (an entry made of it: the registry reads fields by name). */
function rowEntries(rows: unknown[]): Map<string, CatalogEntry> | undefined {
  const out = new Map<string, CatalogEntry>();
  for (const r of rows) {
    if (!Array.isArray(r) || r.length !== ROW_FIELDS.length) return undefined;
    const [id, createdAt, workspace, size, mtimeMs, ino, lastSeq, count, turns, openTurns, lastActivity] = r as unknown[];
    const ok =
      isStr(id) && isStr(createdAt) && isStrOrNull(workspace) && isInt(size) && typeof mtimeMs === 'number' && Number.isFinite(mtimeMs) &&
      typeof ino === 'number' && Number.isFinite(ino) && isInt(lastSeq) && isInt(count) && isInt(turns) &&
      Array.isArray(openTurns) && openTurns.every(isStr) && isStrOrNull(lastActivity);
    if (!ok) return undefined;
    out.set(id, { createdAt, workspace, size, mtimeMs, ino, lastSeq, count, turns, openTurns, lastActivity } as CatalogEntry);
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

/**
 * The catalog, or an empty one with the reason when it is missing, torn or not the daemon's shape: a cache is never
 * believed in part. Every session then reads its own metadata and, on first use, its events.
 */
export function readCatalog(file: string): { entries: Map<string, CatalogEntry>; problem?: string } {
  let text: string;
  try {
    text = readSmallFile(file, MAX_CATALOG_BYTES);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: new Map() };
    return { entries: new Map(), problem: (err as Error).message };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { entries: new Map(), problem: `${file} is not whole JSON (torn?)` };
  }
  const entries = catalogEntries(data);
  if (!entries) return { entries: new Map(), problem: `${file} is not a sessions catalog this daemon wrote` };
  return { entries };
}

/** Replaces the catalog whole (temp file + rename, 0600), as rows (v2). */
export function writeCatalog(file: string, entries: Iterable<[string, CatalogEntry]>): void {
  const rows: unknown[] = [];
  for (const [id, e] of entries) rows.push([id, e.createdAt, e.workspace, e.size, e.mtimeMs, e.ino, e.lastSeq, e.count, e.turns, e.openTurns, e.lastActivity]);
  writeFileAtomic(file, JSON.stringify({ v: 2, fields: ROW_FIELDS, rows }));
}
