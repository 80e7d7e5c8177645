// A doctor rule as the loader hands it on, and the problems validation reports (zod-free: the shapes come from rule-schema.ts as types only).
import { PLACEHOLDER } from '../rules/language/template.js';

export type { FindingParams, RuleFile, Severity } from './rule-schema.js';

export interface LoadedRule {
  file: string;
  rule: import('./rule-schema.js').RuleFile;
  /** Facts named in conditions (including fact references in values). */
  facts: string[];
  /** Facts named in message/remediation placeholders. */
  templateFacts: string[];
}

export type { RuleProblem } from '../rules/rule-problem.js';

/** The facts a doctor template's placeholders name ({{fact-id.path}}: the fact id is the first part). */
export function templateFacts(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER.doctor)].map((m) => m[1].split('.')[0]);
}
