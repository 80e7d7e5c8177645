// The doctor report: what every renderer reads and what `opta doctor --json` prints (schema: schemas/doctor-report.schema.json).
import type { FindingParams } from './rule-types.js';
import type { FactRecord } from './fact-store.js';

export const REPORT_SCHEMA_VERSION = 1;

export interface Evidence {
  fact: string;
  path: string | null;
  operator: string;
  /** The rule's value (or a fact reference), and what the fact held. */
  value: unknown;
  factResult: unknown;
  result: boolean;
}

/** A rule's finding as a person reads it: the rule's own fields, filled from the facts, plus the evidence. */
export interface Finding extends FindingParams {
  fixable: boolean;
  evidence: Evidence[];
  ruleFile: string;
}

export type CheckStatus = 'ok' | 'error' | 'warn' | 'info' | 'skipped' | 'not-checked';

export interface CheckResult {
  id: string;
  label: string;
  status: CheckStatus;
  /** The text after the dot. */
  summary: string;
  core: boolean;
  findings: string[];
  facts: string[];
  ms: number;
  /** Evidence from the current daemon run's log (rules/logs patterns tied to this check); shown while the check fails. */
  log: string[];
}

/** A selected rule and what became of it: fired (a finding), passed, or unknown (a fact it consulted failed or timed out). */
export interface RuleRun {
  id: string;
  check: string;
  severity: FindingParams['severity'];
  outcome: 'fired' | 'passed' | 'unknown';
  /** Why the outcome is unknown ("lmx gave no answer within 2000 ms"), else null. */
  reason: string | null;
}

export interface DoctorReport {
  schemaVersion: number;
  tool: { name: 'opta'; version: string };
  home: string;
  startedAt: string;
  durationMs: number;
  deadlineMs: number;
  deadlineReached: boolean;
  strict: boolean;
  status: 'healthy' | 'warnings' | 'errors';
  exitCode: 0 | 1 | 2;
  counts: { errors: number; warnings: number; infos: number };
  /** Ids of findings `opta doctor --fix` can repair. */
  fixable: string[];
  checks: CheckResult[];
  findings: Finding[];
  facts: FactRecord[];
  rules: { loaded: number; selected: number; validatedNow: number; ran: RuleRun[] };
  ruleProblems: Array<{ file: string; jsonPath: string; message: string }>;
}
