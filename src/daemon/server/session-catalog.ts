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

const Catalog = z.object({ v: z.literal(1), sessions: z.record(z.string(), Entry) });

const isInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isStr = (x: unknown): x is string => typeof x === 'string';
const isStrOrNull = (x: unknown): boolean => x === null || typeof x === 'string';

/**
 * The catalog's entries when `data` has the shape of Catalog, else undefined. Why by hand: the start reads this file
 * before it serves, and Catalog.safeParse took 90-230 ms for 10,000 sessions (the whole budget of a start); these
 * checks are the schema's, field by field, and a test holds them to it (test/daemon-units.test.ts).
 */
export function catalogEntries(data: unknown): Map<string, CatalogEntry> | undefined {
  const c = data as { v?: unknown; sessions?: unknown } | null;
  if (!c || typeof c !== 'object' || c.v !== 1 || !c.sessions || typeof c.sessions !== 'object' || Array.isArray(c.sessions)) return undefined;
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

/** Replaces the catalog whole (temp file + rename, 0600). */
export function writeCatalog(file: string, entries: Iterable<[string, CatalogEntry]>): void {
  const sessions: Record<string, CatalogEntry> = {};
  for (const [name, e] of entries) sessions[name] = e;
  writeFileAtomic(file, JSON.stringify({ v: 1, sessions }));
}
