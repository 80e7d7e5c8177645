// The fix lock (daemon/fix.lock): one --fix or daemon reset at a time per home; the second names the first instead of waiting.
import { acquireLock, lockHolder, type Lock } from '../core/lock.js';
import { OptaError } from '../core/errors.js';
import type { OptaPaths } from '../core/paths.js';
import { processCommand } from '../core/proc.js';

function busyError(pid: number, at: string | undefined): OptaError {
  const cmd = processCommand(pid);
  return new OptaError(
    `another fix is running in this home: pid ${pid}${cmd ? ` (${cmd})` : ''}${at ? `, since ${at}` : ''}. ` +
      'Wait for it to finish, then run opta doctor to see the result.',
  );
}

/** Read-only: throws when a live process holds the fix lock. */
export function busy(paths: OptaPaths): void {
  const h = lockHolder(paths.fixLockFile, paths.home);
  if (h && h.pid !== process.pid) throw busyError(h.pid, h.at);
}

/** Two fix runs must not overlap; the second names the first instead of waiting for it. */
export async function takeFixLock(paths: OptaPaths): Promise<Lock> {
  try {
    return await acquireLock(paths.fixLockFile, paths.home, 0);
  } catch (err) {
    const h = lockHolder(paths.fixLockFile, paths.home);
    if (!h) throw err;
    throw busyError(h.pid, h.at);
  }
}

