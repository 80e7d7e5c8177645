// Action daemon.stop: stops this home's daemon after proving the pid is ours; never signals a foreign process.
import { stopDaemonProcess } from '../daemon/lifecycle/control.js';
import type { Action } from './action.js';

export const daemonStop: Action = {
  id: 'daemon.stop',
  description: 'stop the daemon (SIGTERM, then SIGKILL after a grace period)',
  async run({ paths }) {
    const r = await stopDaemonProcess(paths);
    if (r.outcome === 'foreign') {
      return { outcome: 'skipped', message: `state.json names pid ${r.pid}, which is not this home's Opta daemon; it was not signalled` };
    }
    if (r.outcome === 'not-running') return { outcome: 'skipped', message: 'daemon was not running' };
    return { outcome: 'done', message: `stopped daemon pid ${r.pid}${r.outcome === 'killed' ? ' (killed after the grace period)' : ''}` };
  },
};
