// Loads the doctor's rules (the doctor kind through the rule loader) and describes each for the engine: the facts it needs.
import { loadKind, manifestOf } from '../rules/loader.js';
import { loadPacked, type DisabledRule, type PackedLoad, type PackName, type PackOptions } from '../rules/packs.js';
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
  /** Rule id -> the pack it came from (shipped, rules for --rules, user, project). */
  packs: Map<string, PackName>;
  disabled: DisabledRule[];
  /** An untrusted project pack was ignored (said once, on stderr and in the report). */
  notices: string[];
}

/**
 * The doctor's rules through every pack layer (--rules DIR in place of the shipped ones), described for the engine;
 * given a directory, that directory's rules alone (tests, rule authors).
 */
export async function loadRules(packs: PackOptions | string = DEFAULT_RULES_DIR): Promise<LoadResult> {
  let r: PackedLoad<RuleFile>;
  if (typeof packs === 'string') {
    const one = await loadKind<RuleFile>(doctorKind, packs);
    r = { ...one, items: one.items.map((i) => ({ ...i, pack: 'rules' })), disabled: [], notices: [] };
  } else r = await loadPacked<RuleFile>(doctorKind, packs);
  return {
    rules: r.items.map((i) => describeRule(i.file, i.rule)),
    problems: r.problems,
    validatedNow: r.validatedNow,
    packs: new Map(r.items.map((i) => [i.rule.event.params.id, i.pack])),
    disabled: r.disabled,
    notices: r.notices,
  };
}
