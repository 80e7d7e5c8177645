// The daemon's wire shapes, once: the event envelope every client sees ({v:1, seq, sessionId, event, ts, payload}), the
// event names, and the JSON of the HTTP API that the server writes and the client, the facts and the actions read.

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

/** A session as GET /v3/sessions, GET /v3/sessions/:id and POST /v3/sessions describe it. */
export interface SessionSummary {
  id: string;
  createdAt: string;
  /** The directory the session's tools may read, or null (no file access). */
  workspace: string | null;
  lastSeq: number;
  turns: number;
  activeTurn: string | null;
  queuedTurns: number;
  pendingPermissions: number;
  wsClients: number;
}

/**
 * GET /v3/sessions: a page of sessions in id order (?limit=, default 100; ?after=<id>), the number of all sessions, and
 * the id to pass as ?after= for the next page (null on the last one).
 */
export interface SessionPage {
  sessions: SessionSummary[];
  total: number;
  next: string | null;
}

/** POST /v3/sessions: the session, and whether this call made it (201) or found it (200). */
export interface SessionCreated {
  created: boolean;
  session: SessionSummary;
}

/** POST /v3/sessions/:id/cancel: the turns cancelled (the active one and those queued). */
export interface SessionCancelled {
  cancelled: number;
  turnIds: string[];
}

/** One entry of GET /v3/permissions?state=pending ({ permissions: [...] }); `opta doctor` and --fix depend on it. */
export interface PendingPermission {
  requestId: string;
  sessionId: string;
  turnId: string;
  tool: string;
  args: unknown;
  createdAt: string;
  /** Measured on the daemon's monotonic clock, so a jump of the wall clock does not age a request. */
  ageMs: number;
  clientConnected: boolean;
}

/** The id of a support recording's markers (`support record start <id>` / `end <id>` in daemon.log). */
export const RECORD_MARKER_ID = /^[a-z0-9-]{8,40}$/;
