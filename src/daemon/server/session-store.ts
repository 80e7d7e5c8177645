// On-disk session storage: sessions/<id>/ (0700) with a write-once meta.json (0600); events.jsonl is event-log.ts.
import fs from 'node:fs';
import path from 'node:path';
import { errorCode } from '../../core/errors.js';
import { fsyncDir, writeFileOnce } from '../../core/atomic.js';
import { StorageError } from './durable-fs.js';
import type { Logger } from './logger.js';
import { readSmallFile } from '../../core/read-small.js';

export const META_FILE = 'meta.json';

export interface SessionMeta {
  id: string;
  createdAt: string;
  /** The directory the session's tools may read (a real path), or null: no file access. */
  workspace: string | null;
}

/**
 * Makes the session directory. mkdir without `recursive` so that of two concurrent creators exactly one makes it;
 * the other sees EEXIST, says so in the log and goes on with the existing directory (both succeed).
 */
export function makeSessionDir(sessionsDir: string, id: string, logger: Logger): { dir: string; made: boolean } {
  const dir = path.join(sessionsDir, id);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
    fsyncDir(sessionsDir);
    return { dir, made: true };
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw new StorageError(dir, err, 'create the session directory');
    logger.warn('session dir already exists, skipping mkdir');
    return { dir, made: false };
  }
}

/**
 * Writes meta.json once, whole or not at all (temp file + link): metadata is never rewritten, so a second creator leaves
 * the first one's file alone, and a full disk leaves no half-written file. Throws StorageError when it cannot be written.
 */
export function writeMetaOnce(dir: string, meta: SessionMeta): void {
  const file = path.join(dir, META_FILE);
  try {
    writeFileOnce(file, JSON.stringify(meta) + '\n');
  } catch (err) {
    throw new StorageError(file, (err as { cause?: unknown }).cause ?? err);
  }
}

export function readMeta(dir: string): SessionMeta | undefined {
  try {
    const m = JSON.parse(readSmallFile(path.join(dir, META_FILE))) as Partial<SessionMeta>;
    if (typeof m.id !== 'string' || typeof m.createdAt !== 'string') return undefined;
    // Sessions from before workspaces have none: their tools read nothing.
    return { id: m.id, createdAt: m.createdAt, workspace: typeof m.workspace === 'string' ? m.workspace : null };
  } catch {
    return undefined;
  }
}

