// Process facts: liveness by signal zero, a pid's command line, and proof that a pid is this home's daemon.
import fs from 'node:fs';
import { requireBuiltin } from './install.js';
import { errorCode } from './errors.js';

/** The daemon's command line carries this marker and `--home <home>`, so a reused pid is never mistaken for it. */
export const DAEMON_MARKER = '--opta-daemon';

/** child_process is needed only where /proc is not (macOS, BSD): loaded on first use. */
const execFileSync = () => requireBuiltin<typeof import('node:child_process')>('node:child_process').execFileSync;

export type Liveness = 'alive' | 'dead' | 'alive-not-ours-to-signal';

/** A zombie has exited but is not yet reaped (its new parent may reap late); signal zero still succeeds on it. */
function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

export function pidLiveness(pid: number): Liveness {
  try {
    process.kill(pid, 0);
    return isZombie(pid) ? 'dead' : 'alive';
  } catch (err) {
    // EPERM: the pid exists but belongs to another user; it is certainly not our daemon.
    return errorCode(err) === 'EPERM' ? 'alive-not-ours-to-signal' : 'dead';
  }
}

export function isAlive(pid: number): boolean {
  return pidLiveness(pid) !== 'dead';
}

/** The argv of a pid, or undefined when the process is gone or cannot be read. */
export function processArgv(pid: number): string[] | undefined {
  if (process.platform === 'linux') {
    try {
      const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const argv = raw.split('\0');
      if (argv[argv.length - 1] === '') argv.pop();
      return argv.length ? argv : undefined;
    } catch {
      return undefined;
    }
  }
  try {
    const out = execFileSync()('ps', ['-ww', '-o', 'command=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const line = out.trim();
    return line ? line.split(/\s+/) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Something that tells this run of a pid from any later process given the same pid: the start time in clock ticks
 * since boot on Linux (/proc/<pid>/stat field 22), `ps -o lstart=` elsewhere. Undefined when the pid is gone.
 */
export function processStartId(pid: number): string | undefined {
  if (process.platform === 'linux') {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime field 22.
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    } catch {
      return undefined;
    }
  }
  try {
    return execFileSync()('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function processCommand(pid: number): string | undefined {
  return processArgv(pid)?.join(' ');
}

/** True only when the pid's command line is an Opta daemon serving exactly this home. */
export function isOptaDaemonOf(pid: number, home: string): boolean {
  const argv = processArgv(pid);
  if (!argv || !argv.includes(DAEMON_MARKER)) return false;
  const i = argv.indexOf('--home');
  return i >= 0 && sameHome(argv[i + 1], home);
}

/**
 * One home reached by two paths (a symlinked ~/.config, a service started with the real path) is one home: its daemon
 * is ours, never "foreign" (which would have it replaced by a second daemon writing the same sessions/).
 */
export function sameHome(a: string | undefined, home: string): boolean {
  if (a === undefined) return false;
  if (a === home) return true;
  try {
    return fs.realpathSync(a) === fs.realpathSync(home);
  } catch {
    return false;
  }
}

/** True when the command line looks like any Opta daemon (of any home). */
export function looksLikeOptaDaemon(argv: string[] | string | undefined): boolean {
  if (!argv) return false;
  return (Array.isArray(argv) ? argv.join(' ') : argv).includes(DAEMON_MARKER);
}

/** Resolves once the pid is gone, or false after timeoutMs. Polls: there is no portable exit event for a non-child. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !isAlive(pid);
}
