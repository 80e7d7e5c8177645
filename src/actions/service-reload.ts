// Action service.reload: `systemctl --user daemon-reload`, after the unit file changed since systemd loaded it.
import { OptaError } from '../core/errors.js';
import { COMMANDS, readInstalled, runManager } from '../daemon/service/manager.js';
import { plan, type ActionImpl } from './action.js';

export const serviceReload: ActionImpl<'service.reload'> = {
  async plan({ env }) {
    const inst = await readInstalled(env);
    if (!inst || inst.kind !== 'systemd') return plan('nothing to do', { nothingToDo: 'no systemd unit is installed' });
    return plan('run systemctl --user daemon-reload (the running daemon is not restarted)');
  },
  async run({ env }) {
    const inst = await readInstalled(env);
    if (!inst || inst.kind !== 'systemd') return { outcome: 'skipped', message: 'no systemd unit is installed' };
    const r = await runManager(COMMANDS.systemd.reload, 20000, env);
    if (r.error || r.code !== 0) throw new OptaError(`systemctl --user daemon-reload failed: ${(r.error ?? r.stderr.trim().split('\n')[0]) || `exit ${r.code}`}`);
    return { outcome: 'done', message: 'systemd reloaded the unit files' };
  },
};
