// The shape of a fix pipeline file (rules/fixes/<id>.json) as TypeScript types and closed vocabularies, zod-free.
import type { Condition } from '../rules/language/condition.js';
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

export interface StepArgs {
  file?: FileName;
  label?: AsideLabel;
}

export const ARG_NAMES = ['file', 'label'] as const;
export type ArgName = (typeof ARG_NAMES)[number];

export interface PipelineStep {
  /** An action id from src/actions/registry.ts, e.g. "daemon.start". */
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

export function resolveFile(paths: OptaPaths, name: FileName): string {
  return paths[name];
}
