// Action log.remove: removes daemon/daemon.log (and its rotated daemon.log.1); nothing under sessions/.
import fs from 'node:fs';
import { displayPath } from '../core/paths.js';
import type { Action } from './action.js';

export const logRemove: Action = {
  id: 'log.remove',
  description: 'remove daemon.log and daemon.log.1',
  async run({ paths }) {
    const gone = [paths.logFile, paths.logFile + '.1'].filter((f) => fs.existsSync(f));
    for (const f of gone) fs.rmSync(f, { force: true });
    return gone.length
      ? { outcome: 'done', message: `removed ${gone.map((f) => displayPath(f)).join(' and ')}` }
      : { outcome: 'skipped', message: 'no daemon log to remove' };
  },
};
