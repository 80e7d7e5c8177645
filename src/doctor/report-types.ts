// The doctor report's types: what every renderer reads and what `opta doctor --json` prints, inferred from report-schema.ts (types only: no zod at run time).
import type { z } from 'zod';
import type { CheckResultSchema, DoctorReportSchema, EvidenceSchema, FactRecordSchema, FindingSchema, RuleRunSchema } from './report-schema.js';

export const REPORT_SCHEMA_VERSION = 1;

/** A condition's operator and values, and what the fact held (json-rules-engine's factResult). */
export type Evidence = z.infer<typeof EvidenceSchema>;
/** A rule's finding as a person reads it: the rule's own fields, filled from the facts, plus the evidence. */
export type Finding = z.infer<typeof FindingSchema>;
export type CheckResult = z.infer<typeof CheckResultSchema>;
export type CheckStatus = CheckResult['status'];
/** A selected rule and what became of it: fired (a finding), passed, or unknown (a fact it consulted failed or timed out). */
export type RuleRun = z.infer<typeof RuleRunSchema>;
/** One fact's collection: when it began, how long it took, its own timeout, and the facts it asked for. */
export type FactRecord = z.infer<typeof FactRecordSchema>;
export type DoctorReport = z.infer<typeof DoctorReportSchema>;
