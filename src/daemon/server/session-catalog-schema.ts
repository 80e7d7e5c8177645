// The zod schema of the sessions catalog's v1 and v2 forms: what session-catalog.ts's hand checks follow (test/daemon-units.test.ts holds them together); the daemon itself never loads zod for the catalog.
import { z } from 'zod';
import type { CatalogEntry } from './session-catalog.js';

const Entry = z.object({
  createdAt: z.string(),
  workspace: z.string().nullable(),
  size: z.number().int().min(0),
  mtimeMs: z.number(),
  ino: z.number(),
  lastSeq: z.number().int().min(0),
  count: z.number().int().min(0),
  turns: z.number().int().min(0),
  openTurns: z.array(z.string()),
  lastActivity: z.string().nullable(),
}) satisfies z.ZodType<CatalogEntry>;

const CatalogV1 = z.object({ v: z.literal(1), sessions: z.record(z.string(), Entry) });
const Row = z.tuple([z.string(), Entry.shape.createdAt, Entry.shape.workspace, Entry.shape.size, Entry.shape.mtimeMs, Entry.shape.ino, Entry.shape.lastSeq, Entry.shape.count, Entry.shape.turns, Entry.shape.openTurns, Entry.shape.lastActivity]);
const CatalogV2 = z.object({ v: z.literal(2), rows: z.array(Row) });

/** The forms read whole (parsed, then checked by hand): v1 and v2. */
export const CATALOG_SCHEMA = z.union([CatalogV1, CatalogV2]);
