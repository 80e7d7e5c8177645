// Loads the doctor's rules (the doctor kind through the rule loader) and describes each for the engine: the facts it needs.
import { manifestOf, loadKind } from '../rules/loader.js';
import type { RuleProblem } from '../rules/kinds.js';
import { doctorKind } from './kind.js';
import { templateFacts, type LoadedRule, type RuleFile } from './rule-types.js';
import { conditionFacts } from '../rules/language/condition.js';

export const DEFAULT_RULES_DIR = doctorKind.dir;

/**
 * The facts to start before the built-in doctor rules are read (the build derived them from those rules): their
 * probes are then out while the rule files load. Only a hint: the run keeps what the rules it loads turn out to need.
 */
export function earlyFacts(): string[] {
  return manifestOf(doctorKind).early ?? [];
}

export function describeRule(file: string, rule: RuleFile): LoadedRule {
  const p = rule.event.params;
  return {
    file,
    rule,
    facts: [...conditionFacts(rule.conditions)],
    templateFacts: [...new Set([...templateFacts(p.message), ...templateFacts(p.remediation)])],
  };
}

export interface LoadResult {
  rules: LoadedRule[];
  problems: RuleProblem[];
  validatedNow: number;
}

/** The doctor's rules, described for the engine. */
export async function loadRules(dir: string = DEFAULT_RULES_DIR): Promise<LoadResult> {
  const r = await loadKind<RuleFile>(doctorKind, dir);
  return { rules: r.items.map((i) => describeRule(i.file, i.rule)), problems: r.problems, validatedNow: r.validatedNow };
}
