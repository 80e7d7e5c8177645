// Every remediation action by id: the catalog's entries joined to their implementations (one file per action).
import type { Action, ActionImpl } from './action.js';
import { ACTION_CATALOG, ACTION_IDS, type ActionId } from './catalog.js';
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
import { serviceReload } from './service-reload.js';
import { serviceRewrite } from './service-rewrite.js';

/** One implementation per catalog id: a catalog entry without one (or one the catalog lacks) does not compile. */
const IMPLEMENTATIONS: { [K in ActionId]: ActionImpl<K> } = {
  'daemon.start': daemonStart,
  'daemon.stop': daemonStop,
  'daemon.restart': daemonRestart,
  'process.terminate': processTerminate,
  'state.set-aside': stateSetAside,
  'state.remove': stateRemove,
  'log.remove': logRemove,
  'dir.create': dirCreate,
  'mode.repair': modeRepair,
  'turn.cancel': turnCancel,
  'config.reset': configReset,
  'service.reload': serviceReload,
  'service.rewrite': serviceRewrite,
};

export const ACTIONS: Action[] = ACTION_IDS.map((id) => {
  const { description, safe, args } = ACTION_CATALOG[id];
  return { id, description, safe, args, ...(IMPLEMENTATIONS[id] as ActionImpl<ActionId>) } as Action;
});

export function actionById(id: string): Action | undefined {
  return ACTIONS.find((a) => a.id === id);
}
