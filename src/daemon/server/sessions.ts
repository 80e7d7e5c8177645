// The session registry: knows every session under sessions/ from the catalog at start-up, creates new ones, finds them by id, loads and drops their events.
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { causeText, errorCode } from '../../core/errors.js';
import { EVENTS_FILE, EventLog, refuseOddFile } from './event-log.js';
import type { Logger } from './logger.js';
import { Session, type SessionFacts, type Turn, type TurnRunner } from './session.js';
import { isSafeSessionId, newSessionId } from '../session-id.js';
import { makeSessionDir, META_FILE, readMeta, writeMetaOnce, type SessionMeta } from './session-store.js';
import { CatalogEntries, entryHolds, markOf, readCatalog, writeCatalog } from './session-catalog.js';
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
/** The background check of catalog entries against their files lets go of the event loop after this long. */
const CHECK_SLICE_MS = 4;

/** What a listing shows of a session: a Session, or the catalog entry of one not used since the start. */
export type Listed = Pick<Session, 'id' | 'createdAt' | 'workspace' | 'lastSeq' | 'turnCount' | 'active'> & { readonly queue: readonly Turn[] };

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
  /**
   * The sessions used since the start (a turn, a replay, an attach, a create) and those the catalog did not know. A
   * session known from the catalog and not used is its catalog entry alone (`entries`), and is made a Session on first
   * use (get()): 10,000 Session objects, with their event logs and paths, were ~28 MB of heap that nothing used.
   */
  private readonly sessions = new Map<string, Session>();
  private sorted: string[] | undefined;
  /**
   * Catalog entries of sessions whose events did not change since the catalog was read or written; with `sessions`, the
   * sessions the daemon knows (an entry without a Session is a session not used since the start).
   */
  private entries = new CatalogEntries();
  /**
   * Entries not yet compared with their events file. A start trusts the catalog (one lstat of each of 10,000 files
   * was ~130 ms of it): each entry is compared on its session's first use or listing, and all of them in the
   * background right after the daemon serves; one that no longer matches makes its session pending (read again).
   */
  private readonly unchecked = new Set<string>();
  /**
   * Run once just after the daemon serves, before the background check (whose collection then takes its garbage too):
   * what the first turn would otherwise load while every other request waits (set by core.ts).
   */
  warmUp: (() => Promise<void>) | undefined;
  private reconciling = false;
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
   * Learns what is on disk without reading any events file, or even taking a stat of one: one catalog and the list of
   * directories. A session with a catalog entry is known from it (checked against its file later, see `unchecked`); one
   * without reads its meta.json and is pending: its events are read after the daemon serves (reconcile()) or on its
   * first use, whichever comes first. Turns a previous daemon left running are closed with turn.error DAEMON_RESTARTED.
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
    this.entries = entries;
    // What the catalog's entries name (its header says, for the rows); those of directories gone are taken out below.
    this.startBytes = entries.bytes;
    const listed = new Set<string>();
    for (const name of names.sort()) {
      if (!isSafeSessionId(name)) continue;
      listed.add(name);
      if (entries.has(name)) {
        this.unchecked.add(name);
        // Its open turns are closed now (below), so its entry is checked now: only a file it describes is appended to.
        if (entries.hasOpenTurns(name)) this.get(name);
        continue;
      }
      const dir = path.join(this.sessionsDir, name);
      try {
        const file = path.join(dir, EVENTS_FILE);
        const fst = fs.lstatSync(file, { throwIfNoEntry: false });
        refuseOddFile(file, fst);
        this.startBytes += fst?.size ?? 0;
        const st = fs.statSync(dir);
        if (!st.isDirectory()) continue;
        this.open(this.metaOf(name, dir, st), dir);
      } catch (err) {
        this.logger.warn(`session ${name} could not be loaded: ${causeText(err)}`);
      }
    }
    // Entries of directories that are gone are forgotten (and their bytes); the others are the sessions not used yet.
    const catalogBytes = entries.bytes;
    for (const id of entries.keys()) if (!listed.has(id)) entries.delete(id);
    this.startBytes -= catalogBytes - entries.bytes;
    for (const s of this.sessions.values()) if (s.known) s.closeInterruptedTurns();
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(50, Math.min(IDLE_MS, 10_000))).unref();
    // Just after the daemon serves: what the first turn needs is loaded (warmUp), then the entries are checked and the
    // sessions the catalog did not know read, one by one. What this start left (the listing of sessions/, its sets, the
    // catalog's bytes) is collected at the end of that check, not before serving: with 10,000 sessions a collection
    // here cost ~8 ms of the start for ~2 MiB that the daemon holds until then (measured, 5 starts each).
    setTimeout(() => void this.warm().then(() => this.reconcileSoon()), 0).unref();
  }

  private async warm(): Promise<void> {
    const w = this.warmUp;
    this.warmUp = undefined;
    if (w && !this.closed) await w().catch(() => undefined);
  }

  private reconcileSoon(): void {
    if (this.reconciling || this.closed) return;
    if (!this.unchecked.size && ![...this.sessions.values()].some((s) => !s.known)) return;
    this.reconciling = true;
    setTimeout(() => void this.reconcile().finally(() => (this.reconciling = false)), 0).unref();
  }

  /**
   * Checks every catalog entry against its file (a few ms at a time), then reads every pending session once (closing
   * its interrupted turns), drops what it read, and rewrites the catalog.
   */
  async reconcile(): Promise<void> {
    let since = performance.now();
    const checks = this.unchecked.size;
    for (const id of [...this.unchecked]) {
      if (this.closed) return;
      this.check(id);
      if (performance.now() - since > CHECK_SLICE_MS) {
        await new Promise((r) => setImmediate(r));
        since = performance.now();
      }
    }
    // The start's garbage, the warm-up's and the check's (a stat of each file, each row parsed) are still in the heap,
    // and an idle daemon allocates nothing that would collect them: with 10,000 sessions this left ~4 MiB less RSS.
    if (checks >= 1000) collectGarbage();
    let read = false;
    for (const s of [...this.sessions.values()]) {
      if (this.closed) return;
      if (s.known) continue;
      read = true;
      try {
        const before = s.usedAt;
        await s.load(false);
        // Dropped again unless someone used the session meanwhile (then the idle sweep drops it later).
        if (s.usedAt === before) s.unload();
      } catch (err) {
        this.forget(s, err);
      }
    }
    if (read) this.save();
  }

  /**
   * Compares a catalog entry with its events file, once. It holds only while the file is exactly the one it describes
   * (size, mtime, inode); else the session is pending, read again like one the catalog did not know (a kill -9 after
   * appends, a file put in place by hand). A file the daemon never writes (a link, a FIFO) leaves the session out with
   * a WARN naming it, as a start without a catalog does.
   */
  private check(id: string): void {
    if (!this.unchecked.delete(id)) return;
    if (!this.entries.has(id)) return;
    // Undefined for a row that is not an entry (never written so by a daemon): the session is then read like one the
    // catalog did not know.
    const e = this.entries.get(id);
    const dir = path.join(this.sessionsDir, id);
    const file = path.join(dir, EVENTS_FILE);
    try {
      const fst = fs.lstatSync(file, { throwIfNoEntry: false });
      refuseOddFile(file, fst);
      if (e && entryHolds(e, markOf(file, fst)) && (e.size > 0 || fs.statSync(dir).isDirectory())) return;
      this.entries.delete(id);
      this.startBytes += (fst?.size ?? 0) - (e?.size ?? 0);
      this.sorted = undefined;
      const st = fs.statSync(dir);
      if (!st.isDirectory()) return;
      this.open(this.metaOf(id, dir, st), dir);
      this.reconcileSoon();
    } catch (err) {
      this.entries.delete(id);
      this.sorted = undefined;
      this.logger.warn(`session ${id} could not be loaded: ${causeText(err)}`);
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

  private open(meta: SessionMeta, dir: string, head?: { lastSeq: number; count: number }, facts?: SessionFacts): Session {
    const log = new EventLog(dir, this.space, head, path.join(this.indexDir, `${meta.id}.idx`));
    const session = new Session(meta, { log, runner: this.runner, logger: this.logger, space: this.space, changed: (s, bytes) => this.changed(s, bytes) }, facts);
    if (!this.sessions.has(meta.id) && !this.entries.has(meta.id)) this.sorted = undefined;
    this.sessions.set(meta.id, session);
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
      writeCatalog(this.catalogFile, this.entries);
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
    this.entries.delete(s.id);
    this.sorted = undefined;
  }

  /**
   * Creates (or, when the id exists, joins) a session. `created` is false when it already existed, whose workspace then
   * stays as it was. Throws StorageError (and leaves no new directory) when the disk has no room for it.
   */
  create(id: string = newSessionId(), workspace: string | null = null): { session: Session; created: boolean } {
    const existing = this.get(id);
    if (existing) {
      makeSessionDir(this.sessionsDir, id, this.logger);
      return { session: existing, created: false };
    }
    this.space.admit();
    const { dir, made } = makeSessionDir(this.sessionsDir, id, this.logger);
    const again = this.get(id);
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

  /** The session, made from its catalog entry (checked against its file first) when it was not used since the start. */
  get(id: string): Session | undefined {
    const s = this.sessions.get(id);
    if (s || !this.entries.has(id)) return s;
    this.check(id);
    const e = this.entries.get(id);
    if (!e) return this.sessions.get(id);
    return this.open({ id, createdAt: e.createdAt, workspace: e.workspace }, path.join(this.sessionsDir, id), { lastSeq: e.lastSeq, count: e.count }, e);
  }

  /**
   * What a listing shows of a session, without making a Session of one not used since the start (its entry, checked
   * against its file first); a session that must be read first (pending) is read. Undefined when it is gone.
   */
  async listed(id: string): Promise<Listed | undefined> {
    let s = this.sessions.get(id);
    if (!s) {
      this.check(id);
      const e = this.entries.get(id);
      s = this.sessions.get(id);
      if (!s) return e && { id, createdAt: e.createdAt, workspace: e.workspace, lastSeq: e.lastSeq, turnCount: e.turns, active: undefined, queue: [] };
    }
    return this.known(s);
  }

  private ids(): string[] {
    if (!this.sorted) {
      const ids = [...this.sessions.keys()];
      for (const id of this.entries.keys()) if (!this.sessions.has(id)) ids.push(id);
      this.sorted = ids.sort();
    }
    return this.sorted;
  }

  /**
   * Sessions the background work after the start has still to do: catalog entries not yet compared with their files,
   * and sessions not yet read (GET /v3/health `sessionsToCheck`; 0 once the daemon settled).
   */
  get toCheck(): number {
    let n = this.unchecked.size;
    for (const s of this.sessions.values()) if (!s.known) n++;
    return n;
  }

  get size(): number {
    return this.ids().length;
  }

  /** Ids of sessions in id order, `limit` of them after the id `after` (exclusive), and the total. */
  page(after: string | undefined, limit: number): { ids: string[]; total: number; next: string | null } {
    const ids = this.ids();
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
    return { ids: slice, total: ids.length, next };
  }

  /** The sessions made since the start (the others have no turn, client, index or replay). */
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
