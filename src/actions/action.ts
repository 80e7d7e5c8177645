// The shape of a remediation action: a small named verb that fix pipelines and commands compose.
import type { OptaPaths } from '../core/paths.js';

export interface ActionContext {
  paths: OptaPaths;
}

export interface ActionResult {
  /** done: it changed something; skipped: nothing to do (a guard held); the message says which. */
  outcome: 'done' | 'skipped';
  message: string;
}

export interface Action {
  id: string;
  description: string;
  run(ctx: ActionContext): Promise<ActionResult>;
}
