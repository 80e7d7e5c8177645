// Action turn.cancel: cancels the turns of sessions whose permission requests wait with no client to answer (the guide's "Cancel the stuck turn").
import { OptaError } from '../core/errors.js';
import { httpJson } from '../core/http-client.js';
import type { OptaPaths } from '../core/paths.js';
import type { DaemonState } from '../core/state.js';
import type { PendingPermission } from '../daemon/client/api.js';
import { daemonUrl, inspectDaemon } from '../daemon/lifecycle/inspect.js';
import { plan, type ActionImpl } from './action.js';

/**
 * Talks to the running daemon directly, never through the crash guardian: a fix must not start a daemon to cancel
 * turns in it. Only the daemon appends to sessions/ (permission.resolved, turn.error CANCELLED, session.cancelled).
 */
async function unattended(paths: OptaPaths): Promise<{ state?: DaemonState; pid?: number; sessions: Map<string, PendingPermission[]>; why?: string }> {
  const i = await inspectDaemon(paths);
  if (i.status !== 'running' || !i.state) return { sessions: new Map(), why: `the daemon is ${i.status}` };
  const r = await httpJson(daemonUrl(i.state, '/v3/permissions?state=pending'), { timeoutMs: 5000, headers: { authorization: `Bearer ${i.state.token}` } });
  const list = (r.json as { permissions?: PendingPermission[] } | undefined)?.permissions;
  if (!r.ok || !Array.isArray(list)) throw new OptaError(`cannot list pending permission requests: ${r.errorCode ?? `HTTP ${r.status}`}. Inspect: opta daemon logs --lines 200`);
  const sessions = new Map<string, PendingPermission[]>();
  for (const p of list.filter((x) => !x.clientConnected)) sessions.set(p.sessionId, [...(sessions.get(p.sessionId) ?? []), p]);
  return { state: i.state, pid: i.pid, sessions };
}

const describe = (sessions: Map<string, PendingPermission[]>) =>
  [...sessions].map(([id, ps]) => `session ${id} (${ps.map((p) => `${p.requestId} ${p.tool}, ${Math.round(p.ageMs / 1000)} s`).join('; ')})`).join(', ');

export const turnCancel: ActionImpl<'turn.cancel'> = {
  async plan({ paths }) {
    const u = await unattended(paths);
    if (!u.sessions.size) return plan('nothing to do', { nothingToDo: u.why ?? 'no permission request waits without a client' });
    return plan(`ask the daemon (pid ${u.pid}) to cancel the turns of ${describe(u.sessions)}`, {
      pids: [{ pid: u.pid!, command: null, signal: 'none: POST /v3/sessions/<id>/cancel (the daemon appends the cancellation to the session)' }],
    });
  },
  async run({ paths }) {
    const u = await unattended(paths);
    if (!u.sessions.size || !u.state) return { outcome: 'skipped', message: u.why ?? 'no permission request waits without a client' };
    const done: string[] = [];
    for (const id of u.sessions.keys()) {
      const r = await httpJson(daemonUrl(u.state, `/v3/sessions/${encodeURIComponent(id)}/cancel`), {
        method: 'POST',
        timeoutMs: 5000,
        headers: { authorization: `Bearer ${u.state.token}` },
      });
      if (!r.ok) throw new OptaError(`the daemon could not cancel session ${id}: ${r.errorCode ?? `HTTP ${r.status}`}. Try: opta sessions cancel ${id}`);
      const body = r.json as { cancelled: number; turnIds: string[] };
      done.push(`${id} (${body.cancelled} turn(s): ${body.turnIds.join(', ')})`);
    }
    return { outcome: 'done', message: `cancelled the turns of session ${done.join(', ')}; submit a new turn to continue` };
  },
};
