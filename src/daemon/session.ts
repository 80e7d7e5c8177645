// One session in memory: its seq counter, append-then-broadcast events, the per-session turn queue and cancel.
import type { EventLog, SessionMeta } from './session-store.js';
import type { EventEnvelope, EventName, TurnErrorCode } from './events.js';
import { newTurnId } from './session-id.js';

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

export class Session {
  readonly id: string;
  readonly createdAt: string;
  private seq: number;
  private permCounter: number;
  private readonly listeners = new Set<Listener>();
  private readonly history: ChatMessage[] = [];
  readonly queue: Turn[] = [];
  active: Turn | undefined;
  turnCount = 0;

  constructor(meta: SessionMeta, private readonly log: EventLog, past: EventEnvelope[], private readonly runner: TurnRunner) {
    this.id = meta.id;
    this.createdAt = meta.createdAt;
    this.seq = past.reduce((m, e) => Math.max(m, e.seq), 0);
    this.permCounter = 0;
    const asked = new Map<string, string>();
    for (const e of past) {
      const p = e.payload;
      if (e.event === 'turn.queued' && typeof p.turnId === 'string') {
        asked.set(p.turnId, String(p.content ?? ''));
        this.turnCount++;
      }
      if (e.event === 'turn.done' && typeof p.turnId === 'string' && asked.has(p.turnId)) {
        this.history.push({ role: 'user', content: asked.get(p.turnId)! }, { role: 'assistant', content: String(p.text ?? '') });
      }
      if (e.event === 'permission.request' && typeof p.requestId === 'string') {
        const n = Number(/^perm_(\d+)$/.exec(p.requestId)?.[1]);
        if (Number.isFinite(n)) this.permCounter = Math.max(this.permCounter, n);
      }
    }
  }

  get lastSeq(): number {
    return this.seq;
  }

  get eventLogFile(): string {
    return this.log.file;
  }

  /** Appends (fsync) first and only then tells listeners, so a client never saw an event the disk lacks. */
  emit(event: EventName, payload: Record<string, unknown>): EventEnvelope {
    const e: EventEnvelope = { v: 1, seq: this.seq + 1, sessionId: this.id, event, ts: new Date().toISOString(), payload };
    this.log.append(e);
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

  /** Emits on behalf of a turn, unless the turn already ended (a cancelled runner unwinding). */
  emitForTurn(turn: Turn, event: EventName, payload: Record<string, unknown>): EventEnvelope | undefined {
    if (turn.ended) return undefined;
    if (event === 'turn.done' || event === 'turn.error') turn.ended = true;
    return this.emit(event, { turnId: turn.id, ...payload });
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

  submit(content: string): { turn: Turn; position: number; seq: number } {
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
    this.runner(this, turn)
      .catch(() => undefined)
      .finally(() => {
        if (this.active === turn) this.active = undefined;
        this.pump();
      });
  }

  /** Ends a turn with turn.error (used for cancel and for turns a restart interrupted). */
  failTurn(turnId: string, code: TurnErrorCode, message: string): void {
    this.emit('turn.error', { turnId, code, message });
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
    this.emit('session.cancelled', { cancelled: turnIds.length, turnIds });
    return { cancelled: turnIds.length, turnIds };
  }

  close(): void {
    for (const t of [this.active, ...this.queue.splice(0)]) {
      if (t) {
        t.ended = true;
        t.controller.abort();
      }
    }
    this.log.close();
  }
}
