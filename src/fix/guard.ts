// Evaluates a step's guard (the rule language's condition) on the doctor's fact values: the step runs only when it surely holds.
import type { FactValue } from '../facts/fact.js';
import type { Condition } from '../rules/language/condition.js';
import { evaluateCondition } from '../rules/language/evaluate.js';

export interface GuardResult {
  held: boolean;
  /** The leaf conditions and the values they saw, e.g. `daemon.status is "running" (runs when in ["stale","foreign"])`. */
  detail: string;
}

/** An unknown or failed fact never lets a step run, `not` included: a guard exists to hold a step back. */
export function evaluateGuard(c: Condition, facts: Record<string, FactValue>): GuardResult {
  const r = evaluateCondition(c, (fact) => {
    const v = facts[fact];
    return v === undefined || v.ok === false ? undefined : v;
  });
  return { held: r.value === true, detail: r.detail };
}
