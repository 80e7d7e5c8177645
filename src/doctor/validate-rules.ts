// Validates doctor rule files against an explicit list of known facts (the tests pass their own list).
import type { KindValidator, RuleProblem } from '../rules/kinds.js';
import { validateKindPath, validateKindText } from '../rules/validate.js';
import { doctorKind } from './kind.js';
import { doctorChecks, doctorValidator } from './rule-kind.js';
import type { RuleFile } from './rule-types.js';

/** Doctor rules with an explicit list of known facts (tests pass their own). */
export function validateRuleText(file: string, text: string, knownFacts: readonly string[]): { rule?: RuleFile; problems: RuleProblem[] } {
  const v: KindValidator = { ...doctorValidator, check: (f, r) => doctorChecks(f, r as RuleFile, knownFacts) };
  return validateKindText(doctorKind, v, file, text) as { rule?: RuleFile; problems: RuleProblem[] };
}

export function validatePath(target: string, knownFacts: readonly string[]): { rules: Array<{ file: string; rule: RuleFile }>; problems: RuleProblem[] } {
  const v: KindValidator = { ...doctorValidator, check: (f, r) => doctorChecks(f, r as RuleFile, knownFacts) };
  return validateKindPath(doctorKind, v, target) as { rules: Array<{ file: string; rule: RuleFile }>; problems: RuleProblem[] };
}
