// The log pattern kind's full validator: the zod schema of rules/logs/<id>.json (pattern-schema.ts) plus the checks a schema cannot make.
import fs from 'node:fs';
import path from 'node:path';
import { CHECKS } from '../rules/checks.js';
import { superLinear } from '../rules/regex-check.js';
import type { KindValidator } from '../rules/kinds.js';
import { rulesDir } from '../rules/kinds.js';
import type { RuleProblem } from '../rules/rule-problem.js';
import { placeholders, strayBraces } from '../rules/language/template.js';
import { BUILTINS, exampleLine, NAMESPACES } from './pattern-types.js';
import { LogPatternSchema, type LogPattern } from './pattern-schema.js';
import { regexInfo } from './regex-info.js';
import { familyProblems } from './family.js';

/** Checks the doctor reports live (a pattern is evidence for one of these); `logs` and `doctor` are not live checks. */
const LIVE_CHECKS = CHECKS.map((c) => c.id).filter((id) => id !== 'logs' && id !== 'doctor');

/** Fix pipeline ids that exist: rules/fixes/<id>.json, and those doctor rules name. */
function knownFixes(): Set<string> {
  const out = new Set<string>();
  const read = (dir: string, each: (j: Record<string, any>, file: string) => void) => {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    } catch {
      return;
    }
    for (const n of names) {
      try {
        each(JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')), n);
      } catch {
        /* a broken file is reported by its own kind */
      }
    }
  };
  read(rulesDir('fixes'), (_j, n) => out.add(path.basename(n, '.json')));
  read(rulesDir('doctor'), (j) => {
    const fix = j?.event?.params?.fix;
    if (typeof fix === 'string') out.add(fix);
  });
  return out;
}

let fixCache: Set<string> | undefined;

/** Problems zod cannot see: the regex compiles, cannot match the empty string, names what templates use; known check and fix; examples match. */
export function logPatternChecks(file: string, p: LogPattern, fixes: Set<string> = (fixCache ??= knownFixes())): RuleProblem[] {
  const problems: RuleProblem[] = [];
  let re: RegExp | undefined;
  try {
    re = new RegExp(p.regex);
  } catch (err) {
    problems.push({ file, jsonPath: '$.regex', message: `not a valid regular expression: ${(err as Error).message}` });
  }
  let groups: string[] = [];
  if (re) {
    // Checked before any line meets it: shipped files at build time, a --rules directory's when it is loaded.
    const slow = superLinear(p.regex);
    if (slow) problems.push({ file, jsonPath: '$.regex', message: slow });
    const info = regexInfo(p.regex);
    groups = info.groups;
    if (info.minLength === 0) {
      problems.push({ file, jsonPath: '$.regex', message: 'can match the empty string, so it would match every line; anchor it to text that must be there (e.g. "^daemon started on ")' });
    }
    p.examples.map(exampleLine).forEach((ex, i) => {
      if (!re!.test(ex)) problems.push({ file, jsonPath: `$.examples[${i}]`, message: `does not match the regex: "${ex}"` });
    });
  }
  for (const field of ['message', 'remediation'] as const) {
    if (strayBraces(p[field], 'logs')) problems.push({ file, jsonPath: `$.${field}`, message: 'has "{{" that is not a placeholder ({{name}} or {{name*N}})' });
    for (const ph of placeholders(p[field], 'logs')) {
      const head = ph.name.split('.')[0];
      const ok = (BUILTINS as readonly string[]).includes(ph.name) || groups.includes(ph.name) || ((NAMESPACES as readonly string[]).includes(head) && ph.name.includes('.'));
      if (!ok) {
        problems.push({
          file,
          jsonPath: `$.${field}`,
          message: `placeholder {{${ph.name}}} names no group of the regex (${groups.join(', ') || 'none'}), builtin (${BUILTINS.join(', ')}) or config.*/paths.* value`,
        });
      }
    }
  }
  if (p.check !== null && !LIVE_CHECKS.includes(p.check)) {
    problems.push({ file, jsonPath: '$.check', message: `unknown check "${p.check}" (live checks: ${LIVE_CHECKS.join(', ')}; null when there is none)` });
  }
  if (p.fix !== null && !fixes.has(p.fix)) {
    problems.push({ file, jsonPath: '$.fix', message: `unknown fix pipeline "${p.fix}" (known: ${[...fixes].sort().join(', ') || 'none'}; null when there is none)` });
  }
  if (p.catchAll && !p.family) problems.push({ file, jsonPath: '$.catchAll', message: 'a catch-all belongs to a family: add "family"' });
  if (p.runStart && p.startup) problems.push({ file, jsonPath: '$.startup', message: 'a run-start pattern is not also a start-up line' });
  if (p.runStart && !p.levels.includes('INFO')) problems.push({ file, jsonPath: '$.levels', message: 'a run-start pattern must apply to INFO lines ("daemon started" is written at INFO)' });
  return problems;
}

export const logPatternValidator: KindValidator = {
  title: 'opta log pattern',
  schema: LogPatternSchema,
  check: (file, rule) => logPatternChecks(file, rule as LogPattern),
  checkSet: (rules) => familyProblems(rules as Array<{ file: string; rule: LogPattern }>),
};
