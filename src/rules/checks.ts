// The checks doctor prints, in order (the guide's five first, then the extras); log patterns name them too. A check id not listed here still works.

export interface CheckDef {
  id: string;
  /** "Checking <label>..." */
  label: string;
  /** The text after the dot when the check found nothing; placeholders are filled from facts. */
  ok: string;
  /** One of the guide's five lines, printed even when healthy; extras print only when they have something to say. */
  core: boolean;
  /** Not checked when this check has an error (the model cannot be asked for when LMX is unreachable). */
  dependsOn?: string;
}

// One name per check (issue 26): the label is the id that --only, --skip, JSON, GitHub titles and metrics use; only
// LMX is written as the guide writes it ("Checking LMX...").
export const CHECKS: CheckDef[] = [
  { id: 'daemon', label: 'daemon', ok: 'running (pid {{daemon.pid}}, port {{daemon.port}})', core: true },
  { id: 'lmx', label: 'LMX', ok: 'reachable ({{lmx.address}})', core: true },
  { id: 'model', label: 'model', ok: 'loaded ({{lmx.model}})', core: true, dependsOn: 'lmx' },
  { id: 'config', label: 'config', ok: 'valid', core: true },
  { id: 'permissions', label: 'permissions', ok: 'ok', core: true },
  { id: 'ports', label: 'ports', ok: 'ok', core: false },
  { id: 'node', label: 'node', ok: 'v{{node-version.version}}', core: false },
  { id: 'disk', label: 'disk', ok: '{{disk-space.freeMiB}} MiB free; sessions/ holds {{sessions-size.sessions}} sessions, {{sessions-size.MiB}} MiB', core: false },
  { id: 'logs', label: 'logs', ok: 'daemon.log is {{daemon-log.size}}', core: false },
  { id: 'crashes', label: 'crashes', ok: 'none kept in the last 24 hours', core: false },
  { id: 'version', label: 'version', ok: 'CLI {{version.cli}}', core: false },
  { id: 'proxy', label: 'proxy', ok: 'no proxy in the way of {{proxy-env.lmxHost}}', core: false },
  { id: 'network', label: 'network', ok: 'LMX at {{lmx-path.summary}}', core: false },
  { id: 'service', label: 'service', ok: '{{service.managerName}} supervises the daemon', core: false },
  { id: 'doctor', label: 'doctor', ok: 'every check finished in time', core: false },
];

export function checkDef(id: string): CheckDef {
  return CHECKS.find((c) => c.id === id) ?? { id, label: id, ok: 'ok', core: false };
}

export function checkOrder(id: string): number {
  const i = CHECKS.findIndex((c) => c.id === id);
  return i < 0 ? CHECKS.length : i;
}
