// The fix plan and the fix report (what `opta doctor --fix --json` prints; schema: schemas/fix-report.schema.json), zod-free.
import type { ActionPlan } from '../actions/action.js';
import type { DoctorReport } from '../doctor/report-types.js';
import type { RuleProblem } from '../rules/kinds.js';
import type { StepArgs } from './pipeline-types.js';

export const FIX_REPORT_SCHEMA_VERSION = 1;

export type StepStatus = 'planned' | 'done' | 'skipped' | 'failed' | 'not-run' | 'needs-confirmation' | 'interrupted';

export interface StepRecord {
  index: number;
  action: string;
  title: string;
  args: StepArgs;
  /** The step asks before it runs (its action is not safe, or the pipeline says so). */
  asks: boolean;
  /** The step is rolled back by its action's undo when a later step fails. */
  undo: boolean;
  guard: { held: boolean; detail: string | null };
  /** What it would do (files, pids), computed before anything ran. */
  plan: ActionPlan;
  status: StepStatus;
  message: string | null;
  /** Set when the step was rolled back (or its undo failed). */
  undone: { ok: boolean; message: string } | null;
}

export type PipelineStatus = 'planned' | 'done' | 'failed' | 'rolled-back' | 'needs-confirmation' | 'interrupted';

export interface PipelineRecord {
  id: string;
  title: string;
  guide: string;
  file: string;
  repairs: string[];
  /** The findings of this run that selected it (or "escalation" for the reset offered when the daemon check still fails). */
  findings: string[];
  asks: boolean;
  status: PipelineStatus;
  error: string | null;
  steps: StepRecord[];
}

export interface NeedsPerson {
  id: string;
  severity: string;
  message: string;
  /** The exact command a person runs (the finding's remediation). */
  next: string;
  why: string;
}

export interface FixPlan {
  pipelines: PipelineRecord[];
  /** Findings no pipeline repairs (LMX on another host, a foreign program on the daemon port, ...). */
  needsPerson: NeedsPerson[];
  /** Broken or missing pipeline files (exit 2). */
  problems: RuleProblem[];
}

export type RuleOutcomeName = 'fixed' | 'still-failing' | 'needs-person' | 'needs-confirmation' | 'appeared';

export interface RuleOutcome {
  id: string;
  check: string;
  severity: string;
  outcome: RuleOutcomeName;
  /** The pipeline that was to repair it. */
  pipeline: string | null;
  /** The latest message (after the fix when it still fires). */
  message: string;
  /** The command to run next when it is not fixed. */
  next: string | null;
}

export interface FixReport {
  schemaVersion: number;
  mode: 'fix' | 'dry-run' | 'reset';
  /** The doctor before anything ran (null for opta daemon reset). */
  before: DoctorReport | null;
  plan: FixPlan;
  confirmation: { needed: boolean; given: 'yes-flag' | 'terminal' | 'declined' | 'no-terminal' | 'not-needed' };
  /** The Reset Everything pipeline, offered when targeted pipelines left the daemon check failing. */
  reset: { offered: boolean; ran: boolean; reason: string | null };
  /** The doctor run again on freshly collected facts (null for a dry run or when interrupted). */
  after: DoctorReport | null;
  rules: RuleOutcome[];
  interrupted: boolean;
  exitCode: 0 | 1 | 2;
}
