// The log pattern kind's full validator: zod schema of rules/logs/<id>.json (exported to schemas/) plus the checks a schema cannot make.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CHECKS } from '../rules/checks.js';
import { rulesDir, type KindValidator, type RuleProblem } from '../rules/kinds.js';
import { BUILTINS, LEVELS, NAMESPACES, placeholders, strayBraces, type LogPattern } from './pattern-types.js';
import { regexInfo } from './regex-info.js';

const kebab = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case (a-z, 0-9, -)');
const text = z.string().trim().min(1, 'must not be empty');

export const LogPatternSchema = z
  .object({
    $schema: z.string().optional(),
    id: kebab.describe('stable pattern id; equals the file name'),
    levels: z.array(z.enum(LEVELS)).min(1).describe('log levels the pattern applies to (JSON lines: level/severity values are mapped to these)'),
    regex: text.describe('JavaScript regular expression (no flags) over the message: the line after its time and level; named groups (?<name>...) may be used in message and remediation'),
    severity: z.enum(['error', 'warn', 'info']).describe('`opta logs analyze --strict` exits 1 on an error-level finding'),
    message: text.describe('what was found; placeholders: named groups (values of the last match), {{count}}, {{times}}, {{first}}, {{last}}, {{scope}}, {{config.<key>}}, {{paths.<name>}}, and {{<number>*N}}'),
    why: text.describe('why it matters'),
    remediation: text.describe('the exact command a person runs next; placeholders as in message'),
    guide: text.describe('the heading of the troubleshooting guide this pattern comes from'),
    check: z.union([kebab, z.null()]).describe('the doctor check this is evidence for (lmx, daemon, model, ...), or null: the doctor then reports it under the logs check'),
    fix: z.union([kebab.regex(/^fix-/, 'must start with "fix-"'), z.null()]).describe('id of a fix pipeline, or null'),
    runStart: z.boolean().optional().describe('true for the line that begins a daemon run ("daemon started"): --since-start and opta doctor look at what follows the last one'),
    startup: z.boolean().optional().describe('true for lines the daemon writes while starting, just before "daemon started" (a session it could not load, a fallback port): with --since-start they count in the run that line begins'),
    examples: z.array(text).min(1).describe('messages (without time and level) the regex must match'),
  })
  .strict()
  .describe('An opta log pattern: a regular expression over daemon.log messages and the finding it produces.');

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
    const info = regexInfo(p.regex);
    groups = info.groups;
    if (info.minLength === 0) {
      problems.push({ file, jsonPath: '$.regex', message: 'can match the empty string, so it would match every line; anchor it to text that must be there (e.g. "^daemon started on ")' });
    }
    p.examples.forEach((ex, i) => {
      if (!re!.test(ex)) problems.push({ file, jsonPath: `$.examples[${i}]`, message: `does not match the regex: "${ex}"` });
    });
  }
  for (const field of ['message', 'remediation'] as const) {
    if (strayBraces(p[field])) problems.push({ file, jsonPath: `$.${field}`, message: 'has "{{" that is not a placeholder ({{name}} or {{name*N}})' });
    for (const ph of placeholders(p[field])) {
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
  if (p.runStart && p.startup) problems.push({ file, jsonPath: '$.startup', message: 'a run-start pattern is not also a start-up line' });
  if (p.runStart && !p.levels.includes('INFO')) problems.push({ file, jsonPath: '$.levels', message: 'a run-start pattern must apply to INFO lines ("daemon started" is written at INFO)' });
  return problems;
}

export const logPatternValidator: KindValidator = {
  title: 'opta log pattern',
  schema: LogPatternSchema,
  check: (file, rule) => logPatternChecks(file, rule as LogPattern),
};
