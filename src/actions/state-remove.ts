// Action state.remove: removes daemon/state.json (the guide's Reset Everything), guarded: never while a daemon of this home is running.
import fs from 'node:fs';
import { OptaError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { inspectDaemon } from '../daemon/lifecycle/inspect.js';
import { resolveFile } from './catalog.js';
import { plan, type ActionImpl } from './action.js';

export const stateRemove: ActionImpl<'state.remove'> = {
  async plan({ paths, env, args }) {
    const file = resolveFile(paths, args.file!);
    if (!fs.existsSync(file)) return plan('nothing to do', { nothingToDo: `${displayPath(file, env)} does not exist` });
    return plan(`remove ${displayPath(file, env)}`, { files: [{ path: displayPath(file, env), change: 'removed' }] });
  },
  async run({ paths, env, args }) {
    const file = resolveFile(paths, args.file!);
    const insp = await inspectDaemon(paths, { lookForOrphan: true });
    if (insp.status === 'running' || insp.status === 'unresponsive' || insp.orphan) {
      throw new OptaError(`refusing to remove ${displayPath(file, env)}: the daemon still runs; stop it first (opta daemon stop)`);
    }
    if (!fs.existsSync(file)) return { outcome: 'skipped', message: `${displayPath(file, env)} does not exist` };
    fs.rmSync(file, { force: true });
    return { outcome: 'done', message: `removed ${displayPath(file, env)}` };
  },
};
