// The session registry: loads every session under sessions/ at start-up, creates new ones, and finds them by id.
import fs from 'node:fs';
import path from 'node:path';
import { causeText, errorCode } from '../../core/errors.js';
import { EventLog } from './event-log.js';
import type { Logger } from './logger.js';
import { Session, type TurnRunner } from './session.js';
import { isSafeSessionId, newSessionId } from '../session-id.js';
import { makeSessionDir, META_FILE, readMeta, writeMetaOnce, type SessionMeta } from './session-store.js';
import type { SpaceGuard } from './space-reserve.js';

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly sessionsDir: string,
    private readonly logger: Logger,
    private readonly runner: TurnRunner,
    private readonly space: SpaceGuard,
  ) {}

  /** Loads what is on disk; turns a previous daemon left running are closed with turn.error DAEMON_RESTARTED. */
  loadAll(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.sessionsDir);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return;
      throw err;
    }
    for (const name of names.sort()) {
      if (!isSafeSessionId(name)) continue;
      const dir = path.join(this.sessionsDir, name);
      try {
        const st = fs.statSync(dir);
        if (!st.isDirectory()) continue;
        this.open(this.metaOf(name, dir, st), dir);
      } catch (err) {
        this.logger.warn(`session ${name} could not be loaded: ${causeText(err)}`);
      }
    }
  }

  /**
   * The directory's name is the session's id: a copy of a session directory (sessions/<id>.bak) carries the meta.json
   * of the original, and taking the id from it would hand the original's id, and its appends, to the copy.
   */
  private metaOf(name: string, dir: string, st: fs.Stats): SessionMeta {
    const meta = readMeta(dir);
    if (!meta) {
      if (fs.existsSync(path.join(dir, META_FILE))) this.logger.warn(`session ${name}: meta.json is unreadable; the session loads without a workspace (its tools read nothing)`);
      return { id: name, createdAt: st.birthtime.toISOString(), workspace: null };
    }
    if (meta.id !== name) this.logger.warn(`session ${name}: its meta.json names the session "${meta.id}" (a copy?); it loads as ${name}, its own directory`);
    return { ...meta, id: name };
  }

  private open(meta: SessionMeta, dir: string): Session {
    const session = new Session(meta, { log: new EventLog(dir, this.space), runner: this.runner, logger: this.logger, space: this.space });
    if (session.skippedLines) this.logger.warn(`session ${meta.id}: skipped ${session.skippedLines} unreadable line(s) in events.jsonl (left on disk as they are)`);
    this.sessions.set(meta.id, session);
    session.closeInterruptedTurns();
    return session;
  }

  /**
   * Creates (or, when the id exists, joins) a session. `created` is false when it already existed, whose workspace then
   * stays as it was. Throws StorageError (and leaves no new directory) when the disk has no room for it.
   */
  create(id: string = newSessionId(), workspace: string | null = null): { session: Session; created: boolean } {
    const existing = this.sessions.get(id);
    if (existing) {
      makeSessionDir(this.sessionsDir, id, this.logger);
      return { session: existing, created: false };
    }
    this.space.admit();
    const { dir, made } = makeSessionDir(this.sessionsDir, id, this.logger);
    const again = this.sessions.get(id);
    if (again) return { session: again, created: false };
    try {
      writeMetaOnce(dir, { id, createdAt: new Date().toISOString(), workspace });
    } catch (err) {
      // Only the empty directory this call made goes (rmdir refuses anything else): no session without its metadata.
      if (made) {
        try { fs.rmdirSync(dir); } catch { /* not empty after all: leave it */ }
      }
      throw err;
    }
    return { session: this.open(this.metaOf(id, dir, fs.statSync(dir)), dir), created: made };
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  list(): Session[] {
    return [...this.sessions.values()];
  }

  activeTurns(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.active) n++;
    return n;
  }

  closeAll(): void {
    for (const s of this.sessions.values()) s.close();
  }
}
