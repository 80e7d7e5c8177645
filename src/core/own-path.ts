// Within the opta home, opta acts on what it owns: a path that resolves (through a symlink) outside the home is never read or changed through.
import fs from 'node:fs';
import path from 'node:path';
import { OptaError } from './errors.js';
import { displayPath } from './paths.js';

/**
 * Where `p` really is when a symlink (the entry itself or a directory on the way) takes it out of `home`, else
 * undefined (inside the home, or missing: nothing to follow). The home itself may be a link (OPTA_HOME is the user's).
 */
export function linkOut(p: string, home: string): string | undefined {
  let real: string;
  let realHome: string;
  try {
    realHome = fs.realpathSync(home);
    real = fs.realpathSync(p);
  } catch {
    return undefined;
  }
  return real === realHome || real.startsWith(realHome + path.sep) ? undefined : real;
}

/** The one-paragraph error for a command asked to read or change `p` when it links out of the home. */
export function refuseLinkOut(p: string, home: string, env: NodeJS.ProcessEnv = process.env): void {
  const target = linkOut(p, home);
  if (target === undefined) return;
  const d = displayPath(p, env);
  throw new OptaError(
    `${d} is a link to ${target}, outside the opta home: opta does not read or change anything through a link out of its home. Remove the link (rm ${d}) and run the command again.`,
    2,
  );
}
