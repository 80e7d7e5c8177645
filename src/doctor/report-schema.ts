// The zod schema of the doctor --json report, exported to schemas/; report-types.ts infers the report's types from it.
import { z } from 'zod';

const Severity = z.enum(['error', 'warn', 'info']);

export const EvidenceSchema = z.object({
  fact: z.string(),
  path: z.string().nullable(),
  operator: z.string(),
  value: z.unknown(),
  factResult: z.unknown().describe('what the fact held (json-rules-engine factResult)'),
  result: z.boolean(),
});

export const FindingSchema = z.object({
  id: z.string().describe('rule id (rules/doctor/<id>.json)'),
  check: z.string(),
  severity: Severity,
  message: z.string(),
  why: z.string(),
  remediation: z.string().describe('the next command to run'),
  guide: z.string().describe('section of the troubleshooting guide'),
  fix: z.string().nullable().describe('fix pipeline id'),
  fixable: z.boolean(),
  evidence: z.array(EvidenceSchema),
  ruleFile: z.string(),
});

export const SuppressedSchema = FindingSchema.extend({
  suppression: z.object({ reason: z.string(), until: z.string().describe('ISO date: the last day it holds'), file: z.string() }),
});

export const CheckResultSchema = z.object({
  id: z.string(),
  label: z.string(),
  status: z.enum(['ok', 'error', 'warn', 'info', 'skipped', 'not-checked']),
  summary: z.string().describe('the text after the dot'),
  core: z.boolean().describe("one of the guide's five checks"),
  findings: z.array(z.string()),
  facts: z.array(z.string()).describe('facts this check used'),
  ms: z.number().int().describe('when the last of its facts was ready, ms after the start'),
  log: z.array(z.string()).describe('evidence from the current daemon run in daemon.log (rules/logs patterns tied to this check); printed under the check while it fails, and with --verbose'),
});

export const FactRecordSchema = z.object({
  id: z.string(),
  ok: z.boolean(),
  timedOut: z.boolean(),
  error: z.string().optional(),
  startMs: z.number().int(),
  ms: z.number().int(),
  timeoutMs: z.number().int(),
  overridden: z.boolean(),
  uses: z.array(z.string()),
});

export const RuleRunSchema = z.object({
  id: z.string(),
  check: z.string(),
  severity: Severity,
  outcome: z.enum(['fired', 'passed', 'unknown']).describe('unknown: a fact the rule consulted failed or timed out'),
  reason: z.string().nullable(),
});

export const DoctorReportSchema = z
  .object({
    schemaVersion: z.literal(1),
    tool: z.object({ name: z.literal('opta'), version: z.string() }),
    home: z.string().describe('the opta home, ~ for $HOME'),
    startedAt: z.string().describe('ISO 8601'),
    durationMs: z.number().int(),
    deadlineMs: z.number().int().describe('the run deadline (--timeout)'),
    deadlineReached: z.boolean().describe('true when the run itself hit its deadline'),
    strict: z.boolean(),
    status: z.enum(['healthy', 'warnings', 'errors']),
    exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    counts: z.object({ errors: z.number().int(), warnings: z.number().int(), infos: z.number().int() }),
    fixable: z.array(z.string()).describe('ids of findings `opta doctor --fix` can repair'),
    checks: z.array(CheckResultSchema),
    findings: z.array(FindingSchema),
    facts: z.array(FactRecordSchema),
    rules: z.object({
      loaded: z.number().int(),
      selected: z.number().int(),
      validatedNow: z.number().int(),
      ran: z
        .array(RuleRunSchema)
        .describe('every selected rule, in check order (JUnit testcases, OpenMetrics rule series)'),
    }),
    ruleProblems: z.array(z.object({ file: z.string(), jsonPath: z.string(), message: z.string() })),
    suppressed: z
      .array(SuppressedSchema)
      .default([])
      .describe('findings a suppression ({ rule, reason, until }) holds back: not counted, not in the exit code'),
    notices: z.array(z.string()).default([]).describe('what the run ignored and how to change that (an untrusted project rule pack)'),
  })
  .strict()
  .describe('The report printed by `opta doctor --json`.');

/** A report and the values of every fact the run collected (what `opta support analyze` replays, fix guards read). */
export const DoctorCaptureSchema = z.object({ report: DoctorReportSchema, facts: z.record(z.string(), z.record(z.string(), z.unknown())) });
