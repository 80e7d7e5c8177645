// A call straight to the daemon its state file names, when it plainly runs: no crash guardian, for commands whose start-up counts.
import { exchange, type HttpResult } from '../../core/http-exchange.js';
import type { OptaPaths } from '../../core/paths.js';
import { isAlive, isOptaDaemonOf } from '../../core/proc.js';
import { readStateLite } from '../../core/state-lite.js';

/** As long as the guardian's own check of a daemon waits for its answer (inspectDaemon). */
const QUICK_TIMEOUT_MS = 1500;

/**
 * A GET to the daemon of this home when its running record is valid, its pid alive and an Opta daemon of this home,
 * answered 200: what the guardian would have found anyway, without loading it (its service managers, locks, spawn and
 * crash reports). Undefined for anything else (no record, a dead pid, a refused or slow connection, a 401 from another
 * daemon on the port, any error status): the caller then makes the call through the guardian, which starts, replaces
 * or reports the daemon as always, and words the error.
 */
export async function quickGet(paths: OptaPaths, path: string): Promise<HttpResult | undefined> {
  const read = readStateLite(paths.stateFile);
  if (read.class !== 'valid') return undefined;
  const s = read.state;
  // An address only (the daemon's record names the one it bound): a name goes through the guardian's call, which resolves it.
  const r = await exchange({ host: s.host, port: s.port, path }, {
    timeoutMs: QUICK_TIMEOUT_MS,
    headers: { authorization: `Bearer ${s.token}` },
    // The token goes only to the daemon of this home: checked while the connection is made.
    beforeSend: () => isAlive(s.pid) && isOptaDaemonOf(s.pid, paths.home),
  });
  return !r.errorCode && r.status === 200 && r.json !== undefined ? r : undefined;
}
