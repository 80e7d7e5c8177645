// The shape of a fix pipeline file (rules/fixes/<id>.json) as TypeScript types and closed vocabularies, zod-free.
import type { Condition } from '../doctor/rule-types.js';

// The closed vocabularies of a step's arguments belong to the action catalog (actions sit below fix).
export { ARG_NAMES, ASIDE_LABELS, FILE_NAMES, resolveFile, type ArgName, type AsideLabel, type FileName, type StepArgs } from '../actions/catalog.js';
import type { StepArgs } from '../actions/catalog.js';

export interface PipelineStep {
  /** An action id from src/actions/catalog.ts, e.g. "daemon.start". */
  action: string;
  /** What the step does, in a person's words (the progress line). */
  title: string;
  args?: StepArgs;
  /** Run only when this holds on the doctor's facts (json-rules-engine's condition format); otherwise skipped. */
  when?: Condition;
  /** Ask before running (a step whose action is not safe always asks; `false` cannot make it silent). */
  confirm?: boolean;
  /** Roll this step back with its action's undo when a later step of the pipeline fails. */
  undo?: boolean;
}

export interface PipelineFile {
  $schema?: string;
  id: string;
  title: string;
  /** The troubleshooting guide's section this recovery comes from. */
  guide: string;
  /** The doctor rule ids this pipeline repairs. */
  repairs: string[];
  /** Pipelines run in ascending order (directories before modes before the daemon, ...); default 50. */
  order?: number;
  steps: PipelineStep[];
}
