// Reads `systemctl --user show <unit> -p ...` (KEY=value lines, in systemd's order) into the service's state.
import type { ServiceState } from './service-state.js';

/** The properties opta asks for (the fact and supervision read these, nothing else). */
export const SHOW_PROPERTIES = [
  'LoadState', 'ActiveState', 'SubState', 'UnitFileState', 'MainPID', 'ExecMainCode', 'ExecMainStatus',
  'NRestarts', 'Result', 'NeedDaemonReload', 'StartLimitBurst', 'FragmentPath',
] as const;

export function parseShowLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.slice(0, 256 * 1024).split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1).trimEnd();
  }
  return out;
}

function int(v: string | undefined): number | undefined {
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** ExecMainCode is waitid's code: 1 exited (status = exit code), 2 killed and 3 dumped (status = signal number). */
export function parseSystemdShow(text: string): ServiceState {
  const p = parseShowLines(text);
  const loaded = p.LoadState === 'loaded';
  const active = p.ActiveState;
  const code = int(p.ExecMainCode);
  const status = int(p.ExecMainStatus);
  const restarts = int(p.NRestarts);
  const burst = int(p.StartLimitBurst);
  const pid = int(p.MainPID);
  const running = active === 'active' && p.SubState === 'running';
  // systemd keeps the first failure's result (exit-code, signal): a unit that gave up restarting is `failed`
  // with NRestarts at StartLimitBurst, or `start-limit-hit` when its runs "succeeded" under Restart=always.
  const gaveUp = active === 'failed' && (p.Result === 'start-limit-hit' || (restarts !== undefined && burst !== undefined && restarts >= burst));
  return {
    loaded,
    state: running ? 'running' : active === 'activating' && p.SubState === 'auto-restart' ? 'restarting' : active === 'failed' ? 'failed' : active === 'active' || active === 'activating' ? 'starting' : loaded ? 'stopped' : 'not-loaded',
    pid: pid && pid > 0 ? pid : undefined,
    lastExit: code === 1 ? { code: status } : code === 2 || code === 3 ? { signal: status } : undefined,
    restarts,
    restartLimit: burst,
    crashLooping: gaveUp || (active === 'activating' && p.SubState === 'auto-restart' && restarts !== undefined && burst !== undefined && restarts >= burst - 1),
    throttled: gaveUp,
    needsReload: p.NeedDaemonReload === 'yes',
    enabled: p.UnitFileState === 'enabled' || p.UnitFileState === 'enabled-runtime',
    result: p.Result,
    file: p.FragmentPath || undefined,
  };
}
