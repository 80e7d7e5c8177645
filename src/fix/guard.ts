// Evaluates a step's guard (json-rules-engine's condition format) on the doctor's fact values, synchronously and without the engine.
import type { FactValue } from '../facts/fact.js';
import { resolvePath, type Condition, type FactRef, type LeafCondition } from '../doctor/rule-types.js';

export interface GuardResult {
  held: boolean;
  /** The leaf conditions and the values they saw, e.g. `daemon.status is "running" (wanted in ["stale","foreign"])`. */
  detail: string;
}

function valueOf(facts: Record<string, FactValue>, fact: string, path?: string): unknown {
  const v = facts[fact];
  if (v === undefined || v.ok === false) return undefined;
  return path ? resolvePath(v, path) : v;
}

function compare(op: LeafCondition['operator'], a: unknown, b: unknown): boolean {
  switch (op) {
    case 'equal': return a === b;
    case 'notEqual': return a !== b;
    case 'lessThan': return typeof a === 'number' && typeof b === 'number' && a < b;
    case 'lessThanInclusive': return typeof a === 'number' && typeof b === 'number' && a <= b;
    case 'greaterThan': return typeof a === 'number' && typeof b === 'number' && a > b;
    case 'greaterThanInclusive': return typeof a === 'number' && typeof b === 'number' && a >= b;
    case 'in': return Array.isArray(b) && b.includes(a);
    case 'notIn': return Array.isArray(b) && !b.includes(a);
    case 'contains': return Array.isArray(a) && a.includes(b);
    case 'doesNotContain': return Array.isArray(a) && !a.includes(b);
  }
}

const name = (fact: string, path?: string) => `${fact}${path ? path.slice(1) : ''}`;

function leaf(c: LeafCondition, facts: Record<string, FactValue>): GuardResult {
  const actual = valueOf(facts, c.fact, c.path);
  const ref = c.value as FactRef | undefined;
  const wanted = ref && typeof ref === 'object' && !Array.isArray(ref) && typeof ref.fact === 'string' ? valueOf(facts, ref.fact, ref.path) : c.value;
  // An unknown or failed fact never lets a step run: a guard exists to hold a step back.
  const held = actual !== undefined && compare(c.operator, actual, wanted);
  return { held, detail: `${name(c.fact, c.path)} is ${actual === undefined ? 'unknown' : JSON.stringify(actual)} (runs when ${c.operator} ${JSON.stringify(wanted)})` };
}

export function evaluateGuard(c: Condition, facts: Record<string, FactValue>): GuardResult {
  if ('fact' in c) return leaf(c as LeafCondition, facts);
  if ('all' in c) {
    const rs = c.all.map((x) => evaluateGuard(x, facts));
    const failed = rs.filter((r) => !r.held);
    return { held: failed.length === 0, detail: (failed.length ? failed : rs).map((r) => r.detail).join('; ') };
  }
  if ('any' in c) {
    const rs = c.any.map((x) => evaluateGuard(x, facts));
    const hit = rs.find((r) => r.held);
    return { held: Boolean(hit), detail: hit ? hit.detail : rs.map((r) => r.detail).join('; ') };
  }
  const r = evaluateGuard(c.not, facts);
  return { held: !r.held, detail: `not (${r.detail})` };
}
