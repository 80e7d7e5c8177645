// Full validation of rule files (zod schema + cross-checks): used by `opta rules validate`, the build, and changed files.
import fs from 'node:fs';
import path from 'node:path';
import { RuleFileSchema } from './rule-schema.js';
import { conditionFacts, templateFacts, type RuleFile, type RuleProblem, type TopCondition } from './rule-types.js';

export function jsonPathOf(segments: ReadonlyArray<PropertyKey>): string {
  return '$' + segments.map((s) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(String(s)) ? `.${String(s)}` : `[${JSON.stringify(String(s))}]`)).join('');
}

/** Validates one rule file's text; returns the parsed rule or every problem with its JSON path. */
export function validateRuleText(file: string, text: string, knownFacts: readonly string[]): { rule?: RuleFile; problems: RuleProblem[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { problems: [{ file, jsonPath: '$', message: `not valid JSON: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  const parsed = RuleFileSchema.safeParse(json);
  if (!parsed.success) {
    return { problems: flatten(parsed.error.issues as Issue[]).map((i) => ({ file, jsonPath: jsonPathOf(i.path), message: i.message })) };
  }
  const rule = parsed.data as RuleFile;
  const problems: RuleProblem[] = [];
  const expected = path.basename(file, '.json');
  if (rule.event.params.id !== expected) problems.push({ file, jsonPath: '$.event.params.id', message: `must equal the file name "${expected}"` });
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
  return problems.length ? { problems } : { rule, problems };
}

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  errors?: Issue[][];
}

/**
 * A condition is a union (leaf | all | any | not), and zod reports a bad leaf as "Invalid input" at the union.
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

/** Validates a rule file or every *.json in a directory (duplicate ids included). */
export function validatePath(target: string, knownFacts: readonly string[]): { rules: Array<{ file: string; rule: RuleFile }>; problems: RuleProblem[] } {
  const files = fs.statSync(target).isDirectory()
    ? fs.readdirSync(target).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(target, f))
    : [target];
  const rules: Array<{ file: string; rule: RuleFile }> = [];
  const problems: RuleProblem[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const r = validateRuleText(file, fs.readFileSync(file, 'utf8'), knownFacts);
    problems.push(...r.problems);
    if (!r.rule) continue;
    const prev = seen.get(r.rule.event.params.id);
    if (prev) problems.push({ file, jsonPath: '$.event.params.id', message: `duplicate rule id, also in ${prev}` });
    else {
      seen.set(r.rule.event.params.id, file);
      rules.push({ file, rule: r.rule });
    }
  }
  return { rules, problems };
}

export type { TopCondition };
