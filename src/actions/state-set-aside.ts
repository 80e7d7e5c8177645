// Action state.set-aside: moves a stale or corrupt state.json to state.json.<label>-<time> (kept, never lost); never while its daemon runs.
import fs from 'node:fs';
import { OptaError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { setStateAside } from '../core/state-lite.js';
import { inspectDaemon } from '../daemon/lifecycle/inspect.js';
import { resolveFile, type AsideLabel } from './catalog.js';
import { plan, type ActionImpl } from './action.js';

export const stateSetAside: ActionImpl<'state.set-aside'> = {
  async plan({ paths, env, args }) {
    const file = resolveFile(paths, args.file!);
    if (!fs.existsSync(file)) return plan('nothing to do', { nothingToDo: `${displayPath(file, env)} does not exist` });
    const i = await inspectDaemon(paths);
    if (i.status === 'running' || i.status === 'unresponsive') {
      return plan('nothing to do', { nothingToDo: `the daemon it names runs (pid ${i.pid}); the file stays` });
    }
    return plan(`move ${displayPath(file, env)} aside`, { files: [{ path: displayPath(file, env), change: `moved to ${displayPath(file, env)}.${args.label}-<time>` }] });
  },
  async run({ paths, env, args }) {
    const file = resolveFile(paths, args.file!);
    const i = await inspectDaemon(paths);
    if (i.status === 'running' || i.status === 'unresponsive') {
      throw new OptaError(`refusing to move ${displayPath(file, env)} aside: the daemon it names runs (pid ${i.pid}). Stop it first: opta daemon stop`);
    }
    const to = setStateAside(file, args.label as AsideLabel);
    if (!to) return { outcome: 'skipped', message: `${displayPath(file, env)} does not exist` };
    return { outcome: 'done', message: `moved ${displayPath(file, env)} to ${displayPath(to, env)}`, undoData: { from: file, to } };
  },
  async undo({ env }, data) {
    const { from, to } = data as { from: string; to: string };
    if (fs.existsSync(from)) return `left ${displayPath(to, env)} where it is: ${displayPath(from, env)} exists again`;
    fs.renameSync(to, from);
    return `moved ${displayPath(to, env)} back to ${displayPath(from, env)}`;
  },
};
