// Permission requests: a tool call waits here for allow/deny from a client, a cancel, or the auto-deny timeout.
import type { PendingPermission } from '../protocol.js';
import { causeText } from '../../core/errors.js';
import type { ClientTracker } from './client-tracker.js';
import { shortDuration } from '../../core/duration.js';
import type { Logger } from './logger.js';
import type { Session, Turn } from './session.js';

export type Decision = 'allow' | 'deny';
/** Who decided: a client, the auto-deny timeout, or a cancel of the turn. */
export type DecidedBy = 'client' | 'timeout' | 'cancel';

/** What GET /v3/permissions?state=pending lists: the wire shape of protocol.ts. */
export type PermissionView = PendingPermission;

interface Pending {
  requestId: string;
  session: Session;
  turn: Turn;
  tool: string;
  args: unknown;
  createdAtMs: number;
  /** performance.now() when it was made: ages are durations, which a jump of the wall clock must not change. */
  createdMono: number;
  timer: NodeJS.Timeout;
  settle: (d: Decision) => void;
}

export class PermissionBroker {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly clients: ClientTracker,
  ) {}

  private key(sessionId: string, requestId: string): string {
    return `${sessionId}\u0000${requestId}`;
  }

  /** Emits permission.request and resolves with the decision; a client that disconnects leaves it pending. */
  request(session: Session, turn: Turn, tool: string, args: unknown): Promise<Decision> {
    const requestId = session.nextPermissionId();
    const createdAtMs = Date.now();
    const createdMono = performance.now();
    // Pending only once the request is stored and published; a turn that ended (cancelled, or a full disk) asks nobody.
    if (!session.emitForTurn(turn, 'permission.request', { requestId, tool, args, timeoutMs: this.timeoutMs })) return Promise.resolve('deny');
    return new Promise<Decision>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.warn(`permission request ${requestId} timed out (${shortDuration(this.timeoutMs)}), auto-denying`);
        this.resolve(session.id, requestId, 'deny', 'timeout');
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(this.key(session.id, requestId), { requestId, session, turn, tool, args, createdAtMs, createdMono, timer, settle: resolve });
    });
  }

  /** Settles one pending request; false when there is no such pending request (unknown, or already settled). */
  resolve(sessionId: string, requestId: string, decision: Decision, by: DecidedBy): boolean {
    const k = this.key(sessionId, requestId);
    const p = this.pending.get(k);
    if (!p) return false;
    this.pending.delete(k);
    clearTimeout(p.timer);
    try {
      p.session.emitForTurn(p.turn, 'permission.resolved', { requestId, decision, by });
    } catch (err) {
      // The event log failed (disk full?): the turn must still be released, and a timer must not crash the daemon.
      this.logger.error(`cannot record permission.resolved for ${requestId} in session ${sessionId}: ${causeText(err)}`);
    }
    p.settle(decision);
    return true;
  }

  /** Denies whatever a turn waits on (before the turn is cancelled). */
  settleTurn(turn: Turn, by: DecidedBy): void {
    for (const p of [...this.pending.values()]) if (p.turn === turn) this.resolve(p.session.id, p.requestId, 'deny', by);
  }

  has(sessionId: string, requestId: string): boolean {
    return this.pending.has(this.key(sessionId, requestId));
  }

  list(): PermissionView[] {
    // The age is measured on the monotonic clock: after a wall-clock jump (an NTP step, a resumed VM) a request made a
    // moment ago must not look hours old, which the doctor reads as stuck and --fix answers by cancelling the turn.
    const now = performance.now();
    return [...this.pending.values()]
      .sort((a, b) => a.createdMono - b.createdMono)
      .map((p) => ({
        requestId: p.requestId,
        sessionId: p.session.id,
        turnId: p.turn.id,
        tool: p.tool,
        args: p.args,
        createdAt: new Date(p.createdAtMs).toISOString(),
        ageMs: Math.round(now - p.createdMono),
        clientConnected: this.clients.count(p.session.id) > 0,
      }));
  }

  countFor(sessionId: string): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.session.id === sessionId) n++;
    return n;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Stops the timers only: the interrupted turns are closed with DAEMON_RESTARTED when the sessions load again. */
  shutdown(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }
}
