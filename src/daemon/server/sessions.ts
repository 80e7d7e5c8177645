// The session registry: knows every session under sessions/ from the catalog at start-up, creates new ones, finds them by id, loads and drops their events.
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { causeText, errorCode } from '../../core/errors.js';
import { EVENTS_FILE, EventLog, refuseOddFile } from './event-log.js';
import type { Logger } from './logger.js';
import { Session, type SessionFacts, type TurnRunner } from './session.js';
import { isSafeSessionId, newSessionId } from '../session-id.js';
import { makeSessionDir, META_FILE, readMeta, writeMetaOnce, type SessionMeta } from './session-store.js';
import { entryHolds, markOf, readCatalog, writeCatalog, type CatalogEntry } from './session-catalog.js';
import type { SpaceGuard } from './space-reserve.js';

/** A loaded session unused this long drops its index and conversation (OPTA_SESSION_IDLE_MS overrides, for tests). */
const IDLE_MS = Number(process.env.OPTA_SESSION_IDLE_MS) > 0 ? Number(process.env.OPTA_SESSION_IDLE_MS) : 60_000;
/** At most this many sessions keep their index at once; the least recently used idle one drops it first. */
export const MAX_LOADED_SESSIONS = 8;
/** The catalog is rewritten this long after the last stored event (and at shutdown), not after each one. */
const SAVE_DELAY_MS = 2_000;
/** Dropping indexes of this many events in one sweep (~240 KB of index, far more of read buffers) is worth a collection. */
const BIG_INDEX_EVENTS = 10_000;
/** The directory of index sidecars, beside the catalog. */
export const INDEX_DIR = 'session-index';

let gc: (() => void) | undefined | null;
/** A full collection, through V8's own gc() (exposed for this, without a command-line flag), or nothing if unavailable. */
function collectGarbage(): void {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private sorted: string[] | undefined;
  /** Catalog entries of sessions whose events did not change since the catalog was read or written. */
  private readonly entries = new Map<string, CatalogEntry>();
  private saveTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Bytes appended to events files since this daemon started (GET /v3/health: the rate sessions/ grows at). */
  appendedBytes = 0;
  /** The size of the events files at start (from the stat the start takes anyway); with appendedBytes, sessions/'s size. */
  startBytes = 0;
  /**
   * Where the index sidecars are (daemon/session-index/<id>.idx): beside the catalog, in the daemon's own directory, so
   * that sessions/ holds only the history the daemon appends and no clean-up of a cache can touch it.
   */
  private readonly indexDir: string;

  constructor(
    private readonly sessionsDir: string,
    private readonly catalogFile: string,
    private readonly logger: Logger,
    private readonly runner: TurnRunner,
    private readonly space: SpaceGuard,
  ) {
    this.indexDir = path.join(path.dirname(catalogFile), INDEX_DIR);
  }

  /**
   * Learns what is on disk without reading any events file: one catalog, the list of directories, and a stat of each
   * events.jsonl (an entry is believed only while the file is the one it describes). A session without a matching
   * entry reads its meta.json and is pending: its events are read after the daemon serves (reconcile()) or on its first
   * use, whichever comes first. Turns a previous daemon left running are closed with turn.error DAEMON_RESTARTED.
   */
  loadAll(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.sessionsDir);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return;
      throw err;
    }
    const { entries, problem } = readCatalog(this.catalogFile);
    if (problem) this.logger.warn(`sessions catalog not used (${problem}); every session is read again and the catalog rewritten`);
    for (const name of names.sort()) {
      if (!isSafeSessionId(name)) continue;
      const dir = path.join(this.sessionsDir, name);
      try {
        const e = entries.get(name);
        const file = path.join(dir, EVENTS_FILE);
        const fst = fs.lstatSync(file, { throwIfNoEntry: false });
        refuseOddFile(file, fst);
        this.startBytes += fst?.size ?? 0;
        if (e && entryHolds(e, markOf(file, fst)) && (e.size > 0 || fs.statSync(dir).isDirectory())) {
          this.entries.set(name, e);
          this.open({ id: name, createdAt: e.createdAt, workspace: e.workspace }, dir, { lastSeq: e.lastSeq, count: e.count }, e);
          continue;
        }
        const st = fs.statSync(dir);
        if (!st.isDirectory()) continue;
        this.open(this.metaOf(name, dir, st), dir);
      } catch (err) {
        this.logger.warn(`session ${name} could not be loaded: ${causeText(err)}`);
      }
    }
    for (const s of this.sessions.values()) if (s.known) s.closeInterruptedTurns();
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(50, Math.min(IDLE_MS, 10_000))).unref();
    // After the daemon serves: the sessions the catalog did not know are read one after another.
    if ([...this.sessions.values()].some((s) => !s.known)) setTimeout(() => void this.reconcile(), 0).unref();
  }

  /** Reads every pending session once (closing its interrupted turns), drops what it read, and rewrites the catalog. */
  async reconcile(): Promise<void> {
    for (const s of [...this.sessions.values()]) {
      if (this.closed) return;
      if (s.known) continue;
      try {
        const before = s.usedAt;
        await s.load(false);
        // Dropped again unless someone used the session meanwhile (then the idle sweep drops it later).
        if (s.usedAt === before) s.unload();
      } catch (err) {
        this.forget(s, err);
      }
    }
    this.save();
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

  private open(meta: SessionMeta, dir: string, head?: { lastSeq: number; count: number }, facts?: SessionFacts): Session {
    const log = new EventLog(dir, this.space, head, path.join(this.indexDir, `${meta.id}.idx`));
    const session = new Session(meta, { log, runner: this.runner, logger: this.logger, space: this.space, changed: (s, bytes) => this.changed(s, bytes) }, facts);
    this.sessions.set(meta.id, session);
    this.sorted = undefined;
    return session;
  }

  private changed(s: Session, bytes: number): void {
    this.entries.delete(s.id);
    this.appendedBytes += bytes;
    if (this.closed || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, SAVE_DELAY_MS).unref();
  }

  /**
   * Rewrites the catalog from what the daemon knows: entries that still hold as they are, and a new entry (with a stat
   * of its events file, taken now, after the last append) for each known session that changed. Pending sessions are
   * left out, so they are read again next time. A failure is logged: the catalog is a cache, the history is intact.
   */
  save(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    try {
      for (const s of this.sessions.values()) {
        if (!s.known || this.entries.has(s.id)) continue;
        const m = markOf(path.join(this.sessionsDir, s.id, EVENTS_FILE));
        const f = s.facts();
        const count = s.events.count;
        if (count < 0) continue;
        this.entries.set(s.id, { createdAt: s.createdAt, workspace: s.workspace, ...m, lastSeq: s.lastSeq, count, ...f });
      }
      writeCatalog(this.catalogFile, [...this.entries].filter(([id]) => this.sessions.has(id)));
    } catch (err) {
      this.logger.warn(`sessions catalog not written: ${causeText(err)} (the next start reads the sessions again)`);
    }
  }

  /** Drops the index of every loaded session idle for longer than IDLE_MS, and of the least recently used beyond the cap. */
  private sweep(): void {
    const now = performance.now();
    const loaded = [...this.sessions.values()].filter((s) => s.isLoaded).sort((a, b) => a.usedAt - b.usedAt);
    let over = loaded.length - MAX_LOADED_SESSIONS;
    let freed = 0;
    for (const s of loaded) {
      const count = s.events.count;
      if ((now - s.usedAt > IDLE_MS || over > 0) && s.unload()) {
        over--;
        freed += Math.max(0, count);
      }
    }
    // An idle daemon allocates nothing, so V8 would keep a dropped big index (and the replay buffers) until some later
    // allocation: after dropping one, collect now, once, so the memory of an idle daemon is what it holds.
    if (freed >= BIG_INDEX_EVENTS) collectGarbage();
  }

  /**
   * Loads a session's events for a use (a turn, a replay, an attach) and runs `fn` while they are surely in memory (in
   * the same tick: nothing can drop them in between), keeping at most MAX_LOADED_SESSIONS loaded.
   */
  async use<T>(s: Session, fn: () => T): Promise<T> {
    do await s.load();
    while (!s.isLoaded);
    s.usedAt = performance.now();
    const r = fn();
    if ([...this.sessions.values()].filter((x) => x.isLoaded).length > MAX_LOADED_SESSIONS) this.sweep();
    return r;
  }

  /**
   * The session's facts are known (the catalog had them, or its events were read): a listing can show it. A session
   * whose events cannot be read (made unreadable since the start) is dropped from the registry with a warning, as a
   * start would have left it out, and undefined is returned.
   */
  async known(s: Session): Promise<Session | undefined> {
    if (s.known) return s;
    try {
      await s.load();
      return s;
    } catch (err) {
      this.forget(s, err);
      return undefined;
    }
  }

  private forget(s: Session, err: unknown): void {
    if (this.sessions.get(s.id) !== s) return;
    this.logger.warn(`session ${s.id} could not be loaded: ${causeText(err)}`);
    if (!s.idle) return;
    s.close();
    this.sessions.delete(s.id);
    this.sorted = undefined;
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
    const meta = this.metaOf(id, dir, fs.statSync(dir));
    // A directory made now has no events: nothing to read. One that existed (made by hand) is read like any other.
    const session = made ? this.open(meta, dir, { lastSeq: 0, count: 0 }, { turns: 0, openTurns: [], lastActivity: null }) : this.open(meta, dir);
    this.changed(session, 0);
    return { session, created: made };
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Sessions in id order, `limit` of them after the id `after` (exclusive), and the total. */
  page(after: string | undefined, limit: number): { sessions: Session[]; total: number; next: string | null } {
    this.sorted ??= [...this.sessions.keys()].sort();
    const ids = this.sorted;
    let lo = 0;
    if (after !== undefined) {
      let hi = ids.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ids[mid] <= after) lo = mid + 1;
        else hi = mid;
      }
    }
    const slice = ids.slice(lo, lo + limit);
    const next = lo + limit < ids.length ? slice[slice.length - 1] : null;
    return { sessions: slice.map((id) => this.sessions.get(id)!), total: ids.length, next };
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
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const s of this.sessions.values()) s.close();
    this.save();
  }
}
