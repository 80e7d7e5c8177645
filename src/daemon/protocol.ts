// The one event envelope every client sees ({v:1, seq, sessionId, event, ts, payload}) and the event names.

export const EVENT_NAMES = [
  'turn.queued',
  'turn.start',
  'turn.token',
  'tool.start',
  'permission.request',
  'permission.resolved',
  'tool.end',
  'turn.done',
  'turn.error',
  'session.cancelled',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export interface EventEnvelope {
  v: 1;
  /** Per-session, strictly increasing, persisted: it continues after a daemon restart. */
  seq: number;
  sessionId: string;
  event: EventName;
  /** ISO time the daemon recorded the event. */
  ts: string;
  payload: Record<string, unknown>;
}

/** Codes a turn.error carries; clients and `opta doctor` match on them, so they never change meaning. */
export type TurnErrorCode =
  | 'LMX_UNREACHABLE'
  | 'LMX_TIMEOUT'
  | 'LMX_NO_MODEL'
  | 'LMX_BAD_RESPONSE'
  | 'CANCELLED'
  | 'DAEMON_RESTARTED'
  | 'TOO_MANY_TOOL_ROUNDS'
  | 'DISK_FULL'
  | 'STORAGE_ERROR'
  | 'INTERNAL';

export function isEnvelope(v: unknown): v is EventEnvelope {
  const e = v as Partial<EventEnvelope> | null;
  return !!e && e.v === 1 && typeof e.seq === 'number' && typeof e.sessionId === 'string' && typeof e.event === 'string';
}
