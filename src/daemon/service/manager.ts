// Talks to the service manager (systemctl --user, launchctl) with a time limit: query, start, stop, restart.
import fs from 'node:fs';
import { requireBuiltin } from '../../core/install.js';
import type { OptaPaths } from '../../core/paths.js';
import { LAUNCHD_LABEL, UNIT_NAME, readLaunchdPlist, readSystemdUnit, serviceFilePath, serviceKind, type InstalledSpec, type ServiceKind } from './service-file.js';
import { SHOW_PROPERTIES, parseSystemdShow } from './systemd-show.js';
import { isNotLoaded, parseLaunchctlPrint } from './launchctl-print.js';
import type { ServiceState } from './service-state.js';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Could not run at all (not installed) or ran out of time. */
  error?: string;
}

/** Runs a manager command, bounded in time and output; never throws. */
export function runManager(argv: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<CommandResult> {
  // Loaded on first use: the doctor's service fact reaches here only when a service file exists.
  const { execFile } = requireBuiltin<typeof import('node:child_process')>('node:child_process');
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { timeout: timeoutMs, maxBuffer: 512 * 1024, env, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
      if (e.killed) return resolve({ code: null, stdout, stderr, error: `${argv[0]} gave no answer within ${timeoutMs} ms` });
      if (typeof e.code === 'string') return resolve({ code: null, stdout, stderr, error: `${argv[0]} could not run (${e.code})` });
      resolve({ code: typeof e.code === 'number' ? e.code : 1, stdout, stderr });
    });
  });
}

export function guiDomain(): string {
  return `gui/${process.getuid?.() ?? 501}`;
}

/** The manager commands, as argv: install, uninstall and supervision use these, and --dry-run prints them. */
export const COMMANDS = {
  systemd: {
    reload: ['systemctl', '--user', 'daemon-reload'],
    enable: ['systemctl', '--user', 'enable', UNIT_NAME],
    enableNow: ['systemctl', '--user', 'enable', '--now', UNIT_NAME],
    disableNow: ['systemctl', '--user', 'disable', '--now', UNIT_NAME],
    start: ['systemctl', '--user', 'start', UNIT_NAME],
    stop: ['systemctl', '--user', 'stop', UNIT_NAME],
    restart: ['systemctl', '--user', 'restart', UNIT_NAME],
    resetFailed: ['systemctl', '--user', 'reset-failed', UNIT_NAME],
    show: ['systemctl', '--user', 'show', UNIT_NAME, '-p', SHOW_PROPERTIES.join(',')],
  },
  launchd: {
    bootstrap: (file: string) => ['launchctl', 'bootstrap', guiDomain(), file],
    bootout: () => ['launchctl', 'bootout', `${guiDomain()}/${LAUNCHD_LABEL}`],
    kickstart: () => ['launchctl', 'kickstart', '-k', `${guiDomain()}/${LAUNCHD_LABEL}`],
    print: () => ['launchctl', 'print', `${guiDomain()}/${LAUNCHD_LABEL}`],
  },
};

/** An installed service file and what it says (read, bounded), or undefined: one stat when there is none. */
export interface InstalledFile {
  kind: ServiceKind;
  file: string;
  spec: InstalledSpec;
}

export async function readInstalled(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): Promise<InstalledFile | undefined> {
  const kind = serviceKind(platform);
  const file = kind && serviceFilePath(kind, env);
  if (!kind || !file) return undefined;
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > 256 * 1024) return { kind, file, spec: { ours: false, argv: [] } };
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return { kind, file, spec: kind === 'systemd' ? readSystemdUnit(text) : await readLaunchdPlist(text) };
}

/** What the manager says of the job; `error` when the manager could not be asked (no user bus, no launchctl). */
export async function queryService(kind: ServiceKind, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<{ state?: ServiceState; error?: string }> {
  if (kind === 'systemd') {
    const r = await runManager(COMMANDS.systemd.show, timeoutMs, env);
    if (r.error) return { error: r.error };
    if (r.code !== 0) return { error: `systemctl --user show failed: ${firstLine(r.stderr) || `exit ${r.code}`}` };
    return { state: parseSystemdShow(r.stdout) };
  }
  const r = await runManager(COMMANDS.launchd.print(), timeoutMs, env);
  if (r.error) return { error: r.error };
  if (r.code !== 0) {
    if (isNotLoaded(r.stderr, r.code)) return { state: { loaded: false, state: 'not-loaded', crashLooping: false, throttled: false, needsReload: false, enabled: false } };
    return { error: `launchctl print failed: ${firstLine(r.stderr) || `exit ${r.code}`}` };
  }
  return { state: parseLaunchctlPrint(r.stdout) };
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0]?.slice(0, 300) ?? '';
}

/**
 * Who supervises this home's daemon: the installed service when opta wrote it, it runs this home, and its manager
 * has it loaded. Costs one stat when no service file exists (every start and stop asks).
 */
export interface Supervisor {
  kind: ServiceKind;
  file: string;
  state: ServiceState;
}

export async function supervisorOf(paths: OptaPaths, env: NodeJS.ProcessEnv = process.env, timeoutMs = 3000): Promise<Supervisor | undefined> {
  const inst = await readInstalled(env);
  if (!inst || !inst.spec.ours || inst.spec.home !== paths.home) return undefined;
  const q = await queryService(inst.kind, timeoutMs, env);
  // A launchd job that `opta daemon stop` booted out is still supervised: start bootstraps it again.
  if (!q.state || (inst.kind === 'systemd' && !q.state.loaded)) return undefined;
  return { kind: inst.kind, file: inst.file, state: q.state };
}

export function managerName(kind: ServiceKind): string {
  return kind === 'systemd' ? `systemd (${UNIT_NAME})` : `launchd (${guiDomain()}/${LAUNCHD_LABEL})`;
}

/** Asks the manager to start/stop/restart the job; throws nothing, returns the failure text. */
export async function control(s: Pick<Supervisor, 'kind' | 'file'>, what: 'start' | 'stop' | 'restart', env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const steps: string[][] =
    s.kind === 'systemd'
      ? what === 'stop'
        ? [COMMANDS.systemd.stop]
        : // A unit that gave up restarting refuses to start until its failure is reset.
          [COMMANDS.systemd.resetFailed, what === 'start' ? COMMANDS.systemd.start : COMMANDS.systemd.restart]
      : what === 'stop'
        ? // KeepAlive would relaunch a killed job: unload it instead (the plist stays; start loads it again).
          [COMMANDS.launchd.bootout()]
        : what === 'start'
          ? [COMMANDS.launchd.bootstrap(s.file)]
          : [COMMANDS.launchd.kickstart()];
  for (const argv of steps) {
    const r = await runManager(argv, 20000, env);
    const ignorable = argv === COMMANDS.systemd.resetFailed;
    if (!ignorable && (r.error || r.code !== 0)) return r.error ?? `${argv.join(' ')} failed: ${firstLine(r.stderr) || `exit ${r.code}`}`;
  }
  return undefined;
}
