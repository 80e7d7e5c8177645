// Session workspaces: the one directory a session's tools may read, checked at creation and (after symlinks) on every call.
import fs from 'node:fs';
import path from 'node:path';

/** True when `p` is `dir` or lies below it (both absolute and already resolved). */
export function isInside(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** The real path of the opta home (tools never read it), or the path as given when it cannot be resolved. */
export function realHome(optaHome: string): string {
  try {
    return fs.realpathSync(optaHome);
  } catch {
    return path.resolve(optaHome);
  }
}

/**
 * Checks a workspace given when a session is created: an absolute path to an existing directory, resolved through its
 * symlinks, which is neither the opta home nor inside it (a workspace that contains the home is fine: the home itself
 * stays refused on every call). Returns the real path, or the problem in words.
 */
export function checkWorkspace(given: string, optaHome: string): { ok: true; dir: string } | { ok: false; problem: string } {
  if (!path.isAbsolute(given)) return { ok: false, problem: `must be an absolute path (got "${given}")` };
  let dir: string;
  try {
    dir = fs.realpathSync(given);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, problem: code === 'ENOENT' ? `${given} does not exist` : `${given} cannot be resolved (${code})` };
  }
  if (!fs.statSync(dir).isDirectory()) return { ok: false, problem: `${given} is not a directory` };
  const home = realHome(optaHome);
  if (isInside(dir, home)) return { ok: false, problem: `${given} is the opta home or inside it (${home}), which tools never read` };
  return { ok: true, dir };
}
