// Conditions read without zod: which facts a condition names, and whether a node is a leaf.
import type { Condition, FactRef, LeafCondition } from './condition-schema.js';

export type { Condition, FactRef, LeafCondition, TopCondition } from './condition-schema.js';

export function isLeaf(c: Condition): c is LeafCondition {
  return typeof (c as LeafCondition).fact === 'string';
}

/** The `{ fact, path }` a leaf's value names instead of a constant, if it does. */
export function factRef(value: unknown): FactRef | undefined {
  const v = value as FactRef | undefined;
  return v && typeof v === 'object' && !Array.isArray(v) && typeof v.fact === 'string' ? v : undefined;
}

/** Every fact a condition tree names, including `{ fact }` references used as values. */
export function conditionFacts(c: Condition, out = new Set<string>()): Set<string> {
  if (isLeaf(c)) {
    out.add(c.fact);
    const v = c.value as FactRef | undefined;
    if (v && typeof v === 'object' && typeof v.fact === 'string') out.add(v.fact);
  } else if ('all' in c) c.all.forEach((x) => conditionFacts(x, out));
  else if ('any' in c) c.any.forEach((x) => conditionFacts(x, out));
  else if ('not' in c) conditionFacts(c.not, out);
  return out;
}
