// Resolves every file opta reads or writes, from one place, so tests and users can move the home.
import { requireBuiltin } from './install.js';
import path from 'node:path';
import { shellPath } from './shell-quote.js';

export interface OptaPaths {
  home: string;
  daemonDir: string;
  stateFile: string;
  logFile: string;
  lockFile: string;
  /** Room the running daemon keeps so that, on a full disk, interrupted turns can still record their turn.error. */
  reserveFile: string;
  /** Held by `opta doctor --fix` and `opta daemon reset` for their whole run (separate from daemon.lock, which start takes). */
  fixLockFile: string;
  sessionsDir: string;
  configFile: string;
}

/** OPTA_HOME, else $XDG_CONFIG_HOME/opta, else %APPDATA%\opta on Windows, else ~/.config/opta. */
export function resolveHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.OPTA_HOME) return path.resolve(env.OPTA_HOME);
  if (env.XDG_CONFIG_HOME) return path.resolve(env.XDG_CONFIG_HOME, 'opta');
  if (platform === 'win32' && env.APPDATA) return path.resolve(env.APPDATA, 'opta');
  // os.homedir() honours $HOME on POSIX, which is what lets tests use a throwaway HOME.
  const home = env.HOME || requireBuiltin<typeof import('node:os')>('node:os').homedir();
  return path.resolve(home, '.config', 'opta');
}

export function optaPaths(home: string = resolveHome()): OptaPaths {
  const daemonDir = path.join(home, 'daemon');
  return {
    home,
    daemonDir,
    stateFile: path.join(daemonDir, 'state.json'),
    logFile: path.join(daemonDir, 'daemon.log'),
    lockFile: path.join(daemonDir, 'daemon.lock'),
    reserveFile: path.join(daemonDir, 'space.reserve'),
    fixLockFile: path.join(daemonDir, 'fix.lock'),
    sessionsDir: path.join(home, 'sessions'),
    configFile: path.join(home, 'config.json'),
  };
}

/**
 * Shows a path the way a person types it into a shell: ~/.config/opta/... when it lies under HOME, quoted where it
 * needs it (a space, a quote, a $), so a printed command built from it acts on exactly that path (core/shell-quote.ts).
 */
export function displayPath(p: string, env: NodeJS.ProcessEnv = process.env): string {
  return shellPath(p, env.HOME);
}
