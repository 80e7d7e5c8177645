// Action dir.create: creates the home's missing directories (home, daemon/, sessions/) with mode 0700; an existing one is never changed.
import fs from 'node:fs';
import { DIR_MODE } from '../core/atomic.js';
import { causeText, OptaError } from '../core/errors.js';
import { inspectHome, isMissing } from '../core/home-modes.js';
import { displayPath } from '../core/paths.js';
import { plan, type ActionImpl } from './action.js';

/**
 * Takes no path: the directories are the layout's own (the same list the doctor checks), so a pipeline cannot aim it
 * anywhere else. It only ever calls mkdir on a path that does not exist; sessions/ may be created empty, never touched.
 */
export const dirCreate: ActionImpl<'dir.create'> = {
  async plan({ paths, env }) {
    const missing = inspectHome(paths, env).filter(isMissing);
    if (!missing.length) return plan('nothing to do', { nothingToDo: 'every directory exists' });
    const creatable = missing.filter((e) => !e.wrongType);
    const blocked = missing.filter((e) => e.wrongType);
    const summary = [
      creatable.length ? `create ${creatable.map((e) => e.display).join(', ')}` : '',
      blocked.length ? `cannot create ${blocked.map((e) => e.display).join(', ')}: a file is in the way (it fails and says so)` : '',
    ].filter(Boolean).join('; ');
    return plan(summary, { files: creatable.map((e) => ({ path: e.display, change: 'created (0700)' })) });
  },
  async run({ paths, env }) {
    const created: string[] = [];
    for (const e of inspectHome(paths, env).filter(isMissing)) {
      if (e.wrongType) {
        throw new OptaError(`${e.display} is a file, not a directory; move it aside (mv ${e.display} ${e.display}.bak), then run opta doctor --fix again`);
      }
      try {
        // Not recursive: the entries come parent first, and an existing directory must stay exactly as it is.
        fs.mkdirSync(e.path, { mode: DIR_MODE });
      } catch (err) {
        throw new OptaError(`failed to create ${e.display}: ${causeText(err)}`, 1, { cause: err });
      }
      created.push(e.path);
    }
    if (!created.length) return { outcome: 'skipped', message: 'every directory exists' };
    return { outcome: 'done', message: `created ${created.map((p) => displayPath(p, env)).join(', ')} (0700)`, undoData: created };
  },
  async undo({ env }, data) {
    const removed: string[] = [];
    // Only an empty directory goes (rmdir), deepest first: anything written into it meanwhile stays.
    for (const dir of [...(data as string[])].reverse()) {
      try {
        fs.rmdirSync(dir);
        removed.push(displayPath(dir, env));
      } catch {
        /* not empty or gone: leave it */
      }
    }
    return removed.length ? `removed the empty ${removed.join(', ')} again` : 'nothing to remove';
  },
};
