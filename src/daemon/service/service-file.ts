// What `opta daemon install` writes, where, and what an installed file says: the systemd user unit and the launchd plist.
import path from 'node:path';
import { OptaError } from '../../core/errors.js';

export type ServiceKind = 'systemd' | 'launchd';

/** The unit's name (systemd) and the job's label (launchd): one service per user, whichever home it runs. */
export const UNIT_NAME = 'opta-daemon.service';
export const LAUNCHD_LABEL = 'dev.opta.daemon';
/** Marks a file opta wrote: install overwrites and uninstall removes only a file that carries it. */
export const MARKER = 'Written by opta daemon install; opta daemon uninstall removes it. Do not edit: opta rewrites it.';

/** What the service runs: `<node> <opta bin> daemon run` with the opta home in the environment. */
export interface ServiceSpec {
  node: string;
  bin: string;
  home: string;
  /** Where launchd sends the job's stdout/stderr (systemd sends them to the journal). */
  outLog: string;
}

export function serviceKind(platform: NodeJS.Platform = process.platform): ServiceKind | undefined {
  return platform === 'linux' ? 'systemd' : platform === 'darwin' ? 'launchd' : undefined;
}

/** The user's unit file or LaunchAgent plist; HOME comes from env so tests (and the person) choose it. */
export function serviceFilePath(kind: ServiceKind, env: NodeJS.ProcessEnv): string | undefined {
  const home = env.HOME;
  if (kind === 'systemd') {
    const config = env.XDG_CONFIG_HOME ? path.resolve(env.XDG_CONFIG_HOME) : home ? path.join(home, '.config') : undefined;
    return config && path.join(config, 'systemd', 'user', UNIT_NAME);
  }
  return home ? path.join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`) : undefined;
}

/** The launchd job's stdout/stderr file: beside daemon.log, not in it (the daemon writes daemon.log itself). */
export function launchdOutLog(daemonDir: string): string {
  return path.join(daemonDir, 'launchd.log');
}

/** One ExecStart/Environment word in systemd's syntax: quoted when needed, `%` escaped, and `$` too in ExecStart (which expands it). */
export function systemdWord(s: string, exec = true): string {
  if (/[\n\r\0]/.test(s)) throw new OptaError(`cannot write a systemd unit for a path with a line break: ${JSON.stringify(s)}`, 2);
  const escaped = exec ? s.replace(/%/g, '%%').replace(/\$/g, '$$$$') : s.replace(/%/g, '%%');
  if (/^[A-Za-z0-9_@+=:,./%$-]+$/.test(s)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The systemd user unit. Restart only on failure, so a clean `systemctl --user stop` (or a clean exit) stays stopped. */
export function systemdUnit(spec: ServiceSpec): string {
  return [
    `# ${MARKER}`,
    '[Unit]',
    'Description=Opta daemon',
    // Crash-loop bound, written out so the doctor compares NRestarts with a number it knows.
    'StartLimitIntervalSec=60',
    'StartLimitBurst=5',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${[spec.node, spec.bin, 'daemon', 'run'].map((w) => systemdWord(w)).join(' ')}`,
    `Environment=${systemdWord(`OPTA_HOME=${spec.home}`, false)}`,
    'Restart=on-failure',
    'RestartSec=2',
    // `daemon run` forwards SIGTERM to the daemon, which saves its sessions: give it time before SIGKILL.
    'TimeoutStopSec=15',
    'StandardOutput=journal',
    'StandardError=journal',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/** systemd's word splitting for the lines opta writes: double-quoted words with backslash escapes, `%%` and `$$`. */
export function splitSystemdWords(line: string, exec = true): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const raw = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
    const once = raw.replace(/%%/g, '%');
    words.push(exec ? once.replace(/\$\$/g, '$') : once);
  }
  return words;
}

/** What an installed file says: whether opta wrote it, the command it runs and the home in its environment. */
export interface InstalledSpec {
  ours: boolean;
  argv: string[];
  home?: string;
}

export function readSystemdUnit(text: string): InstalledSpec {
  const lines = text.split('\n');
  let argv: string[] = [];
  let home: string | undefined;
  for (const l of lines) {
    if (l.startsWith('ExecStart=')) argv = splitSystemdWords(l.slice('ExecStart='.length));
    else if (l.startsWith('Environment=')) {
      for (const w of splitSystemdWords(l.slice('Environment='.length), false)) if (w.startsWith('OPTA_HOME=')) home = w.slice('OPTA_HOME='.length);
    }
  }
  return { ours: lines.includes(`# ${MARKER}`), argv, home };
}

/** The plist library is ESM and costs ~140 ms to load: only the install, uninstall and service-fact paths load it. */
async function plistLib(): Promise<typeof import('plist')> {
  return import('plist');
}

/** The LaunchAgent's job: KeepAlive only after a failed exit, throttled, started at load, output beside daemon.log. */
export function launchdJob(spec: ServiceSpec): Record<string, unknown> {
  return {
    Label: LAUNCHD_LABEL,
    ProgramArguments: [spec.node, spec.bin, 'daemon', 'run'],
    EnvironmentVariables: { OPTA_HOME: spec.home },
    RunAtLoad: true,
    KeepAlive: { SuccessfulExit: false },
    ThrottleInterval: 10,
    ExitTimeOut: 15,
    ProcessType: 'Background',
    StandardOutPath: spec.outLog,
    StandardErrorPath: spec.outLog,
  };
}

export async function launchdPlist(spec: ServiceSpec): Promise<string> {
  const { build } = await plistLib();
  const xml = build(launchdJob(spec) as import('plist').PlistValue);
  // The marker is an XML comment (launchd ignores comments; an unknown key would be kept in its job record).
  return xml.replace('<plist version="1.0">', `<!-- ${MARKER} -->\n<plist version="1.0">`) + (xml.endsWith('\n') ? '' : '\n');
}

/** Parses a plist, bounded and quiet: xmldom prints "[xmldom fatalError]" to stderr on bad input, which is not ours to show. */
export async function parsePlist(text: string): Promise<Record<string, unknown> | undefined> {
  const { parse } = await plistLib();
  const errWrite = process.stderr.write;
  const origError = console.error;
  const origWarn = console.warn;
  try {
    process.stderr.write = (() => true) as typeof process.stderr.write;
    console.error = () => {};
    console.warn = () => {};
    const v = parse(text.slice(0, 256 * 1024));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  } finally {
    process.stderr.write = errWrite;
    console.error = origError;
    console.warn = origWarn;
  }
}

export async function readLaunchdPlist(text: string): Promise<InstalledSpec> {
  const job = await parsePlist(text);
  const args = job?.ProgramArguments;
  const env = job?.EnvironmentVariables as Record<string, unknown> | undefined;
  return {
    ours: text.includes(`<!-- ${MARKER} -->`),
    argv: Array.isArray(args) ? args.filter((a): a is string => typeof a === 'string') : [],
    home: typeof env?.OPTA_HOME === 'string' ? env.OPTA_HOME : undefined,
  };
}

/** A word for a POSIX shell, for the commands opta prints (--dry-run, a rule's next step). */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
