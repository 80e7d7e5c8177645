// The shape of a doctor rule file as TypeScript types (zod-free, so loading validated rules costs nothing).
import { oneLine } from '../core/one-line.js';

export type Severity = 'error' | 'warn' | 'info';

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

export interface FactRef {
  fact: string;
  path?: string;
}

export interface LeafCondition {
  fact: string;
  path?: string;
  operator: Operator;
  value: unknown;
  priority?: number;
  name?: string;
}

export type Condition = LeafCondition | { all: Condition[] } | { any: Condition[] } | { not: Condition };
export type TopCondition = { all: Condition[] } | { any: Condition[] } | { not: Condition };

/** Our fields, carried in json-rules-engine's event.params. */
export interface FindingParams {
  id: string;
  check: string;
  severity: Severity;
  /** What is wrong; {{fact.path}} placeholders are filled from facts. */
  message: string;
  /** Why it matters. */
  why: string;
  /** The exact command a person runs next (placeholders allowed). */
  remediation: string;
  /** The heading of the troubleshooting guide this rule comes from. */
  guide: string;
  /** The id of the fix pipeline `opta doctor --fix` will run (a later issue), or null. */
  fix: string | null;
}

export interface RuleFile {
  $schema?: string;
  name: string;
  priority?: number;
  conditions: TopCondition;
  event: { type: 'finding'; params: FindingParams };
}

export interface LoadedRule {
  file: string;
  rule: RuleFile;
  /** Facts named in conditions (including fact references in values). */
  facts: string[];
  /** Facts named in message/remediation placeholders. */
  templateFacts: string[];
}

/** A problem in a rule file: declared by the rule kernel, named here too for the code that imports it from here. */
export type { RuleProblem } from '../rules/kinds.js';

export function isLeaf(c: Condition): c is LeafCondition {
  return typeof (c as LeafCondition).fact === 'string';
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

const PLACEHOLDER = /\{\{\s*([a-z0-9-]+)((?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g;

export function templateFacts(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]);
}

/**
 * Fills {{fact.path.to.value}} from resolved fact values; a missing value shows as "(unknown)". A value is data from
 * the world (an LMX answer, a path): it is put in as one line, its control characters escaped, so it can never start a
 * line of its own in a report (a CI log's ::workflow-command, a forged check line) or drive a terminal.
 */
export function fillTemplate(text: string, facts: Record<string, unknown>): string {
  return text.replace(PLACEHOLDER, (_m, fact: string, path: string) => {
    let cur: unknown = facts[fact];
    for (const part of path.split('.').filter(Boolean)) {
      if (cur === null || typeof cur !== 'object') return '(unknown)';
      cur = (cur as Record<string, unknown>)[part];
    }
    if (cur === undefined || cur === null) return '(unknown)';
    return typeof cur === 'object' ? JSON.stringify(cur) : oneLine(String(cur));
  });
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
