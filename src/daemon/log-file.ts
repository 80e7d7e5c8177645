// Opening daemon.log (0600, append-only, never through a link): shared by the daemon's logger and the starter that makes it the daemon's stderr.
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from '../core/atomic.js';
import { causeText, errorCode, OptaError } from '../core/errors.js';

const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = fs.constants;
/** Append-only, created 0600, and never through a symbolic link (O_NOFOLLOW; ELOOP if the name is a link). */
export const APPEND_FLAGS = O_WRONLY | O_APPEND | O_CREAT | (O_NOFOLLOW ?? 0);

/** Why opening the log failed, for a person: a symbolic link is refused (a link could point anywhere). */
export function openFailure(file: string, err: unknown): OptaError {
  if (errorCode(err) === 'ELOOP') {
    return new OptaError(`${file} is a symbolic link; opta never writes its log through a link (it could point at any file). Remove it (rm ${file}) and start again.`);
  }
  return new OptaError(`cannot open the daemon log ${file}: ${causeText(err)}`, 1, { cause: err });
}

/** Opens daemon.log for appending (0600, no links followed), e.g. as a starting daemon's stderr. Throws OptaError. */
export function openLogFd(file: string): number {
  ensurePrivateDir(path.dirname(file));
  try {
    return fs.openSync(file, APPEND_FLAGS, 0o600);
  } catch (err) {
    throw openFailure(file, err);
  }
}
