// The fix plan and the fix report (what `opta doctor --fix --json` prints), inferred from report-schema.ts (types only: no zod at run time).
import type { z } from 'zod';
import type { StepArgs } from '../actions/step-args-schema.js';
import type { FixPlanSchema, FixReportSchema, NeedsPersonSchema, PipelineRecordSchema, RuleOutcomeSchema, StepRecordSchema } from './report-schema.js';

export const FIX_REPORT_SCHEMA_VERSION = 1;

/**
 * A step as planned and run: its guard, what it would do (files, pids), its status and whether it was undone. Its
 * arguments are the pipeline's own (closed vocabularies); the report's schema lets a reader take any string there.
 */
export type StepRecord = Omit<z.infer<typeof StepRecordSchema>, 'args'> & { args: StepArgs };
export type StepStatus = StepRecord['status'];
/** A pipeline selected by this run's findings (or "escalation" for the reset offered when the daemon check still fails). */
export type PipelineRecord = Omit<z.infer<typeof PipelineRecordSchema>, 'steps'> & { steps: StepRecord[] };
export type PipelineStatus = PipelineRecord['status'];
/** A finding no pipeline repairs, and the exact command a person runs (its remediation). */
export type NeedsPerson = z.infer<typeof NeedsPersonSchema>;
/** The pipelines to run, the findings left to a person, and broken or missing pipeline files (exit 2). */
export type FixPlan = Omit<z.infer<typeof FixPlanSchema>, 'pipelines'> & { pipelines: PipelineRecord[] };
export type RuleOutcome = z.infer<typeof RuleOutcomeSchema>;
export type RuleOutcomeName = RuleOutcome['outcome'];
export type FixReport = Omit<z.infer<typeof FixReportSchema>, 'plan'> & { plan: FixPlan };
