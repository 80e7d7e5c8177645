// The daemon's session and permission API as seen by commands and actions: each call goes through the crash guardian.
import nodePath from 'node:path';
import { OptaError, UsageError } from '../../core/errors.js';
import { httpJson, type HttpResult } from '../../core/http-client.js';
import { displayPath, type OptaPaths } from '../../core/paths.js';
import { daemonUrl } from '../../core/state-shape.js';
import { withDaemon } from '../lifecycle/control.js';
import type { PendingPermission, SessionCancelled, SessionCreated, SessionPage, SessionSummary } from '../protocol.js';
import { isSafeSessionId, SESSION_ID_RULE } from '../session-id.js';
import { sessionPages } from './session-pages.js';

// The wire shapes are the protocol's; named here too for the commands that render what these calls return.
export type { PendingPermission, SessionPage, SessionSummary } from '../protocol.js';

function errorOf(r: HttpResult): { code?: string; message?: string } {
  return ((r.json as { error?: { code?: string; message?: string } } | undefined)?.error ?? {}) as { code?: string; message?: string };
}

let onDaemonStarted: ((line: string) => void) | undefined;

/**
 * Where to say, in one line, that the guardian started the daemon before a call could be made (the CLI: stderr). Not
 * set for fix actions, whose runner reports what it starts.
 */
export function reportDaemonStarts(write: (line: string) => void): void {
  onDaemonStarted = write;
}

/** One authenticated call; a daemon that is down or crashed is (re)started by the guardian first. */
async function call(paths: OptaPaths, method: string, path: string, body?: unknown): Promise<HttpResult & { where: string }> {
  let where = '';
  const r = await withDaemon(
    paths,
    (state) => {
      where = daemonUrl(state, '');
      return httpJson(daemonUrl(state, path), { method, body, timeoutMs: 10000, headers: { authorization: `Bearer ${state.token}` } });
    },
    (s) => onDaemonStarted?.(`opta: note: the daemon was not running, so it was started first (pid ${s.state.pid}, port ${s.state.port})${s.notes.length ? `: ${s.notes.join('; ')}` : ''}.`),
  );
  if (r.errorCode) {
    throw new OptaError(
      `cannot reach the Opta daemon at ${where} (${r.errorCode}${r.error ? `: ${r.error}` : ''}), even after checking it and restarting it if it had died. ` +
        'Inspect it with: opta daemon status, then opta daemon logs --lines 200',
    );
  }
  if (r.status === 401) {
    throw new OptaError(`the daemon at ${where} rejected the token in ${displayPath(paths.stateFile)}; another daemon may own that port. Restart it: opta daemon restart`);
  }
  return { ...r, where };
}

function unexpected(r: HttpResult & { where: string }, what: string): OptaError {
  const e = errorOf(r);
  return new OptaError(`the daemon at ${r.where} could not ${what}: HTTP ${r.status}${e.message ? ` (${e.message})` : ''}. Inspect: opta daemon logs --lines 200`);
}

function checkSessionId(id: string): void {
  if (!isSafeSessionId(id)) throw new UsageError(`"${id}" is not a session id: ${SESSION_ID_RULE}. List sessions: opta sessions list`);
}

/**
 * One page of sessions in id order (the daemon's page size unless `limit`), or every page when `all`. `total` and
 * `next` come from daemons that page (since 1.1); an older one answers everything at once.
 */
export async function listSessions(paths: OptaPaths, opts: { all?: boolean; limit?: number } = {}): Promise<SessionPage> {
  const page = await sessionPages(async (path) => {
    const r = await call(paths, 'GET', path);
    if (!r.ok) throw unexpected(r, 'list sessions');
    return r;
  }, opts);
  return page!;
}

/**
 * Creates a session (or finds the existing one of that id) whose tools may read `workspace`: the caller's directory
 * unless another is given. Sent absolute; the daemon resolves symlinks and refuses the opta home.
 */
export async function createSession(paths: OptaPaths, opts: { id?: string; workspace: string }): Promise<SessionCreated> {
  if (opts.id !== undefined) checkSessionId(opts.id);
  const r = await call(paths, 'POST', '/v3/sessions', { ...(opts.id !== undefined ? { id: opts.id } : {}), workspace: nodePath.resolve(opts.workspace) });
  if (r.status === 400) throw new UsageError(`the daemon refused the session: ${errorOf(r).message ?? 'bad request'}`);
  if (!r.ok) throw unexpected(r, 'create a session');
  return r.json as SessionCreated;
}

export async function cancelSession(paths: OptaPaths, id: string): Promise<SessionCancelled> {
  checkSessionId(id);
  const r = await call(paths, 'POST', `/v3/sessions/${encodeURIComponent(id)}/cancel`);
  if (r.status === 404) throw new OptaError(`the daemon has no session "${id}". List sessions: opta sessions list`);
  if (!r.ok) throw unexpected(r, `cancel session ${id}`);
  return r.json as SessionCancelled;
}

export async function listPendingPermissions(paths: OptaPaths): Promise<PendingPermission[]> {
  const r = await call(paths, 'GET', '/v3/permissions?state=pending');
  if (!r.ok) throw unexpected(r, 'list permission requests');
  return (r.json as { permissions: PendingPermission[] }).permissions;
}

/** Finds the request by id (in `sessionId` if given) among the pending ones, then allows or denies it. */
export async function resolvePermission(paths: OptaPaths, requestId: string, decision: 'allow' | 'deny', sessionId?: string): Promise<PendingPermission> {
  if (sessionId !== undefined) checkSessionId(sessionId);
  const pending = await listPendingPermissions(paths);
  const matches = pending.filter((p) => p.requestId === requestId && (sessionId === undefined || p.sessionId === sessionId));
  if (matches.length === 0) {
    throw new OptaError(
      `no pending permission request "${requestId}"${sessionId ? ` in session ${sessionId}` : ''}: it may have been resolved, cancelled or auto-denied after permissions.timeoutMs. ` +
        'List pending requests: opta permissions list',
    );
  }
  if (matches.length > 1) {
    throw new UsageError(`"${requestId}" is pending in several sessions (${matches.map((m) => m.sessionId).join(', ')}); say which with --session <id>`);
  }
  const p = matches[0];
  const r = await call(paths, 'POST', `/v3/sessions/${encodeURIComponent(p.sessionId)}/permissions/${encodeURIComponent(p.requestId)}`, { decision });
  if (r.status === 404) {
    throw new OptaError(`permission request "${requestId}" in session ${p.sessionId} is no longer pending (resolved, cancelled or timed out meanwhile). List: opta permissions list`);
  }
  if (!r.ok) throw unexpected(r, `${decision} ${requestId}`);
  return p;
}

/** Has the daemon write a support recording's marker line to its log (only the daemon writes daemon.log). */
export async function writeLogMarker(paths: OptaPaths, marker: 'start' | 'end', id: string): Promise<void> {
  const r = await call(paths, 'POST', '/v3/log/marker', { marker, id });
  if (!r.ok) throw unexpected(r, `write the ${marker} marker of a recording`);
}
