// Action process.terminate: stops stray daemons of this home that hold a daemon port but do not answer; proven by command line and home, never by a port alone.
import { daemonSettings } from '../core/config-lite.js';
import { portsInOrder } from '../core/port-order.js';
import { OptaError } from '../core/errors.js';
import { portOwners, shortCommand } from '../core/port-owners.js';
import { isOptaDaemonOf, waitForExit } from '../core/proc.js';
import type { OptaPaths } from '../core/paths.js';
import { inspectDaemon } from '../daemon/lifecycle/inspect.js';
import { plan, type ActionImpl, type LeftAlone, type PlannedSignal } from './action.js';

const GRACE_MS = 5000;

/**
 * Who holds the configured daemon ports: this home's daemons that neither state.json names as running nor answer as
 * an orphan (those are kept and re-registered), and everything else, which is left alone and named.
 */
async function strays(paths: OptaPaths): Promise<{ targets: PlannedSignal[]; leftAlone: LeftAlone[] }> {
  const s = daemonSettings(paths.configFile);
  const ports = portsInOrder(s);
  const [insp, owners] = await Promise.all([
    inspectDaemon(paths, { lookForOrphan: true }),
    Promise.all(ports.map(async (port) => ({ port, owners: await portOwners(port) }))),
  ]);
  const keep = new Set<number>();
  if (insp.status === 'running' && insp.pid) keep.add(insp.pid);
  if (insp.orphan) keep.add(insp.orphan.pid);
  const targets: PlannedSignal[] = [];
  const leftAlone: LeftAlone[] = [];
  const seen = new Set<number>();
  for (const { port, owners: list } of owners) {
    for (const o of list) {
      if (seen.has(o.pid) || keep.has(o.pid) || o.pid === process.pid) continue;
      seen.add(o.pid);
      if (isOptaDaemonOf(o.pid, paths.home)) targets.push({ pid: o.pid, command: o.cmd, signal: 'SIGTERM (and SIGCONT), SIGKILL after 5 s' });
      else leftAlone.push({ pid: o.pid, command: o.cmd, reason: `holds port ${port} and is not this home's Opta daemon (${shortCommand(o.cmd)})`, next: `kill ${o.pid}` });
    }
  }
  return { targets, leftAlone };
}

export const processTerminate: ActionImpl<'process.terminate'> = {
  async plan({ paths }) {
    const { targets, leftAlone } = await strays(paths);
    if (!targets.length) return plan('nothing to do', { nothingToDo: 'no stray daemon of this home holds a daemon port', leftAlone });
    return plan(`stop ${targets.map((t) => `pid ${t.pid}`).join(', ')}`, { pids: targets, leftAlone });
  },
  async run({ paths }) {
    const { targets } = await strays(paths);
    if (!targets.length) return { outcome: 'skipped', message: 'no stray daemon of this home holds a daemon port' };
    const done: string[] = [];
    for (const t of targets) {
      // Proven again right before each signal: a pid can be reused between the scan and now.
      if (!isOptaDaemonOf(t.pid, paths.home)) continue;
      process.kill(t.pid, 'SIGTERM');
      // A stopped (SIGSTOP) daemon handles SIGTERM only once continued; continuing our own daemon lets it shut down cleanly.
      process.kill(t.pid, 'SIGCONT');
      let how = 'terminated';
      if (!(await waitForExit(t.pid, GRACE_MS))) {
        if (isOptaDaemonOf(t.pid, paths.home)) process.kill(t.pid, 'SIGKILL');
        how = 'killed';
        if (!(await waitForExit(t.pid, 3000))) throw new OptaError(`daemon pid ${t.pid} did not exit after SIGKILL`);
      }
      done.push(`pid ${t.pid} (${how})`);
    }
    return done.length ? { outcome: 'done', message: `stopped stray daemon ${done.join(', ')}` } : { outcome: 'skipped', message: 'the stray daemons were gone already' };
  },
};
