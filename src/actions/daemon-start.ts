// Action daemon.start: starts the daemon (or re-registers the one of this home that lost its state file), under the home's lock.
import fs from 'node:fs';
import { inspectConfig } from '../core/config.js';
import { displayPath, type OptaPaths } from '../core/paths.js';
import { startDaemonProcess } from '../daemon/lifecycle/control.js';
import { inspectDaemon } from '../daemon/lifecycle/inspect.js';
import { RESERVE_BYTES } from '../daemon/server/space-reserve.js';
import { plan, type ActionImpl } from './action.js';

/**
 * A new daemon reads config.json as it starts and refuses a file it cannot load (an unknown key, a bad value, broken
 * JSON), or a disk without room for what it writes first, so a step that starts one cannot succeed. Said before anything is stopped or removed; shared with
 * daemon.restart. A running daemon read its config when it started and keeps running meanwhile.
 */
export async function startBlocked({ paths, env }: { paths: OptaPaths; env: NodeJS.ProcessEnv }): Promise<string | undefined> {
  const r = inspectConfig(paths.configFile);
  if (!r.valid) {
    const problems = r.problems.map((p) => `${p.key}: ${p.message}`).join('; ');
    return `a new daemon would refuse to start: ${displayPath(paths.configFile, env)} is invalid (${problems}). Fix the file first (opta doctor says how), then run opta doctor --fix again`;
  }
  const room = roomToStart(paths);
  if (room !== undefined && room < START_BYTES) {
    const where = displayPath(paths.home, env);
    return `a new daemon could not start: only ${Math.floor(room / 1024)} KiB free on the file system of ${where}, and it writes ${START_BYTES / 1024} KiB as it starts (its ${RESERVE_BYTES / 1024} KiB space reserve, lock, state and log). Free some space first (df -h ${where}), then run opta doctor --fix again`;
  }
  return undefined;
}

/** What a starting daemon writes: the space reserve it claims, and a page each for its lock, state.json (and its temp file) and log. */
const START_BYTES = RESERVE_BYTES + 4 * 4096;

/** Free bytes for a new daemon: the file system's, plus the reserve a previous daemon left (the new one rewrites it in place). */
function roomToStart(paths: OptaPaths): number | undefined {
  try {
    const s = fs.statfsSync(paths.home);
    let reserve = 0;
    try {
      reserve = fs.statSync(paths.reserveFile).size;
    } catch {
      // None left behind.
    }
    return s.bavail * s.bsize + reserve;
  } catch {
    // No home yet, or no way to tell: the start itself decides.
    return undefined;
  }
}

/** Actions that stop a daemon of this home. */
const STOPS = new Set(['daemon.stop', 'daemon.restart', 'process.terminate']);

export const daemonStart: ActionImpl<'daemon.start'> = {
  async plan({ paths, env }) {
    const i = await inspectDaemon(paths, { lookForOrphan: true });
    const state = { path: displayPath(paths.stateFile, env), change: 'written by the new daemon (0600)' };
    if (i.status === 'running') return plan('nothing to do', { nothingToDo: `the daemon runs (pid ${i.pid}, port ${i.state?.port})` });
    if (i.orphan) {
      return plan(`ask daemon pid ${i.orphan.pid} (port ${i.orphan.port}) to write its state file again`, {
        files: [{ ...state, change: 'written again by the running daemon' }],
        pids: [{ pid: i.orphan.pid, command: null, signal: 'SIGHUP (re-register; it keeps running)' }],
      });
    }
    return plan('spawn a daemon and wait until it serves', {
      files: [state, { path: displayPath(paths.logFile, env), change: 'appended to' }],
    });
  },
  async blocked(ctx) {
    // A daemon of this home that runs (or runs without its state file, and is asked to write it again) is kept, unless
    // a step ahead stops it: then, as for a daemon that does not run, a new one has to start.
    const stopsFirst = ctx.before.some((a) => STOPS.has(a));
    if (!stopsFirst) {
      const i = await inspectDaemon(ctx.paths, { lookForOrphan: true });
      if (i.status === 'running' || i.orphan) return undefined;
    }
    return startBlocked(ctx);
  },
  async run({ paths }) {
    const r = await startDaemonProcess(paths);
    const where = `pid ${r.state.pid}, port ${r.state.port}`;
    const notes = r.notes.length ? ` (${r.notes.join('; ')})` : '';
    if (r.outcome === 'started') return { outcome: 'done', message: `started daemon (${where})${notes}` };
    if (r.outcome === 're-registered') return { outcome: 'done', message: `the running daemon (${where}) wrote its state file again${notes}` };
    return { outcome: 'skipped', message: `daemon already running (${where})` };
  },
};
