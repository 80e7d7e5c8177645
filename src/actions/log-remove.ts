// Action log.remove: removes daemon/daemon.log and its rotated daemon.log.1 (the guide's Reset Everything); nothing under sessions/.
import fs from 'node:fs';
import { displayPath } from '../core/paths.js';
import { resolveFile } from './catalog.js';
import { plan, type ActionImpl } from './action.js';

const logFiles = (file: string) => [file, file + '.1'].filter((f) => fs.existsSync(f));

export const logRemove: ActionImpl<'log.remove'> = {
  async plan({ paths, env, args }) {
    const files = logFiles(resolveFile(paths, args.file!));
    if (!files.length) return plan('nothing to do', { nothingToDo: 'no daemon log to remove' });
    return plan(`remove ${files.map((f) => displayPath(f, env)).join(' and ')}`, { files: files.map((f) => ({ path: displayPath(f, env), change: 'removed' })) });
  },
  async run({ paths, env, args }) {
    const gone = logFiles(resolveFile(paths, args.file!));
    for (const f of gone) fs.rmSync(f, { force: true });
    return gone.length
      ? { outcome: 'done', message: `removed ${gone.map((f) => displayPath(f, env)).join(' and ')}` }
      : { outcome: 'skipped', message: 'no daemon log to remove' };
  },
};
