// The shape of a remediation action: a small named verb that fix pipelines compose, with its plan, run and undo.
import type { OptaPaths } from '../core/paths.js';
import type { ACTION_CATALOG, ActionId, ArgSpec } from './catalog.js';
import type { StepArgs } from './step-args-schema.js';
import type { z } from 'zod';
import type { ActionPlanSchema, LeftAloneSchema, PlannedFileSchema, PlannedSignalSchema } from './action-plan-schema.js';

export interface ActionContext {
  paths: OptaPaths;
  env: NodeJS.ProcessEnv;
  args: StepArgs;
}

export type PlannedFile = z.infer<typeof PlannedFileSchema>;
export type PlannedSignal = z.infer<typeof PlannedSignalSchema>;
export type LeftAlone = z.infer<typeof LeftAloneSchema>;
export type ActionPlan = z.infer<typeof ActionPlanSchema>;

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
