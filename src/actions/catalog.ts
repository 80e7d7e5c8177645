// The catalog of remediation actions: ids, what each does, whether it asks, its arguments and undo; validators import this, not the actions.
import type { OptaPaths } from '../core/paths.js';

/**
 * The files a step may name, by name only. sessions/ (the users' history) has no name here, so no pipeline can
 * point an action at it or anything under it; free paths and shell text cannot be written either.
 */
export const FILE_NAMES = ['stateFile', 'logFile', 'configFile'] as const;
export type FileName = (typeof FILE_NAMES)[number];

/** What a set-aside file is labelled with: state.json.corrupt-<time>, state.json.stale-<time>. */
export const ASIDE_LABELS = ['corrupt', 'stale'] as const;
export type AsideLabel = (typeof ASIDE_LABELS)[number];


export const ARG_NAMES = ['file', 'label'] as const;
export type ArgName = (typeof ARG_NAMES)[number];

/** Which argument names an action accepts (each from its closed vocabulary), and which of them it needs. */
export type ArgSpec = Partial<Record<ArgName, { values: readonly string[]; required: boolean }>>;

export interface ActionInfo {
  description: string;
  /** Runs without asking (creating directories, repairing modes, ...). Stopping processes, cancelling turns, changing config or deleting data ask. */
  safe: boolean;
  args: ArgSpec;
  /** Whether the action can put back what it changed (a step may then ask for `undo`). */
  undo: boolean;
}

/** Every action, in the order `opta rules list --kind fixes` and the JSON Schema name them. */
export const ACTION_CATALOG = {
  'daemon.start': {
    description: 'start the daemon and wait until it serves; a daemon of this home running without a state file is asked to write it again (SIGHUP)',
    safe: true,
    args: {},
    undo: false,
  },
  'daemon.stop': {
    description: "stop the daemon (SIGTERM, then SIGKILL after a grace period), only once its pid is proven to be this home's daemon",
    safe: false,
    args: {},
    undo: false,
  },
  'daemon.restart': {
    description: "stop the daemon (only a pid proven to be this home's daemon is signalled), then start a new one",
    safe: false,
    args: {},
    undo: false,
  },
  'process.terminate': {
    description: 'stop daemon processes of this home that hold a daemon port without answering (proven by their command line and home); any other owner is named and left alone',
    safe: false,
    args: {},
    undo: false,
  },
  'state.set-aside': {
    description: 'move state.json aside as state.json.<label>-<time>, only when the daemon it names is not running (dead pid, foreign pid or corrupt content)',
    safe: true,
    args: { file: { values: ['stateFile'], required: true }, label: { values: ASIDE_LABELS, required: true } },
    undo: true,
  },
  'state.remove': {
    description: 'remove state.json (only while no daemon of this home runs)',
    safe: false,
    args: { file: { values: ['stateFile'], required: true } },
    undo: false,
  },
  'log.remove': {
    description: 'remove daemon.log and daemon.log.1',
    safe: false,
    args: { file: { values: ['logFile'], required: true } },
    undo: false,
  },
  'dir.create': {
    description: "create the home's missing directories (home, daemon/, sessions/) with mode 0700",
    safe: true,
    args: {},
    undo: true,
  },
  'mode.repair': {
    description: 'set 0700 on directories and 0600 on files whose modes matter (secrets readable by others, anything others can write)',
    safe: true,
    args: {},
    undo: true,
  },
  'turn.cancel': {
    description: 'cancel the active and queued turns of every session whose permission request waits with no client connected (POST /v3/sessions/:id/cancel)',
    safe: false,
    args: {},
    undo: false,
  },
  'config.reset': {
    description: 'reset the invalid values in config.json to their defaults (a backup copy config.json.bak-<time> is kept)',
    safe: false,
    args: { file: { values: ['configFile'], required: true } },
    undo: true,
  },
  'service.reload': {
    description: 'systemctl --user daemon-reload, so systemd runs the opta-daemon.service file as it is now (the running daemon is not touched)',
    safe: true,
    args: {},
    undo: false,
  },
  'service.rewrite': {
    description: 'rewrite the unit/plist opta daemon install wrote so it runs the node and opta that exist now, for this home, then reload it (only a file carrying opta\'s marker; the running daemon is not touched)',
    safe: true,
    args: {},
    undo: false,
  },
} as const satisfies Record<string, ActionInfo>;

export type ActionId = keyof typeof ACTION_CATALOG;
export const ACTION_IDS = Object.keys(ACTION_CATALOG) as ActionId[];

export function actionInfo(id: string): ActionInfo | undefined {
  return Object.hasOwn(ACTION_CATALOG, id) ? ACTION_CATALOG[id as ActionId] : undefined;
}

export function resolveFile(paths: OptaPaths, name: FileName): string {
  return paths[name];
}
