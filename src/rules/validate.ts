// Full validation of rule files of any kind (zod schema + the kind's cross-checks): `opta rules validate`, the build, changed files.
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { KindValidator, RuleKind, RuleProblem } from './kinds.js';
import { readRuleText } from './read-rule.js';
import { listRuleFiles, newBudget, shownProblems } from './bounds.js';

export function jsonPathOf(segments: ReadonlyArray<PropertyKey>): string {
  return '$' + segments.map((s) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(String(s)) ? `.${String(s)}` : `[${JSON.stringify(String(s))}]`)).join('');
}

/**
 * Validates one file's text against its kind: JSON, the schema, the file name equal to its id, then the kind's checks.
 * Whatever goes wrong inside (a recursion too deep for the stack, say) is a problem of this file: the others still run.
 */
export function validateKindText(kind: RuleKind, v: KindValidator, file: string, text: string): { rule?: unknown; problems: RuleProblem[] } {
  try {
    return validateUnguarded(kind, v, file, text);
  } catch (err) {
    return { problems: [{ file, jsonPath: '$', message: `could not be validated: ${err instanceof Error ? err.message : String(err)}` }] };
  }
}

function validateUnguarded(kind: RuleKind, v: KindValidator, file: string, text: string): { rule?: unknown; problems: RuleProblem[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { problems: [{ file, jsonPath: '$', message: `not valid JSON: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  const parsed = (v.schema as z.ZodType).safeParse(json);
  if (!parsed.success) {
    return { problems: flatten(parsed.error.issues as Issue[]).map((i) => ({ file, jsonPath: jsonPathOf(i.path), message: i.message })) };
  }
  const rule = parsed.data;
  const problems: RuleProblem[] = [];
  const expected = path.basename(file, '.json');
  if (kind.idOf(rule) !== expected) problems.push({ file, jsonPath: kind.idPath, message: `must equal the file name "${expected}"` });
  problems.push(...v.check(file, rule));
  return problems.length ? { problems } : { rule, problems };
}

/** Validates a file, or every *.json in a directory, of one kind (duplicate ids included). */
export function validateKindPath(kind: RuleKind, v: KindValidator, target: string): { rules: Array<{ file: string; rule: unknown }>; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const isDir = fs.statSync(target).isDirectory();
  const files = isDir ? listRuleFiles(target, problems).map((f) => path.join(target, f)) : [target];
  const rules: Array<{ file: string; rule: unknown }> = [];
  const seen = new Map<string, string>();
  const budget = newBudget();
  for (const file of files) {
    const text = readRuleText(file, problems, budget);
    if (text === undefined) continue;
    const r = validateKindText(kind, v, file, text);
    problems.push(...r.problems);
    if (r.rule === undefined) continue;
    const id = kind.idOf(r.rule);
    const prev = seen.get(id);
    if (prev) problems.push({ file, jsonPath: kind.idPath, message: `duplicate id, also in ${prev}` });
    else {
      seen.set(id, file);
      rules.push({ file, rule: r.rule });
    }
  }
  if (v.checkSet && isDir) problems.push(...v.checkSet(rules));
  return { rules, problems: shownProblems(problems) };
}

/** Every kind's validator, loaded (build time and `opta rules validate`). */
export async function allValidators(kinds: readonly RuleKind[]): Promise<Array<{ kind: RuleKind; v: KindValidator }>> {
  return Promise.all(kinds.map(async (kind) => ({ kind, v: await kind.validator() })));
}

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  errors?: Issue[][];
}

/**
 * A union (a condition is leaf | all | any | not) is reported by zod as "Invalid input" at the union.
 * Descend into the branch that came closest (fewest problems, then deepest) so the JSON path names the bad field.
 */
function flatten(issues: Issue[], prefix: PropertyKey[] = []): Array<{ path: PropertyKey[]; message: string }> {
  return issues.flatMap((i) => {
    if (i.code === 'invalid_union' && i.errors?.length) {
      const depth = (b: Issue[]) => Math.max(...b.map((x) => x.path.length));
      const best = [...i.errors].sort((a, b) => a.length - b.length || depth(b) - depth(a))[0];
      if (best.length) return flatten(best, [...prefix, ...i.path]);
    }
    return [{ path: [...prefix, ...i.path], message: i.message }];
  });
}
