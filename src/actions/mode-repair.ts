// Action mode.repair: chmods the entries whose modes matter (a secret others can read, a directory or file others can write) to 0700/0600.
import fs from 'node:fs';
import { inspectHome } from '../core/home-modes.js';
import { displayPath } from '../core/paths.js';
import { plan, type ActionImpl } from './action.js';

/** The same judgement as the doctor's home-permissions fact, so the fix changes exactly what the finding names. */
export const modeRepair: ActionImpl<'mode.repair'> = {
  async plan({ paths, env }) {
    const loose = inspectHome(paths, env).filter((e) => e.loose);
    if (!loose.length) return plan('nothing to do', { nothingToDo: 'no mode that matters' });
    return plan(`chmod ${loose.map((e) => `${e.wantMode.slice(1)} ${e.display}`).join(', ')}`, {
      files: loose.map((e) => ({ path: e.display, change: `mode ${e.mode} -> ${e.wantMode} (${e.looseWhy})` })),
    });
  },
  async run({ paths, env }) {
    const changed: Array<{ path: string; mode: number; to: string }> = [];
    for (const e of inspectHome(paths, env).filter((x) => x.loose)) {
      const before = fs.statSync(e.path).mode & 0o777;
      fs.chmodSync(e.path, parseInt(e.wantMode, 8));
      changed.push({ path: e.path, mode: before, to: e.wantMode });
    }
    if (!changed.length) return { outcome: 'skipped', message: 'no mode that matters' };
    const list = changed.map((c) => `${displayPath(c.path, env)} ${c.mode.toString(8).padStart(4, '0')} -> ${c.to}`);
    return { outcome: 'done', message: `chmod ${list.join(', ')}`, undoData: changed };
  },
  async undo({ env }, data) {
    const back = data as Array<{ path: string; mode: number }>;
    for (const c of back) fs.chmodSync(c.path, c.mode);
    return `restored ${back.map((c) => `${displayPath(c.path, env)} to ${c.mode.toString(8).padStart(4, '0')}`).join(', ')}`;
  },
};
