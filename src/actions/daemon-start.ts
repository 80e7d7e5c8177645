// Action daemon.start: starts the daemon (or finds it running), under the home's lock.
import { startDaemonProcess } from '../daemon/lifecycle/control.js';
import type { Action } from './action.js';

export const daemonStart: Action = {
  id: 'daemon.start',
  description: 'start the daemon and wait until it serves',
  async run({ paths }) {
    const r = await startDaemonProcess(paths);
    const where = `pid ${r.state.pid}, port ${r.state.port}`;
    return r.outcome === 'started'
      ? { outcome: 'done', message: `started daemon (${where})` }
      : { outcome: 'skipped', message: `daemon already running (${where})` };
  },
};
