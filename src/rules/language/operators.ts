// The rule language's operators (json-rules-engine's defaults) and fact paths, zod-free: the schema and both evaluators share them.

export const OPERATORS = [
  'equal',
  'notEqual',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** json-rules-engine's numberValidator: a fact value a number comparison accepts ("5" included, as the engine does). */
const numeric = (a: unknown) => Number.parseFloat(a as string).toString() !== 'NaN';
const searchable = (b: unknown): b is { indexOf(x: unknown): number } => Array.isArray(b) || typeof b === 'string';

/**
 * What json-rules-engine's operator answers for a known fact value `a` and the rule's value `b`. Where the engine
 * would throw (`in` over a number), this answers false: a step is held back, never run by accident.
 */
export function applyOperator(op: Operator, a: unknown, b: unknown): boolean {
  switch (op) {
    case 'equal': return a === b;
    case 'notEqual': return a !== b;
    case 'lessThan': return numeric(a) && (a as number) < (b as number);
    case 'lessThanInclusive': return numeric(a) && (a as number) <= (b as number);
    case 'greaterThan': return numeric(a) && (a as number) > (b as number);
    case 'greaterThanInclusive': return numeric(a) && (a as number) >= (b as number);
    case 'in': return searchable(b) && b.indexOf(a) > -1;
    case 'notIn': return searchable(b) && b.indexOf(a) === -1;
    case 'contains': return Array.isArray(a) && a.indexOf(b) > -1;
    case 'doesNotContain': return Array.isArray(a) && a.indexOf(b) === -1;
  }
}

/** The JSONPath subset rule files may use: $.a.b, $.a[0].b. Validated by the schema; resolved without jsonpath-plus. */
export const SIMPLE_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*$/;

export function resolvePath(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const m of path.slice(1).matchAll(/\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]/g)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[m[1] ?? Number(m[2])];
  }
  return cur;
}
