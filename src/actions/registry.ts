// Every remediation action by id: the closed vocabulary fix pipelines (rules/fixes/*.json) may name.
import type { Action } from './action.js';
import { configReset } from './config-reset.js';
import { daemonRestart } from './daemon-restart.js';
import { daemonStart } from './daemon-start.js';
import { daemonStop } from './daemon-stop.js';
import { dirCreate } from './dir-create.js';
import { logRemove } from './log-remove.js';
import { modeRepair } from './mode-repair.js';
import { processTerminate } from './process-terminate.js';
import { stateRemove } from './state-remove.js';
import { stateSetAside } from './state-set-aside.js';
import { turnCancel } from './turn-cancel.js';

export const ACTIONS: Action[] = [daemonStart, daemonStop, daemonRestart, processTerminate, stateSetAside, stateRemove, logRemove, dirCreate, modeRepair, turnCancel, configReset];

export function actionById(id: string): Action | undefined {
  return ACTIONS.find((a) => a.id === id);
}
