// `opta daemon install|uninstall`: the file to write, the manager commands to run, written atomically and idempotently.
import fs from 'node:fs';
import { writeFileAtomic } from '../../core/atomic.js';
import { OptaError } from '../../core/errors.js';
import { BIN } from '../../core/install.js';
import { displayPath, type OptaPaths } from '../../core/paths.js';
import { COMMANDS, readInstalled, runManager } from './manager.js';
import { launchdOutLog, launchdPlist, serviceFilePath, serviceKind, shellQuote, systemdUnit, type ServiceKind, type ServiceSpec } from './service-file.js';

export interface InstallPlan {
  kind: ServiceKind;
  file: string;
  text: string;
  /** `unchanged`: the file already says exactly this. */
  change: 'create' | 'replace' | 'unchanged';
  commands: string[][];
}

export function specFor(paths: OptaPaths, node = process.execPath, bin = BIN): ServiceSpec {
  return { node, bin, home: paths.home, outLog: launchdOutLog(paths.daemonDir) };
}

function kindOrFail(platform: NodeJS.Platform): ServiceKind {
  const kind = serviceKind(platform);
  if (!kind) throw new OptaError(`opta daemon install supports systemd (Linux) and launchd (macOS), not ${platform}; run opta daemon run under your own service manager.`, 2);
  return kind;
}

function fileFor(kind: ServiceKind, env: NodeJS.ProcessEnv): string {
  const file = serviceFilePath(kind, env);
  if (!file) throw new OptaError('HOME is not set, so opta cannot tell where the service file goes; set HOME and try again.', 2);
  return file;
}

export async function renderServiceFile(kind: ServiceKind, spec: ServiceSpec): Promise<string> {
  return kind === 'systemd' ? systemdUnit(spec) : launchdPlist(spec);
}

/** What install would do; refuses (exit 1) when a file opta did not write is in the way. */
export async function planInstall(paths: OptaPaths, opts: { now: boolean; env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform }): Promise<InstallPlan> {
  const env = opts.env ?? process.env;
  const kind = kindOrFail(opts.platform ?? process.platform);
  const file = fileFor(kind, env);
  const text = await renderServiceFile(kind, specFor(paths));
  let current: string | undefined;
  try {
    current = fs.readFileSync(file, 'utf8');
  } catch {
    current = undefined;
  }
  if (current !== undefined) {
    const inst = await readInstalled(env, opts.platform ?? process.platform);
    if (!inst?.spec.ours) {
      throw new OptaError(`${displayPath(file, env)} exists and opta did not write it (it lacks opta's marker); not overwriting it. Move it aside (mv ${shellQuote(file)} ${shellQuote(file + '.bak')}) or remove it, then run opta daemon install again.`);
    }
  }
  const change = current === undefined ? 'create' : current === text ? 'unchanged' : 'replace';
  const commands =
    kind === 'systemd'
      ? [COMMANDS.systemd.reload, opts.now ? COMMANDS.systemd.enableNow : COMMANDS.systemd.enable]
      : opts.now
        ? [COMMANDS.launchd.bootstrap(file)]
        : [];
  return { kind, file, text, change, commands };
}

export function commandLine(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** Writes the file (when changed) and runs the manager's commands; throws an OptaError naming the command that failed. */
export async function applyInstall(plan: InstallPlan, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (plan.change !== 'unchanged') writeFileAtomic(plan.file, plan.text, 0o644);
  for (const argv of plan.commands) {
    const r = await runManager(argv, 30000, env);
    // launchctl bootstrap of a job that is already loaded answers 5 (EIO) / 37: the job runs; that is the goal.
    if (argv[0] === 'launchctl' && argv[1] === 'bootstrap' && (r.code === 5 || r.code === 37)) continue;
    if (r.error || r.code !== 0) {
      throw new OptaError(`${displayPath(plan.file, env)} was written, but ${commandLine(argv)} failed: ${(r.error ?? r.stderr.trim().split('\n')[0]) || `exit ${r.code}`}. Run it yourself to see why; opta daemon uninstall removes the file.`);
    }
  }
}

export interface UninstallPlan {
  kind: ServiceKind;
  file: string;
  present: boolean;
  commands: string[][];
}

export async function planUninstall(opts: { env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform } = {}): Promise<UninstallPlan> {
  const env = opts.env ?? process.env;
  const kind = kindOrFail(opts.platform ?? process.platform);
  const file = fileFor(kind, env);
  const inst = await readInstalled(env, opts.platform ?? process.platform);
  if (!inst) return { kind, file, present: false, commands: [] };
  if (!inst.spec.ours) throw new OptaError(`${displayPath(file, env)} was not written by opta (it lacks opta's marker); not removing it.`);
  return { kind, file, present: true, commands: kind === 'systemd' ? [COMMANDS.systemd.disableNow] : [COMMANDS.launchd.bootout()] };
}

/** Stops and unregisters the job, removes the file, then reloads systemd. A job that is not loaded is not an error. */
export async function applyUninstall(plan: UninstallPlan, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const notes: string[] = [];
  for (const argv of plan.commands) {
    const r = await runManager(argv, 30000, env);
    if (r.error || r.code !== 0) notes.push(`${commandLine(argv)}: ${(r.error ?? r.stderr.trim().split('\n')[0]) || `exit ${r.code}`}`);
  }
  fs.rmSync(plan.file, { force: true });
  if (plan.kind === 'systemd') {
    const r = await runManager(COMMANDS.systemd.reload, 30000, env);
    if (r.error || r.code !== 0) notes.push(`systemctl --user daemon-reload: ${(r.error ?? r.stderr.trim().split('\n')[0]) || `exit ${r.code}`}`);
  }
  return notes;
}
