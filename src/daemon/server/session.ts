// One session: its metadata always; its events, index and conversation only from first use until it is idle again.
import type { SessionMeta } from './session-store.js';
import type { EventLog } from './event-log.js';
import type { EventEnvelope, EventName, TurnErrorCode } from '../protocol.js';
import { StorageError } from './durable-fs.js';
import type { Logger } from './logger.js';
import type { SpaceGuard } from './space-reserve.js';
import { newTurnId } from '../session-id.js';

/** The events a read of the history learns from (turns, the conversation, permission ids); the others are only indexed. */
const READ_EVENTS: ReadonlySet<string> = new Set(['turn.queued', 'turn.done', 'turn.error', 'permission.request']);

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

export interface Turn {
  id: string;
  content: string;
  controller: AbortController;
  /** Set once the turn reached turn.done / turn.error (or was cancelled); later events from its runner are dropped. */
  ended: boolean;
}

export type TurnRunner = (session: Session, turn: Turn) => Promise<void>;
export type Listener = (e: EventEnvelope) => void;

export interface SessionDeps {
  log: EventLog;
  runner: TurnRunner;
  logger: Logger;
  space: SpaceGuard;
  /** Told after every stored event (the registry keeps its catalog of sessions up to date from it). */
  changed?: (s: Session, bytesAppended: number) => void;
}

/** What is known of a session without reading its events (the catalog keeps it across starts). */
export interface SessionFacts {
  turns: number;
  /** Turns queued in the stored history that have not ended. */
  openTurns: string[];
  /** The ts of the last stored event, or null for none. */
  lastActivity: string | null;
}

export class Session {
  readonly id: string;
  readonly createdAt: string;
  readonly workspace: string | null;
  private permCounter = 0;
  private readonly listeners = new Set<Listener>();
  private history: ChatMessage[] = [];
  /** Turns queued in the stored history that never ended, as of the last stored event (live turns included). */
  private openTurns = new Set<string>();
  /** True until the events were read once: the facts are unknown (no catalog entry matched the file). */
  private pending: boolean;
  private loading: Promise<void> | undefined;
  private loaded = false;
  /** Damaged lines are reported once per daemon, not on every read after an idle drop. */
  private warned = false;
  /** Replays reading this session's index now; an index in use is not dropped. */
  replays = 0;
  /** performance.now() of the last use (a turn, a replay, an attach), for dropping idle indexes. */
  usedAt = 0;
  lastActivity: string | null = null;
  readonly queue: Turn[] = [];
  active: Turn | undefined;
  turnCount = 0;

  /**
   * Reads nothing: a session is known by its metadata and `facts` (from the catalog); its events are read on first use
   * (load()). Without facts the session is pending: its turn count and open turns are learnt by that first read.
   */
  constructor(meta: SessionMeta, private readonly deps: SessionDeps, facts?: SessionFacts) {
    this.id = meta.id;
    this.createdAt = meta.createdAt;
    this.workspace = meta.workspace;
    this.pending = !facts;
    if (facts) {
      this.turnCount = facts.turns;
      this.openTurns = new Set(facts.openTurns);
      this.lastActivity = facts.lastActivity;
    }
  }

  /** The facts are known (from the catalog or a read of the events). */
  get known(): boolean {
    return !this.pending;
  }

  get isLoaded(): boolean {
    return this.loaded && this.deps.log.indexed;
  }

  facts(): SessionFacts {
    return { turns: this.turnCount, openTurns: [...this.openTurns], lastActivity: this.lastActivity };
  }

  /**
   * Reads the session's events once (index, conversation, counters), asynchronously; later calls wait for the same
   * read. A pending session's turns left open by a previous daemon are closed here with DAEMON_RESTARTED.
   */
  load(touch = true): Promise<void> {
    if (touch) this.usedAt = performance.now();
    if (this.loaded && this.deps.log.indexed) return Promise.resolve();
    this.loading ??= this.read().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async read(): Promise<void> {
    const asked = new Map<string, string>();
    const history: ChatMessage[] = [];
    const open = new Set<string>();
    let turns = 0;
    let perm = 0;
    let last = null as string | null;
    await this.deps.log.build((e) => {
      const p = e.payload;
      last = e.ts;
      const turnId = typeof p.turnId === 'string' ? p.turnId : undefined;
      if (e.event === 'turn.queued' && turnId) {
        asked.set(turnId, String(p.content ?? ''));
        open.add(turnId);
        turns++;
      }
      if ((e.event === 'turn.done' || e.event === 'turn.error') && turnId) open.delete(turnId);
      if (e.event === 'turn.done' && turnId && asked.has(turnId)) {
        history.push({ role: 'user', content: asked.get(turnId)! }, { role: 'assistant', content: String(p.text ?? '') });
        asked.delete(turnId);
      }
      if (e.event === 'permission.request' && typeof p.requestId === 'string') {
        const n = Number(/^perm_(\d+)$/.exec(p.requestId)?.[1]);
        if (Number.isFinite(n)) perm = Math.max(perm, n);
      }
    }, READ_EVENTS);
    // A known session's facts were kept current by emit(); a pending one learns them here (a turn is never submitted to
    // a session before its read ends, so none of its own is missing from `open`).
    if (this.pending) {
      this.openTurns = open;
      this.turnCount = turns;
    }
    this.permCounter = Math.max(this.permCounter, perm);
    this.history = history;
    this.lastActivity = this.lastActivity && last && this.lastActivity > last ? this.lastActivity : last ?? this.lastActivity;
    this.loaded = true;
    const warn = !this.warned;
    this.warned = true;
    if (this.deps.log.sidecarProblem) this.deps.logger.warn(`session ${this.id}: index sidecar not used: ${this.deps.log.sidecarProblem}; the events were read again and a new one is written`);
    if (this.deps.log.skipped && warn) this.deps.logger.warn(`session ${this.id}: skipped ${this.deps.log.skipped} unreadable line(s) in events.jsonl (left on disk as they are)`);
    if (this.pending) {
      this.pending = false;
      this.closeInterruptedTurns();
      this.deps.changed?.(this, 0);
    }
  }

  /** Nothing uses the session now: no turn, no client, no replay. */
  get idle(): boolean {
    return !this.active && this.queue.length === 0 && this.listeners.size === 0 && this.replays === 0 && !this.loading;
  }

  /** Drops the index and the conversation of an idle session (the next use reads them again). */
  unload(): boolean {
    if (!this.loaded || !this.idle) return false;
    this.deps.log.drop();
    this.history = [];
    this.loaded = false;
    return true;
  }

  get lastSeq(): number {
    return this.deps.log.lastSeq;
  }

  get events(): EventLog {
    return this.deps.log;
  }

  /** Lines of events.jsonl that are not events (a torn write from a kill -9), left on disk as they are. */
  get skippedLines(): number {
    return this.deps.log.skipped;
  }

  /**
   * Appends (fsync) first and only then tells listeners, so a client never saw an event the disk lacks. Throws
   * StorageError when the event could not be stored: then it was not stored in part, not published, and seq is unchanged.
   */
  emit(event: EventName, payload: Record<string, unknown>): EventEnvelope {
    const e: EventEnvelope = { v: 1, seq: this.lastSeq + 1, sessionId: this.id, event, ts: new Date().toISOString(), payload };
    const bytes = this.deps.log.append(e);
    this.lastActivity = e.ts;
    const turnId = typeof payload.turnId === 'string' ? payload.turnId : undefined;
    if (turnId && event === 'turn.queued') this.openTurns.add(turnId);
    if (turnId && (event === 'turn.done' || event === 'turn.error')) this.openTurns.delete(turnId);
    this.deps.changed?.(this, bytes);
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // One broken client must not stop the others or the turn.
      }
    }
    return e;
  }

  /**
   * Emits on behalf of a turn, unless the turn already ended (a cancelled runner unwinding). When the event cannot be
   * stored (a full disk), the turn ends here with turn.error DISK_FULL / STORAGE_ERROR and undefined is returned: the
   * runner sees `turn.ended` and stops.
   */
  emitForTurn(turn: Turn, event: EventName, payload: Record<string, unknown>): EventEnvelope | undefined {
    if (turn.ended) return undefined;
    if (event === 'turn.done' || event === 'turn.error') turn.ended = true;
    try {
      return this.emit(event, { turnId: turn.id, ...payload });
    } catch (err) {
      if (!(err instanceof StorageError)) throw err;
      turn.ended = true;
      turn.controller.abort();
      this.deps.logger.error(`session ${this.id}: cannot record ${event} of ${turn.id}: ${err.message}; the turn ends with turn.error ${err.code}`);
      this.failTurn(turn.id, err.code, `the daemon cannot record this turn's events: ${err.diskFull ? 'the disk is full' : err.message}. Free some space, then submit the turn again.`);
      return undefined;
    }
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  nextPermissionId(): string {
    this.permCounter++;
    return `perm_${String(this.permCounter).padStart(3, '0')}`;
  }

  conversation(): ChatMessage[] {
    return this.history.map((m) => ({ ...m }));
  }

  commitExchange(user: string, assistant: string): void {
    this.history.push({ role: 'user', content: user }, { role: 'assistant', content: assistant });
  }

  /**
   * Queues a turn; throws StorageError (nothing queued, nothing stored) when the disk has no room for it. The session
   * must be loaded (its conversation is the turn's context): callers await load() first.
   */
  submit(content: string): { turn: Turn; position: number; seq: number } {
    if (!this.loaded) throw new Error(`session ${this.id} is not loaded`);
    this.usedAt = performance.now();
    this.deps.space.admit();
    const turn: Turn = { id: newTurnId(), content, controller: new AbortController(), ended: false };
    const position = this.queue.length + (this.active ? 1 : 0);
    const e = this.emit('turn.queued', { turnId: turn.id, content, position });
    this.turnCount++;
    this.queue.push(turn);
    this.pump();
    return { turn, position, seq: e.seq };
  }

  private pump(): void {
    if (this.active || this.queue.length === 0) return;
    const turn = this.queue.shift()!;
    this.active = turn;
    this.runner(turn)
      .catch(() => undefined)
      .finally(() => {
        if (this.active === turn) this.active = undefined;
        this.pump();
      });
  }

  private runner(turn: Turn): Promise<void> {
    return this.deps.runner(this, turn);
  }

  /**
   * Ends a turn with turn.error (cancel, a restart, a full disk). A closing event may use the space reserve; if even
   * that fails, the turn is over in memory anyway, the log says so, and the next start closes it with DAEMON_RESTARTED.
   */
  failTurn(turnId: string, code: TurnErrorCode, message: string): void {
    try {
      this.emit('turn.error', { turnId, code, message });
    } catch (err) {
      if (!(err instanceof StorageError)) throw err;
      this.deps.logger.error(`session ${this.id}: cannot record turn.error ${code} of ${turnId} either: ${err.message}; the next start closes it`);
    }
  }

  /**
   * Closes the turns the stored history left open (the daemon stopped under them). Called at start for a session whose
   * facts came from the catalog, and on the first read of a pending one: never while this daemon runs a turn of it.
   */
  closeInterruptedTurns(): void {
    const live = new Set([this.active?.id, ...this.queue.map((t) => t.id)]);
    for (const turnId of [...this.openTurns]) {
      if (!live.has(turnId)) this.failTurn(turnId, 'DAEMON_RESTARTED', 'the daemon stopped while this turn was queued or running; submit it again');
    }
  }

  /**
   * Cancels the active turn and every queued one. `beforeEnd` settles what the active turn waits on (its pending
   * permission) while its events still count. The session is free for a new turn as soon as this returns.
   */
  cancel(beforeEnd: (turn: Turn) => void): { cancelled: number; turnIds: string[] } {
    const turnIds: string[] = [];
    const active = this.active;
    if (active && !active.ended) {
      beforeEnd(active);
      active.ended = true;
      active.controller.abort();
      this.failTurn(active.id, 'CANCELLED', 'the turn was cancelled');
      turnIds.push(active.id);
    }
    this.active = undefined;
    for (const t of this.queue.splice(0)) {
      t.ended = true;
      t.controller.abort();
      this.failTurn(t.id, 'CANCELLED', 'the turn was cancelled before it started');
      turnIds.push(t.id);
    }
    // Nothing cancelled is nothing that happened: the history (sessions/) gets no event for it.
    if (!turnIds.length) return { cancelled: 0, turnIds };
    try {
      this.emit('session.cancelled', { cancelled: turnIds.length, turnIds });
    } catch (err) {
      if (!(err instanceof StorageError)) throw err;
      this.deps.logger.error(`session ${this.id}: cannot record session.cancelled: ${err.message}`);
    }
    return { cancelled: turnIds.length, turnIds };
  }

  close(): void {
    for (const t of [this.active, ...this.queue.splice(0)]) {
      if (t) {
        t.ended = true;
        t.controller.abort();
      }
    }
    this.deps.log.close();
  }
}
