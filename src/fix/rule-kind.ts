// The fix pipeline kind's validator: the zod schema of rules/fixes/<id>.json (exported as JSON Schema) and its cross-checks.
import fs from 'node:fs';
import { z } from 'zod';
import { ACTION_IDS, actionInfo } from '../actions/catalog.js';
import { rulesDir, type KindValidator, type RuleProblem } from '../rules/kinds.js';
import { ConditionSchema } from '../doctor/rule-schema.js';
import { conditionFacts } from '../doctor/rule-types.js';
import { FACT_IDS } from '../facts/registry.js';
import { ARG_NAMES, ASIDE_LABELS, FILE_NAMES, type PipelineFile } from './pipeline-types.js';

const kebab = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case (a-z, 0-9, -)');
const text = z.string().trim().min(1, 'must not be empty');

const Args = z
  .object({
    file: z.enum(FILE_NAMES).describe('a file of the opta home by name; nothing under sessions/ has a name'),
    label: z.enum(ASIDE_LABELS).describe('how a set-aside file is labelled (state.json.<label>-<time>)'),
  })
  .partial()
  .strict()
  .describe('arguments from closed vocabularies only: no free paths, no shell text');

const Step = z
  .object({
    action: z.enum(ACTION_IDS as [string, ...string[]]).describe('an action of src/actions/ (opta rules list --kind fixes shows them)'),
    title: text.describe('what the step does, in a person\'s words (its progress line)'),
    args: Args.optional(),
    when: ConditionSchema.optional().describe('run only when this holds on the doctor\'s facts (json-rules-engine condition); otherwise skipped'),
    confirm: z.boolean().optional().describe('ask before running; a step whose action is not safe always asks'),
    undo: z.boolean().optional().describe("roll this step back with its action's undo when a later step of the pipeline fails"),
  })
  .strict();

export const PipelineFileSchema = z
  .object({
    $schema: z.string().optional(),
    id: kebab.regex(/^fix-/, 'must start with "fix-"').describe('the pipeline id doctor rules name in event.params.fix; equals the file name'),
    title: text,
    guide: text.describe('the heading of the troubleshooting guide this recovery comes from'),
    repairs: z.array(kebab).min(1).describe('ids of the doctor rules (rules/doctor/) this pipeline repairs'),
    order: z.number().int().min(0).max(100).optional().describe('pipelines run in ascending order (default 50)'),
    steps: z.array(Step).min(1),
  })
  .strict()
  .describe('An opta doctor --fix pipeline: ordered steps, each an action from a closed vocabulary with its guard, confirmation and undo.');

/** Problems the schema cannot see: each action's arguments, confirmation and undo; facts of guards; rules repaired. */
export function pipelineChecks(file: string, p: PipelineFile, doctorRuleIds: readonly string[] = builtInRuleIds()): RuleProblem[] {
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
        if (!FACT_IDS.includes(fact)) problems.push({ file, jsonPath: `${at}.when`, message: `unknown fact "${fact}" (known: ${FACT_IDS.join(', ')})` });
      }
    }
  });
  return problems;
}

function builtInRuleIds(): string[] {
  try {
    return fs.readdirSync(rulesDir('doctor')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
  } catch {
    return [];
  }
}

export const pipelineValidator: KindValidator = {
  title: 'opta doctor --fix pipeline',
  schema: PipelineFileSchema,
  check: (file, p) => pipelineChecks(file, p as PipelineFile),
};
