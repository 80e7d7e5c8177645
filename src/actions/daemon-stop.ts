// Action daemon.stop: stops this home's daemon after proving the pid is ours; never signals a foreign process.
import { displayPath } from '../core/paths.js';
import { stopDaemonProcess } from '../daemon/lifecycle/control.js';
import { inspectDaemon } from '../daemon/lifecycle/inspect.js';
import { plan, type ActionImpl, type ActionContext, type ActionPlan } from './action.js';

/** What stopping would do, read-only; shared with daemon.restart. */
export async function planStop({ paths, env }: ActionContext): Promise<ActionPlan> {
  const i = await inspectDaemon(paths, { lookForOrphan: true });
  const stateFile = displayPath(paths.stateFile, env);
  if (i.status === 'running' || i.status === 'unresponsive') {
    return plan(`stop daemon pid ${i.pid}`, {
      pids: [{ pid: i.pid!, command: i.command ?? null, signal: 'SIGTERM, SIGKILL after 5 s' }],
      files: [{ path: stateFile, change: 'rewritten as a stopped record (when it stopped, no token) when the daemon exits' }],
    });
  }
  if (i.orphan) {
    return plan(`stop daemon pid ${i.orphan.pid} (it runs without a state file)`, { pids: [{ pid: i.orphan.pid, command: null, signal: 'SIGTERM, SIGKILL after 5 s' }] });
  }
  if (i.status === 'foreign') {
    return plan('nothing to stop', {
      nothingToDo: `state.json names pid ${i.pid}, which is not this home's Opta daemon`,
      leftAlone: [{ pid: i.pid!, command: i.command ?? null, reason: "not this home's Opta daemon", next: `kill ${i.pid}` }],
    });
  }
  if (i.status === 'corrupt-state') return plan('set the corrupt state file aside', { files: [{ path: stateFile, change: 'moved to state.json.corrupt-<time>' }] });
  if (i.status === 'stale') return plan('remove the stale state file', { files: [{ path: stateFile, change: 'removed (its pid is not running)' }] });
  return plan('nothing to stop', { nothingToDo: 'no daemon of this home runs' });
}

export const daemonStop: ActionImpl<'daemon.stop'> = {
  plan: planStop,
  async run({ paths }) {
    const r = await stopDaemonProcess(paths);
    const notes = r.notes.length ? ` (${r.notes.join('; ')})` : '';
    if (r.outcome === 'foreign') {
      return { outcome: 'skipped', message: `state.json names pid ${r.pid}, which is not this home's Opta daemon; it was not signalled` };
    }
    if (r.outcome === 'not-running') return { outcome: r.notes.length ? 'done' : 'skipped', message: `daemon was not running${notes}` };
    return { outcome: 'done', message: `stopped daemon pid ${r.pid}${r.outcome === 'killed' ? ' (killed after the grace period)' : ''}${notes}` };
  },
};
