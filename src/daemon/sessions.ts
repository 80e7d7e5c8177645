// The session registry: loads every session under sessions/ at start-up, creates new ones, and finds them by id.
import fs from 'node:fs';
import path from 'node:path';
import { causeText, errorCode } from '../core/errors.js';
import type { Logger } from './logger.js';
import { Session, type TurnRunner } from './session.js';
import { isSafeSessionId, newSessionId } from './session-id.js';
import { EventLog, makeSessionDir, readEvents, readMeta, writeMetaOnce } from './session-store.js';

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly sessionsDir: string,
    private readonly logger: Logger,
    private readonly runner: TurnRunner,
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
        if (!fs.statSync(dir).isDirectory()) continue;
        this.open(name, dir);
      } catch (err) {
        this.logger.warn(`session ${name} could not be loaded: ${causeText(err)}`);
      }
    }
  }

  private open(id: string, dir: string): Session {
    const meta = readMeta(dir) ?? { id, createdAt: fs.statSync(dir).birthtime.toISOString() };
    const { events, skipped } = readEvents(dir);
    if (skipped) this.logger.warn(`session ${id}: skipped ${skipped} unreadable line(s) in events.jsonl (left on disk as they are)`);
    const session = new Session({ id, createdAt: meta.createdAt }, new EventLog(dir), events, this.runner);
    this.sessions.set(id, session);
    const open = new Set<string>();
    for (const e of events) {
      const turnId = e.payload.turnId;
      if (typeof turnId !== 'string') continue;
      if (e.event === 'turn.queued') open.add(turnId);
      if (e.event === 'turn.done' || e.event === 'turn.error') open.delete(turnId);
    }
    for (const turnId of open) session.failTurn(turnId, 'DAEMON_RESTARTED', 'the daemon stopped while this turn was queued or running; submit it again');
    return session;
  }

  /** Creates (or, when the id exists, joins) a session. `created` is false when it already existed. */
  create(id: string = newSessionId()): { session: Session; created: boolean } {
    const { dir, made } = makeSessionDir(this.sessionsDir, id, this.logger);
    const existing = this.sessions.get(id);
    if (existing) return { session: existing, created: false };
    writeMetaOnce(dir, { id, createdAt: new Date().toISOString() });
    return { session: this.open(id, dir), created: made };
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
