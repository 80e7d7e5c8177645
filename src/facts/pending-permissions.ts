// Fact pending-permissions: permission requests the running daemon is waiting on, their age and whether a client is connected.
import { httpJson } from '../core/http-client.js';
import { readStateLite } from '../core/state-lite.js';
import { daemonUrl } from '../daemon/lifecycle/inspect.js';
import type { PendingPermission } from '../daemon/protocol.js';
import { innerTimeout, type FactCollector } from './fact.js';

export const pendingPermissions: FactCollector<'pending-permissions'> = {
  id: 'pending-permissions',
  description: 'GET /v3/permissions?state=pending on the running daemon (bearer token from state.json)',
  async collect(ctx) {
    const d = await ctx.fact('daemon');
    const none = { requests: [], count: 0, unattendedCount: 0, oldestUnattended: null, oldestUnattendedAgeMs: 0 };
    if (d.status !== 'running') return { ...none, available: false, reason: `the daemon is ${String(d.status)}` };
    const st = readStateLite(ctx.paths.stateFile);
    if (st.class !== 'valid') return { ...none, available: false, reason: 'state.json changed while doctor ran' };
    // The daemon fact's /v3/health counted them a moment ago: none pending needs no second round trip.
    if ((d.counts as Record<string, unknown> | null)?.pendingPermissions === 0) {
      return { available: true, reason: null, daemonHost: st.state.host, daemonPort: st.state.port, ...none };
    }
    const r = await httpJson(daemonUrl(st.state, '/v3/permissions?state=pending'), {
      timeoutMs: innerTimeout(ctx),
      headers: { authorization: `Bearer ${st.state.token}` },
    });
    if (r.status === 404) return { ...none, available: false, reason: `daemon ${String(d.version ?? '')} does not serve /v3/permissions`.replace('  ', ' ') };
    const list = (r.json as { permissions?: PendingPermission[] } | undefined)?.permissions;
    if (!r.ok || !Array.isArray(list)) {
      return { ...none, available: false, reason: `GET /v3/permissions failed: ${r.errorCode ?? `HTTP ${r.status}`}` };
    }
    // Tool arguments can hold anything a model wrote (paths, secrets): they are left out of the fact.
    const requests = list.map((p) => ({
      requestId: p.requestId,
      sessionId: p.sessionId,
      turnId: p.turnId,
      tool: p.tool,
      createdAt: p.createdAt,
      ageMs: p.ageMs,
      ageS: Math.round(p.ageMs / 1000),
      clientConnected: p.clientConnected,
    }));
    const unattended = requests.filter((p) => !p.clientConnected).sort((a, b) => b.ageMs - a.ageMs);
    const oldest = unattended[0] ?? null;
    return {
      available: true,
      reason: null,
      daemonHost: st.state.host,
      daemonPort: st.state.port,
      requests,
      count: requests.length,
      unattendedCount: unattended.length,
      oldestUnattended: oldest,
      oldestUnattendedAgeMs: oldest?.ageMs ?? 0,
    };
  },
};
