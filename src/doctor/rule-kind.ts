// The doctor rule kind's full validator: the zod schema plus the cross-checks against the known fact collectors.
import fs from 'node:fs';
import path from 'node:path';
import { FACT_ID_LIST } from '../facts/catalog.js';
import { rulesDir, type KindValidator } from '../rules/kinds.js';
import { defaultPackOptions, projectTrust } from '../rules/packs.js';
import { readRuleText } from '../rules/read-rule.js';
import { RuleFileSchema } from './rule-schema.js';
import { conditionFacts } from '../rules/language/condition.js';
import { templateFacts, type RuleFile, type RuleProblem } from './rule-types.js';

/**
 * Problems zod cannot see: facts a condition or placeholder names must have a collector, and the fix pipeline a rule
 * names must list the rule in its `repairs` (else any rule could send `--fix --yes` to Reset Everything).
 */
export function doctorChecks(file: string, rule: RuleFile, knownFacts: readonly string[] = FACT_ID_LIST, repairsOf: ReadonlyMap<string, readonly string[]> = knownRepairs()): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const { id, fix } = rule.event.params;
  if (typeof fix === 'string') {
    const repairs = repairsOf.get(fix);
    if (!repairs) problems.push({ file, jsonPath: '$.event.params.fix', message: `names fix pipeline "${fix}", which does not exist in rules/fixes (opta rules list --kind fixes)` });
    else if (!repairs.includes(id)) problems.push({ file, jsonPath: '$.event.params.fix', message: `names fix pipeline "${fix}", which does not repair "${id}" (its repairs: ${repairs.join(', ')})` });
  }
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
  return problems;
}

let repairsCache: Map<string, string[]> | undefined;
/** The built-in pipelines (rules/fixes/<id>.json, shipped, validated by the build) and the rules each repairs. */
export function builtInRepairs(): Map<string, string[]> {
  if (repairsCache) return repairsCache;
  repairsCache = readRepairs(rulesDir('fixes'), new Map());
  return repairsCache;
}

/** The pipelines of one directory and the rules each repairs, over `map` (a later layer's id replaces an earlier one's). */
function readRepairs(dir: string, map: Map<string, string[]>, bounded = false): Map<string, string[]> {
  try {
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      try {
        // A pack's file is someone else's: read within the rule files' bounds (its own load reports what is wrong).
        const text = bounded ? readRuleText(path.join(dir, f), []) : fs.readFileSync(path.join(dir, f), 'utf8');
        if (text === undefined) continue;
        const p = JSON.parse(text) as { id?: unknown; repairs?: unknown };
        if (typeof p.id === 'string' && Array.isArray(p.repairs)) map.set(p.id, p.repairs.filter((r): r is string => typeof r === 'string'));
      } catch {
        // a broken pipeline file is the fixes kind's own problem; no rule may name it
      }
    }
  } catch {
    // no such directory: no rule may name a pipeline there
  }
  return map;
}

/**
 * The pipelines a rule may name: the shipped ones, then the user's pack and a trusted project pack (rules/fixes in
 * each), so a pack rule can name its own pack's pipeline (an untrusted project's pipelines are not loaded: not here either).
 */
export function knownRepairs(env: NodeJS.ProcessEnv = process.env): Map<string, string[]> {
  const opts = defaultPackOptions(env);
  const dirs = [path.join(opts.home, 'rules', 'fixes')];
  const project = projectTrust(opts);
  if (project?.trusted) dirs.push(path.join(project.dir, 'rules', 'fixes'));
  const present = dirs.filter((d) => fs.existsSync(d));
  if (!present.length) return builtInRepairs();
  const map = new Map(builtInRepairs());
  for (const d of present) readRepairs(d, map, true);
  return map;
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

export const doctorValidator: KindValidator = {
  title: 'opta doctor rule',
  schema: RuleFileSchema,
  check: (file, rule) => doctorChecks(file, rule as RuleFile),
};
