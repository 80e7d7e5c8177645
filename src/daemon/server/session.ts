// One session in memory: its seq counter, append-then-broadcast events, the per-session turn queue and cancel.
import type { SessionMeta } from './session-store.js';
import type { EventLog } from './event-log.js';
import type { EventEnvelope, EventName, TurnErrorCode } from '../protocol.js';
import { StorageError } from './durable-fs.js';
import type { Logger } from './logger.js';
import type { SpaceGuard } from './space-reserve.js';
import { newTurnId } from '../session-id.js';

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
}

export class Session {
  readonly id: string;
  readonly createdAt: string;
  readonly workspace: string | null;
  private seq = 0;
  private permCounter = 0;
  private readonly listeners = new Set<Listener>();
  private readonly history: ChatMessage[] = [];
  /** Turns queued in the stored history that never ended (a daemon stopped or crashed under them). */
  private readonly interrupted = new Set<string>();
  readonly queue: Turn[] = [];
  active: Turn | undefined;
  turnCount = 0;

  /** Loads the session's stored events (once, at start-up or creation). */
  constructor(meta: SessionMeta, private readonly deps: SessionDeps) {
    this.id = meta.id;
    this.createdAt = meta.createdAt;
    this.workspace = meta.workspace;
    const asked = new Map<string, string>();
    deps.log.load((e) => {
      const p = e.payload;
      const turnId = typeof p.turnId === 'string' ? p.turnId : undefined;
      if (e.event === 'turn.queued' && turnId) {
        asked.set(turnId, String(p.content ?? ''));
        this.interrupted.add(turnId);
        this.turnCount++;
      }
      if ((e.event === 'turn.done' || e.event === 'turn.error') && turnId) this.interrupted.delete(turnId);
      if (e.event === 'turn.done' && turnId && asked.has(turnId)) {
        this.history.push({ role: 'user', content: asked.get(turnId)! }, { role: 'assistant', content: String(p.text ?? '') });
      }
      if (e.event === 'permission.request' && typeof p.requestId === 'string') {
        const n = Number(/^perm_(\d+)$/.exec(p.requestId)?.[1]);
        if (Number.isFinite(n)) this.permCounter = Math.max(this.permCounter, n);
      }
    });
    this.seq = deps.log.lastSeq;
  }

  get lastSeq(): number {
    return this.seq;
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
    const e: EventEnvelope = { v: 1, seq: this.seq + 1, sessionId: this.id, event, ts: new Date().toISOString(), payload };
    this.deps.log.append(e);
    this.seq = e.seq;
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

  /** Queues a turn; throws StorageError (nothing queued, nothing stored) when the disk has no room for it. */
  submit(content: string): { turn: Turn; position: number; seq: number } {
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

  /** Closes the turns the stored history left open (the daemon stopped under them). */
  closeInterruptedTurns(): void {
    for (const turnId of this.interrupted) this.failTurn(turnId, 'DAEMON_RESTARTED', 'the daemon stopped while this turn was queued or running; submit it again');
    this.interrupted.clear();
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
