// Action daemon.restart: stop this home's daemon (proven ours) and start a fresh one, as `opta daemon restart` does.
import { displayPath } from '../core/paths.js';
import { startDaemonProcess, stopDaemonProcess } from '../daemon/lifecycle/control.js';
import { plan, type ActionImpl } from './action.js';
import { startBlocked } from './daemon-start.js';
import { planStop } from './daemon-stop.js';

export const daemonRestart: ActionImpl<'daemon.restart'> = {
  async plan(ctx) {
    const stop = await planStop(ctx);
    return plan(`${stop.nothingToDo ? 'start a daemon' : `${stop.summary}, then start a new one`}`, {
      pids: stop.pids,
      leftAlone: stop.leftAlone,
      files: [...stop.files, { path: displayPath(ctx.paths.stateFile, ctx.env), change: 'written by the new daemon (0600)' }],
    });
  },
  blocked: startBlocked,
  async run({ paths }) {
    const stopped = await stopDaemonProcess(paths);
    const first =
      stopped.outcome === 'stopped' || stopped.outcome === 'killed'
        ? `stopped daemon pid ${stopped.pid}${stopped.outcome === 'killed' ? ' (killed after the grace period)' : ''}`
        : stopped.outcome === 'foreign'
          ? `left pid ${stopped.pid} alone (not this home's Opta daemon)`
          : 'no daemon was running';
    const started = await startDaemonProcess(paths);
    return { outcome: 'done', message: `${first}; ${started.outcome === 'started' ? 'started' : 'found'} daemon (pid ${started.state.pid}, port ${started.state.port})` };
  },
};
