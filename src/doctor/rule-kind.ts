// The doctor rule kind's full validator: the zod schema plus the cross-checks against the known fact collectors.
import { FACT_IDS } from '../facts/registry.js';
import type { KindValidator, RuleProblem } from '../rules/kinds.js';
import { RuleFileSchema } from './rule-schema.js';
import { conditionFacts, templateFacts, type RuleFile } from './rule-types.js';

/** Problems zod cannot see: facts a condition or placeholder names must have a collector. */
export function doctorChecks(file: string, rule: RuleFile, knownFacts: readonly string[] = FACT_IDS): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const known = new Set(knownFacts);
  walk(rule.conditions, '$.conditions', (fact, at) => {
    if (!known.has(fact)) problems.push({ file, jsonPath: at, message: `unknown fact "${fact}" (known: ${knownFacts.join(', ')})` });
  });
  for (const field of ['message', 'remediation'] as const) {
    for (const f of templateFacts(rule.event.params[field])) {
      if (!known.has(f)) problems.push({ file, jsonPath: `$.event.params.${field}`, message: `placeholder names unknown fact "${f}"` });
    }
  }
  if (!conditionFacts(rule.conditions).size) problems.push({ file, jsonPath: '$.conditions', message: 'names no fact' });
  return problems;
}

function walk(c: unknown, at: string, visit: (fact: string, at: string) => void): void {
  const o = c as Record<string, unknown>;
  if (typeof o.fact === 'string') {
    visit(o.fact, `${at}.fact`);
    const v = o.value as { fact?: unknown } | undefined;
    if (v && typeof v === 'object' && typeof v.fact === 'string') visit(v.fact, `${at}.value.fact`);
    return;
  }
  for (const k of ['all', 'any'] as const) if (Array.isArray(o[k])) (o[k] as unknown[]).forEach((x, i) => walk(x, `${at}.${k}[${i}]`, visit));
  if (o.not) walk(o.not, `${at}.not`, visit);
}

export const doctorValidator: KindValidator = {
  title: 'opta doctor rule',
  schema: RuleFileSchema,
  check: (file, rule) => doctorChecks(file, rule as RuleFile),
};
