// The zod schema of the `opta doctor --fix --json` report, exported to schemas/; fix-types.ts infers the plan's and report's types from it.
import { z } from 'zod';
import { ActionPlanSchema } from '../actions/action-plan-schema.js';
import { DoctorReportSchema } from '../doctor/report-schema.js';


export const StepRecordSchema = z.object({
  index: z.number().int(),
  action: z.string().describe('action id (src/actions/)'),
  title: z.string(),
  args: z.object({ file: z.string().optional(), label: z.string().optional() }),
  asks: z.boolean(),
  undo: z.boolean(),
  guard: z.object({ held: z.boolean(), detail: z.string().nullable() }),
  plan: ActionPlanSchema,
  status: z.enum(['planned', 'done', 'skipped', 'failed', 'not-run', 'needs-confirmation', 'interrupted']),
  message: z.string().nullable().describe('what the step did, or why it failed'),
  undone: z.object({ ok: z.boolean(), message: z.string() }).nullable(),
});

export const PipelineRecordSchema = z.object({
  id: z.string(),
  title: z.string(),
  guide: z.string(),
  file: z.string(),
  repairs: z.array(z.string()),
  findings: z.array(z.string()).describe('findings of this run that selected the pipeline'),
  asks: z.boolean(),
  status: z.enum(['planned', 'done', 'failed', 'rolled-back', 'needs-confirmation', 'interrupted']),
  error: z.string().nullable(),
  steps: z.array(StepRecordSchema),
});

export const NeedsPersonSchema = z.object({ id: z.string(), severity: z.string(), message: z.string(), next: z.string(), why: z.string() });

export const FixPlanSchema = z.object({
  pipelines: z.array(PipelineRecordSchema),
  needsPerson: z.array(NeedsPersonSchema),
  problems: z.array(z.object({ file: z.string(), jsonPath: z.string(), message: z.string() })),
});

export const RuleOutcomeSchema = z.object({
  id: z.string(),
  check: z.string(),
  severity: z.string(),
  outcome: z.enum(['fixed', 'still-failing', 'needs-person', 'needs-confirmation', 'appeared']),
  pipeline: z.string().nullable(),
  message: z.string(),
  next: z.string().nullable(),
});

export const FixReportSchema = z
  .object({
    schemaVersion: z.literal(1),
    mode: z.enum(['fix', 'dry-run', 'reset']),
    before: DoctorReportSchema.nullable().describe('the doctor before anything ran'),
    plan: FixPlanSchema,
    confirmation: z.object({ needed: z.boolean(), given: z.enum(['yes-flag', 'terminal', 'declined', 'no-terminal', 'not-needed']) }),
    reset: z.object({ offered: z.boolean(), ran: z.boolean(), reason: z.string().nullable() }),
    after: DoctorReportSchema.nullable().describe('the doctor again, on freshly collected facts'),
    rules: z.array(RuleOutcomeSchema),
    interrupted: z.boolean(),
    exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  })
  .strict()
  .describe('The report printed by `opta doctor --fix --json` (and --dry-run --json): the doctor report before and after, and what each pipeline and step did.');
