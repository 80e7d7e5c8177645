// Action state.remove: removes daemon/state.json, guarded: never while a daemon of this home is running.
import fs from 'node:fs';
import { OptaError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { inspectDaemon } from '../daemon/lifecycle/inspect.js';
import type { Action } from './action.js';

export const stateRemove: Action = {
  id: 'state.remove',
  description: 'remove daemon/state.json (only while no daemon of this home runs)',
  async run({ paths }) {
    const insp = await inspectDaemon(paths, { lookForOrphan: true });
    if (insp.status === 'running' || insp.status === 'unresponsive' || insp.orphan) {
      throw new OptaError(`refusing to remove ${displayPath(paths.stateFile)}: the daemon still runs; stop it first (opta daemon stop)`);
    }
    if (!fs.existsSync(paths.stateFile)) return { outcome: 'skipped', message: `${displayPath(paths.stateFile)} does not exist` };
    fs.rmSync(paths.stateFile, { force: true });
    return { outcome: 'done', message: `removed ${displayPath(paths.stateFile)}` };
  },
};
