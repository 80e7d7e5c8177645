// What every command needs: the resolved paths, and the shape of a command's result (its exit code).
import { optaPaths, resolveHome, type OptaPaths } from '../core/paths.js';

/** 0: what was asked holds; 1: the answer is no / something is wrong; 2: could not run as asked. */
export type ExitCode = 0 | 1 | 2;

export function cliPaths(): OptaPaths {
  return optaPaths(resolveHome());
}

/** Set by a command that has a deadline: the entry point ends the process at this time if something still holds it open. */
export const runtime: { hardStopAt?: number } = {};
