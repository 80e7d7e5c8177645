// On-disk session storage: sessions/<id>/ (0700) with meta.json and an append-only, fsynced events.jsonl (0600).
import fs from 'node:fs';
import path from 'node:path';
import { causeText, errorCode, OptaError } from '../core/errors.js';
import { isEnvelope, type EventEnvelope } from './events.js';
import type { Logger } from './logger.js';

export const EVENTS_FILE = 'events.jsonl';
export const META_FILE = 'meta.json';

export interface SessionMeta {
  id: string;
  createdAt: string;
}

export interface LoadedLog {
  events: EventEnvelope[];
  /** Lines that could not be parsed (a torn last write from a kill -9 mid-append); they stay on disk untouched. */
  skipped: number;
}

/** Makes a new directory entry durable (kill -9 does not need it; a power loss does). */
function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some platforms cannot open a directory; the data itself is still fsynced.
  }
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
    if (errorCode(err) !== 'EEXIST') throw new OptaError(`failed to create session directory ${dir}: ${causeText(err)}`, 1, { cause: err });
    logger.warn('session dir already exists, skipping mkdir');
    return { dir, made: false };
  }
}

/** Writes meta.json once ('wx'): metadata is never rewritten, so a second creator leaves the first one's file alone. */
export function writeMetaOnce(dir: string, meta: SessionMeta): void {
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, META_FILE), 'wx', 0o600);
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return;
    throw err;
  }
  try {
    fs.writeSync(fd, JSON.stringify(meta) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fsyncDir(dir);
}

export function readMeta(dir: string): SessionMeta | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, META_FILE), 'utf8')) as Partial<SessionMeta>;
    return typeof m.id === 'string' && typeof m.createdAt === 'string' ? { id: m.id, createdAt: m.createdAt } : undefined;
  } catch {
    return undefined;
  }
}

export function readEvents(dir: string): LoadedLog {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, EVENTS_FILE), 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return { events: [], skipped: 0 };
    throw err;
  }
  const events: EventEnvelope[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as unknown;
      if (isEnvelope(e)) events.push(e);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { events, skipped };
}

/** The append-only writer: every event is written and fsynced before anyone is told about it. */
export class EventLog {
  private fd: number | undefined;
  private needsNewline = false;

  constructor(readonly dir: string) {
    const file = path.join(dir, EVENTS_FILE);
    try {
      const st = fs.statSync(file);
      if (st.size > 0) {
        // A kill -9 mid-write can leave a line without its newline; start the next event on a line of its own.
        const fd = fs.openSync(file, 'r');
        try {
          const b = Buffer.alloc(1);
          fs.readSync(fd, b, 0, 1, st.size - 1);
          this.needsNewline = b[0] !== 0x0a;
        } finally {
          fs.closeSync(fd);
        }
      }
    } catch {
      // No file yet: the first append creates it.
    }
  }

  get file(): string {
    return path.join(this.dir, EVENTS_FILE);
  }

  append(e: EventEnvelope): void {
    if (this.fd === undefined) {
      const isNew = !fs.existsSync(this.file);
      this.fd = fs.openSync(this.file, 'a', 0o600);
      if (isNew) fsyncDir(this.dir);
    }
    const line = (this.needsNewline ? '\n' : '') + JSON.stringify(e) + '\n';
    this.needsNewline = false;
    fs.writeSync(this.fd, line);
    fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
