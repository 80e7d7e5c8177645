// The guide's "Reset Everything" as a sequence of actions: stop, remove state and logs, start. sessions/ is not touched.
import { readState } from '../core/state.js';
import type { OptaPaths } from '../core/paths.js';
import { OptaError } from '../core/errors.js';
import type { Action } from './action.js';
import { daemonStop } from './daemon-stop.js';
import { stateRemove } from './state-remove.js';
import { logRemove } from './log-remove.js';
import { daemonStart } from './daemon-start.js';

export const RESET_STEPS: Action[] = [daemonStop, stateRemove, logRemove, daemonStart];

export async function resetDaemon(paths: OptaPaths): Promise<{ log: string[]; state: NonNullable<ReturnType<typeof validState>> }> {
  const log: string[] = [];
  for (const [i, step] of RESET_STEPS.entries()) {
    const r = await step.run({ paths });
    log.push(`Step ${i + 1}: ${step.description}: ${r.message}`);
  }
  const state = validState(paths);
  if (!state) throw new OptaError('reset finished but the daemon has no valid state file. Inspect: opta daemon logs --lines 200');
  return { log, state };
}

function validState(paths: OptaPaths) {
  const r = readState(paths.stateFile);
  return r.class === 'valid' ? r.state : undefined;
}
