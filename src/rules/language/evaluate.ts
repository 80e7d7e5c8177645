// The rule language's synchronous evaluator (fix step guards): json-rules-engine's answer on known facts, and "unknown" otherwise.
import { factRef, isLeaf, type Condition } from './condition.js';
import { applyOperator, resolvePath } from './operators.js';

/**
 * true or false as json-rules-engine would answer on the same values; null when a fact the answer depends on is
 * unknown (missing, failed, timed out, or its path leads nowhere). Unknown spreads as in three-valued logic:
 * `not unknown` is unknown, `all` is false if one part is false, `any` is true if one part is true.
 */
export interface Evaluation {
  value: boolean | null;
  /** The leaf conditions and the values they saw, e.g. `daemon.status is "running" (runs when in ["stale","foreign"])`. */
  detail: string;
}

/** A fact's value, or undefined when it is unknown. */
export type FactLookup = (fact: string) => unknown;

const name = (fact: string, path?: string) => `${fact}${path ? path.slice(1) : ''}`;

function valueOf(lookup: FactLookup, fact: string, path?: string): unknown {
  const v = lookup(fact);
  return v === undefined || !path ? v : resolvePath(v, path);
}

export function evaluateCondition(c: Condition, lookup: FactLookup): Evaluation {
  if (isLeaf(c)) {
    const actual = valueOf(lookup, c.fact, c.path);
    const ref = factRef(c.value);
    const wanted = ref ? valueOf(lookup, ref.fact, ref.path) : c.value;
    const known = actual !== undefined && (ref === undefined || wanted !== undefined);
    return {
      value: known ? applyOperator(c.operator, actual, wanted) : null,
      detail: `${name(c.fact, c.path)} is ${actual === undefined ? 'unknown' : JSON.stringify(actual)} (runs when ${c.operator} ${JSON.stringify(wanted)})`,
    };
  }
  if ('all' in c) {
    const rs = c.all.map((x) => evaluateCondition(x, lookup));
    const notTrue = rs.filter((r) => r.value !== true);
    const value = rs.some((r) => r.value === false) ? false : notTrue.length ? null : true;
    return { value, detail: (notTrue.length ? notTrue : rs).map((r) => r.detail).join('; ') };
  }
  if ('any' in c) {
    const rs = c.any.map((x) => evaluateCondition(x, lookup));
    const hit = rs.find((r) => r.value === true);
    const value = hit ? true : rs.some((r) => r.value === null) ? null : false;
    return { value, detail: hit ? hit.detail : rs.map((r) => r.detail).join('; ') };
  }
  const r = evaluateCondition(c.not, lookup);
  return { value: r.value === null ? null : !r.value, detail: `not (${r.detail})` };
}
