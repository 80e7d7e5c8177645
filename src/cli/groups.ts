// The command groups, one line each: `opta <name> ...` loads only its group. The build bundles each group on its own (dist/bundle/cli-<name>.cjs) from this list.
// Every group is a table (command-table.ts); `fast`: plain invocations skip commander, for the commands whose start-up counts.
import { tableGroup } from './command-table.js';
import type { Group } from './main.js';

export const daemon = async (): Promise<Group> => tableGroup((await import('./daemon.js')).DAEMON, { fast: true });
export const config = async (): Promise<Group> => tableGroup((await import('./config.js')).CONFIG);
export const doctor = async (): Promise<Group> => tableGroup((await import('./doctor.js')).DOCTOR, { fast: true });
export const rules = async (): Promise<Group> => tableGroup((await import('./rules.js')).RULES);
export const logs = async (): Promise<Group> => tableGroup((await import('./logs.js')).LOGS);
export const sessions = async (): Promise<Group> => tableGroup((await import('./sessions.js')).SESSIONS);
export const permissions = async (): Promise<Group> => tableGroup((await import('./permissions.js')).PERMISSIONS);
export const support = async (): Promise<Group> => tableGroup((await import('./support.js')).SUPPORT);
