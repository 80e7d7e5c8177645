// The command groups, one line each: `opta <name> ...` loads only its group. The build bundles each group on its own (dist/bundle/cli-<name>.cjs) from this list.
import type { Group } from './main.js';

export const daemon = async (): Promise<Group> => {
  const { registerDaemon, fastDaemon } = await import('./daemon.js');
  return { register: registerDaemon, fast: fastDaemon };
};
export const config = async (): Promise<Group> => ({ register: (await import('./config.js')).registerConfig });
export const doctor = async (): Promise<Group> => {
  const [{ registerDoctor }, { tryFastDoctor }] = await Promise.all([import('./doctor.js'), import('./doctor-fast.js')]);
  return { register: registerDoctor, fast: tryFastDoctor };
};
export const rules = async (): Promise<Group> => ({ register: (await import('./rules.js')).registerRules });
export const logs = async (): Promise<Group> => ({ register: (await import('./logs.js')).registerLogs });
export const sessions = async (): Promise<Group> => ({ register: (await import('./sessions.js')).registerSessions });
export const permissions = async (): Promise<Group> => ({ register: (await import('./permissions.js')).registerPermissions });
export const support = async (): Promise<Group> => ({ register: (await import('./support.js')).registerSupport });
