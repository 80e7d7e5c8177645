// Who supervises this home's daemon, in words and as JSON, for `opta daemon status` (read-only).
import type { OptaPaths } from '../../core/paths.js';
import { displayPath } from '../../core/paths.js';
import { visible } from '../../rules/language/escape.js';
import { managerName, queryService, readInstalled } from './manager.js';

export interface Supervision {
  manager: 'systemd' | 'launchd';
  file: string;
  /** The file runs this home's daemon (a unit for another home supervises a different daemon). */
  thisHome: boolean;
  state?: string;
  restarts?: number;
  error?: string;
  text: string;
}

/** Undefined when no service file exists (one stat); otherwise the manager's view, bounded. */
export async function supervisionOf(paths: OptaPaths, env: NodeJS.ProcessEnv = process.env, timeoutMs = 2000): Promise<Supervision | undefined> {
  const inst = await readInstalled(env);
  if (!inst) return undefined;
  const thisHome = inst.spec.ours && inst.spec.home === paths.home;
  const file = displayPath(inst.file, env);
  if (!thisHome) {
    return { manager: inst.kind, file, thisHome, text: `Supervisor: none for this home (${file} ${inst.spec.ours ? `runs the daemon of ${visible(inst.spec.home ?? 'another home')}` : 'was not written by opta'}).` };
  }
  const q = await queryService(inst.kind, timeoutMs, env);
  if (!q.state) return { manager: inst.kind, file, thisHome, error: q.error, text: `Supervisor: ${managerName(inst.kind)} is installed (${file}) but could not be asked: ${visible(q.error ?? 'no answer')}.` };
  const s = q.state;
  const restarts = s.restarts !== undefined ? `, ${s.restarts} restart${s.restarts === 1 ? '' : 's'}` : '';
  return {
    manager: inst.kind,
    file,
    thisHome,
    state: s.state,
    restarts: s.restarts,
    text: `Supervisor: ${managerName(inst.kind)}, ${s.state}${restarts}${s.crashLooping ? ', crash-looping' : ''} (${file}). Stop and start go through it.`,
  };
}
