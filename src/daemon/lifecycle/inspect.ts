// Read-only classification of this home's daemon: running, not-running, stale, foreign, unresponsive, corrupt-state.
// config-lite/state-lite instead of config/state: inspection is read-only and must not pay for zod at start-up.
import { daemonSettings } from '../../core/config-lite.js';
import { portsInOrder } from '../../core/port-order.js';
import { httpJson } from '../../core/http-client.js';
import type { OptaPaths } from '../../core/paths.js';
import { isOptaDaemonOf, pidLiveness, processCommand } from '../../core/proc.js';
import { daemonUrl, type DaemonState, type StateClass, type StoppedState } from '../../core/state-shape.js';
import { readStateLite as readState } from '../../core/state-lite.js';

export type DaemonStatusName = 'running' | 'not-running' | 'stale' | 'foreign' | 'unresponsive' | 'corrupt-state';

export interface Identity {
  name: string;
  version: string;
  daemonId: string;
  pid: number;
}

export interface DaemonInspection {
  status: DaemonStatusName;
  stateClass: StateClass;
  statePath: string;
  stateError?: string;
  state?: DaemonState;
  /** The record a daemon left when it stopped (status not-running): history, never a process to check or signal. */
  stopped?: StoppedState;
  pid?: number;
  alive?: boolean;
  command?: string;
  ours?: boolean;
  identity?: Identity;
  health?: Record<string, unknown>;
  /** Why an Opta daemon of ours did not count as running (no answer, wrong identity, ...). */
  problem?: string;
  /** A daemon of this home that answers although state.json does not name it. */
  orphan?: { pid: number; port: number; daemonId: string };
}

export { daemonUrl };

/** The identity in an answer of /v3/identity or /v3/health (which names the daemon too). */
function asIdentity(v: unknown): Identity | undefined {
  const o = v as Partial<Identity> | undefined;
  if (!o || o.name !== 'opta-daemon' || typeof o.pid !== 'number' || typeof o.daemonId !== 'string') return undefined;
  return { name: o.name, version: o.version as string, daemonId: o.daemonId, pid: o.pid };
}

/** Looks for a daemon of this home on the configured ports (state.json deleted or corrupt while it runs). */
export async function findOrphanDaemon(paths: OptaPaths, timeoutMs = 400): Promise<DaemonInspection['orphan']> {
  const daemon = daemonSettings(paths.configFile);
  const ports = portsInOrder(daemon);
  const found = await Promise.all(
    ports.map(async (port) => {
      const r = await httpJson(daemonUrl({ host: daemon.host, port }, '/v3/identity'), { timeoutMs });
      const id = r.ok ? asIdentity(r.json) : undefined;
      return id && isOptaDaemonOf(id.pid, paths.home) ? { pid: id.pid, port, daemonId: id.daemonId } : undefined;
    }),
  );
  return found.find((x) => x !== undefined);
}

export async function inspectDaemon(paths: OptaPaths, opts: { timeoutMs?: number; lookForOrphan?: boolean } = {}): Promise<DaemonInspection> {
  const timeoutMs = opts.timeoutMs ?? 1500;
  const read = readState(paths.stateFile);
  const base = { stateClass: read.class, statePath: paths.stateFile } as const;
  if (read.class !== 'valid') {
    const orphan = opts.lookForOrphan ? await findOrphanDaemon(paths) : undefined;
    if (read.class === 'missing') return { ...base, status: 'not-running', orphan };
    // Its pid is not looked at: after a stop it may belong to any process by now.
    if (read.class === 'stopped') return { ...base, status: 'not-running', stopped: read.stopped, orphan };
    return { ...base, status: 'corrupt-state', stateError: 'error' in read ? read.error : 'file is empty', orphan };
  }
  const state = read.state;
  const out: DaemonInspection = { ...base, status: 'not-running', state, pid: state.pid };
  const live = pidLiveness(state.pid);
  out.alive = live !== 'dead';
  if (live === 'dead') return { ...out, status: 'stale' };
  out.command = processCommand(state.pid);
  out.ours = live === 'alive' && isOptaDaemonOf(state.pid, paths.home);
  if (!out.ours) return { ...out, status: 'foreign' };

  // One round trip when all is well: /v3/health (token) names the daemon too. Only when it gives no usable answer is
  // /v3/identity (no token) asked, to tell a daemon that rejects the token from one that is not there or not ours.
  const started = Date.now();
  const healthRes = await httpJson(daemonUrl(state, '/v3/health'), { timeoutMs, headers: { authorization: `Bearer ${state.token}` } });
  const fromHealth = healthRes.ok ? asIdentity(healthRes.json) : undefined;
  const idRes = fromHealth
    ? { ok: true, json: fromHealth, status: healthRes.status, errorCode: undefined }
    : healthRes.errorCode && healthRes.status === undefined
      ? healthRes
      : await httpJson(daemonUrl(state, '/v3/identity'), { timeoutMs: Math.max(50, timeoutMs - (Date.now() - started)) });
  out.identity = idRes.ok ? asIdentity(idRes.json) : undefined;
  if (!out.identity) {
    out.problem = idRes.errorCode ? `${idRes.errorCode} on ${state.host}:${state.port}` : `unexpected identity answer (HTTP ${idRes.status})`;
    return { ...out, status: 'unresponsive' };
  }
  if (out.identity.pid !== state.pid || out.identity.daemonId !== state.daemonId) {
    out.problem = `port ${state.port} is answered by daemon pid ${out.identity.pid} (${out.identity.daemonId}), not the one state.json names`;
    return { ...out, status: 'unresponsive' };
  }
  if (!healthRes.ok) {
    out.problem = healthRes.status === 401 ? 'the daemon rejects the token in state.json' : `health check failed: ${healthRes.errorCode ?? `HTTP ${healthRes.status}`}`;
    return { ...out, status: 'unresponsive' };
  }
  out.health = healthRes.json as Record<string, unknown>;
  return { ...out, status: 'running' };
}
