// What `opta rules test` asks of a rule kind (KindTester) and what each case gives back; the kinds run their own cases.
import type { PackOptions } from './packs.js';

/** One case of one rule: what was expected, and what differed (null when it held). */
export interface CaseResult {
  /** fires, passes, example, near-miss, plan, lookalike: what kind of case it is. */
  kind: string;
  name: string;
  ok: boolean;
  detail: string | null;
}

export interface RuleTestResult {
  kind: string;
  id: string;
  file: string;
  cases: CaseResult[];
  /** The kinds of case a rule must carry and does not (a rule without a firing and a passing case is untested). */
  missing: string[];
}

export interface TestContext {
  /** Where the other layers come from (a fix pipeline's cases need the doctor rules it repairs). */
  packs: PackOptions;
}

/** A kind's own runner for the cases its rule files carry (doctor/rule-cases.ts, logs/pattern-cases.ts, ...). */
export interface KindTester {
  test(items: Array<{ file: string; rule: unknown }>, ctx: TestContext): Promise<RuleTestResult[]>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `patch` deep-merged onto `base` (objects merge key by key; arrays and other values replace), neither changed. */
export function deepMerge<T>(base: T, patch: unknown): T {
  if (!isObject(base) || !isObject(patch)) return structuredClone(patch === undefined ? base : patch) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = k in base ? deepMerge(base[k], v) : structuredClone(v);
  return out as T;
}

/** A value for a one-line report: JSON, clipped (what differed, not the whole fact). */
export function shown(v: unknown, max = 160): string {
  const s = v === undefined ? 'undefined' : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
