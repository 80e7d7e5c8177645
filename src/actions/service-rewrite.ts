// Action service.rewrite: rewrites the unit/plist opta wrote so it runs the node and opta of now, for this home (after an upgrade moved them).
import { displayPath } from '../core/paths.js';
import { applyInstall, planInstall } from '../daemon/service/install.js';
import { readInstalled } from '../daemon/service/manager.js';
import { plan, type ActionImpl } from './action.js';

export const serviceRewrite: ActionImpl<'service.rewrite'> = {
  async plan({ paths, env }) {
    const inst = await readInstalled(env);
    if (!inst) return plan('nothing to do', { nothingToDo: 'no service file is installed' });
    if (!inst.spec.ours) return plan('nothing to do', { nothingToDo: `${displayPath(inst.file, env)} was not written by opta; it is left as it is` });
    const p = await planInstall(paths, { now: false, env });
    if (p.change === 'unchanged') return plan('nothing to do', { nothingToDo: 'the service file already runs this node and opta' });
    return plan(`rewrite ${displayPath(p.file, env)} to run ${process.execPath} and this opta, then reload`, {
      files: [{ path: displayPath(p.file, env), change: 'rewritten (atomically) with the current node, opta and home' }],
    });
  },
  async run({ paths, env }) {
    const inst = await readInstalled(env);
    if (!inst || !inst.spec.ours) return { outcome: 'skipped', message: 'no service file opta wrote' };
    // Not --now: the running daemon keeps running; the manager uses the new command at its next start.
    const p = await planInstall(paths, { now: false, env });
    if (p.change === 'unchanged') return { outcome: 'skipped', message: 'the service file already runs this node and opta' };
    await applyInstall(p, env);
    return { outcome: 'done', message: `rewrote ${displayPath(p.file, env)}; it runs ${process.execPath} and this opta from the next start` };
  },
};
