// The shape of a remediation action: a small named verb that fix pipelines compose, with its plan, run and undo.
import type { OptaPaths } from '../core/paths.js';
import type { ACTION_CATALOG, ActionId, ArgSpec } from './catalog.js';
import type { StepArgs } from './step-args-schema.js';

export interface ActionContext {
  paths: OptaPaths;
  env: NodeJS.ProcessEnv;
  args: StepArgs;
}

/** A file or directory a step would change, and how. */
export interface PlannedFile {
  path: string;
  change: string;
}

/** A process a step would signal (only ever one proven to be this home's daemon). */
export interface PlannedSignal {
  pid: number;
  command: string | null;
  signal: string;
}

/** A process a step saw and will not touch, with the command a person could run instead. */
export interface LeftAlone {
  pid: number;
  command: string | null;
  reason: string;
  next: string;
}

/** What a step would do, computed without changing anything (--dry-run, and the plan shown before asking). */
export interface ActionPlan {
  summary: string;
  files: PlannedFile[];
  pids: PlannedSignal[];
  leftAlone: LeftAlone[];
  /** Set when the step would find nothing to do. */
  nothingToDo?: string;
}

export interface ActionResult {
  /** done: it changed something; skipped: nothing to do; the message says which. */
  outcome: 'done' | 'skipped';
  message: string;
  /** What undo needs to put things back (the path a file was moved to, the modes before, ...). */
  undoData?: unknown;
}

export interface Action {
  id: string;
  description: string;
  /** Runs without asking (creating directories, repairing modes, ...). Stopping processes, cancelling turns, changing config or deleting data ask. */
  safe: boolean;
  args: ArgSpec;
  plan(ctx: ActionContext): Promise<ActionPlan>;
  run(ctx: ActionContext): Promise<ActionResult>;
  /**
   * Why the step would fail now for a reason known in advance (a daemon that cannot start with this config.json),
   * read-only. Asked of every step that would run before its pipeline's first step: a pipeline never stops or removes
   * anything on the way to a step that cannot succeed. `before`: the actions of the steps that run ahead of it.
   */
  blocked?(ctx: ActionContext & { before: string[] }): Promise<string | undefined>;
  /** Puts back what run changed; returns what it did. Absent where undo makes no sense (a started daemon, a cancelled turn). */
  undo?(ctx: ActionContext, undoData: unknown): Promise<string>;
}

/**
 * What an action's file implements: the catalog (catalog.ts) says what it is, asks and takes; an action the catalog
 * says can undo must have `undo`, one that cannot must not (a compile error either way).
 */
export type ActionImpl<K extends ActionId> = Omit<Action, 'id' | 'description' | 'safe' | 'args' | 'undo'> &
  ((typeof ACTION_CATALOG)[K]['undo'] extends true ? { undo: NonNullable<Action['undo']> } : { undo?: never });

export function plan(summary: string, parts: Partial<Omit<ActionPlan, 'summary'>> = {}): ActionPlan {
  return { summary, files: [], pids: [], leftAlone: [], ...parts };
}
