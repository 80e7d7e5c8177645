// The fix pipeline kind's validator: the zod schema of rules/fixes/<id>.json (pipeline-schema.ts) and its cross-checks.
import fs from 'node:fs';
import path from 'node:path';
import { ACTION_IDS, actionInfo } from '../actions/catalog.js';
import { rulesDir, type KindValidator } from '../rules/kinds.js';
import { defaultPackOptions, projectTrust } from '../rules/packs.js';
import { conditionFacts } from '../rules/language/condition.js';
import type { RuleProblem } from '../rules/rule-problem.js';
import { FACT_ID_LIST } from '../facts/catalog.js';
import { ARG_NAMES } from '../actions/catalog.js';
import { pipelineFileSchema, type PipelineFile } from './pipeline-schema.js';

export const PipelineFileSchema = pipelineFileSchema(ACTION_IDS);

/** Problems the schema cannot see: each action's arguments, confirmation and undo; facts of guards; rules repaired. */
export function pipelineChecks(file: string, p: PipelineFile, doctorRuleIds: readonly string[] = knownRuleIds()): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const known = new Set(doctorRuleIds);
  p.repairs.forEach((id, i) => {
    if (!known.has(id)) problems.push({ file, jsonPath: `$.repairs[${i}]`, message: `no doctor rule "${id}" (rules/doctor/${id}.json)` });
  });
  p.steps.forEach((s, i) => {
    const at = `$.steps[${i}]`;
    const action = actionInfo(s.action)!;
    const given = s.args ?? {};
    for (const name of ARG_NAMES) {
      const spec = action.args[name];
      const value = given[name];
      if (value === undefined) {
        if (spec?.required) problems.push({ file, jsonPath: `${at}.args.${name}`, message: `${s.action} needs "${name}" (one of ${spec.values.join(', ')})` });
      } else if (!spec) problems.push({ file, jsonPath: `${at}.args.${name}`, message: `${s.action} takes no "${name}"` });
      else if (!spec.values.includes(value)) problems.push({ file, jsonPath: `${at}.args.${name}`, message: `${s.action} takes ${name} ${spec.values.join(' or ')}, not "${value}"` });
    }
    if (s.confirm === false && !action.safe) problems.push({ file, jsonPath: `${at}.confirm`, message: `${s.action} is not safe to run without asking; remove "confirm": false` });
    if (s.undo && !action.undo) problems.push({ file, jsonPath: `${at}.undo`, message: `${s.action} has no undo` });
    if (s.when) {
      for (const fact of conditionFacts(s.when)) {
        if (!FACT_ID_LIST.includes(fact)) problems.push({ file, jsonPath: `${at}.when`, message: `unknown fact "${fact}" (known: ${FACT_ID_LIST.join(', ')})` });
      }
    }
  });
  return problems;
}

function ruleIdsIn(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
  } catch {
    return [];
  }
}

/**
 * The doctor rules a pipeline may repair: the shipped ones, and those of the user's pack and of a trusted project pack
 * (a rule file is named by its id), so a pack's pipeline can repair its own pack's rule.
 */
function knownRuleIds(env: NodeJS.ProcessEnv = process.env): string[] {
  const opts = defaultPackOptions(env);
  const project = projectTrust(opts);
  return [...ruleIdsIn(rulesDir('doctor')), ...ruleIdsIn(path.join(opts.home, 'rules', 'doctor')), ...(project?.trusted ? ruleIdsIn(path.join(project.dir, 'rules', 'doctor')) : [])];
}

export const pipelineValidator: KindValidator = {
  title: 'opta doctor --fix pipeline',
  schema: PipelineFileSchema,
  check: (file, p) => pipelineChecks(file, p as PipelineFile),
};
