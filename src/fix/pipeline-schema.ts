// The zod schema of a fix pipeline file (rules/fixes/<id>.json), exported to schemas/; PipelineFile and PipelineStep are inferred from it.
import { z } from 'zod';
import { ConditionSchema, kebab, text } from '../rules/language/condition-schema.js';
import { StepArgsSchema } from '../actions/step-args-schema.js';

/**
 * The schema for a given vocabulary of action ids (rule-kind.ts passes the registry's). Taking the ids keeps this file
 * below the action implementations, so zod-free code can import its types without joining their import circle.
 */
export function pipelineFileSchema(actionIds: readonly string[]) {
  const Step = z
    .object({
      action: z.enum(actionIds as [string, ...string[]]).describe('an action of src/actions/ (opta rules list --kind fixes shows them)'),
      title: text.describe('what the step does, in a person\'s words (its progress line)'),
      args: StepArgsSchema.optional(),
      when: ConditionSchema.optional().describe('run only when this holds on the doctor\'s facts (json-rules-engine condition); otherwise skipped'),
      confirm: z.boolean().optional().describe('ask before running; a step whose action is not safe always asks'),
      undo: z.boolean().optional().describe("roll this step back with its action's undo when a later step of the pipeline fails"),
    })
    .strict();

  return z
    .object({
      $schema: z.string().optional(),
      id: kebab.regex(/^fix-/, 'must start with "fix-"').describe('the pipeline id doctor rules name in event.params.fix; equals the file name'),
      title: text,
      guide: text.describe('the heading of the troubleshooting guide this recovery comes from'),
      repairs: z.array(kebab).min(1).describe('ids of the doctor rules (rules/doctor/) this pipeline repairs'),
      order: z.number().int().min(0).max(100).optional().describe('pipelines run in ascending order (default 50)'),
      steps: z.array(Step).min(1),
      tests: z
        .array(
          z
            .object({
              name: text,
              facts: z.record(kebab, z.record(z.string(), z.unknown())).describe('fact id -> the fields that differ from the healthy baseline (deep-merged onto it)'),
              plan: z.array(z.number().int().min(1)).describe('the steps (1-based) that would run: the pipeline is chosen (a rule it repairs fires) and their guards hold; [] for none'),
            })
            .strict(),
        )
        .optional()
        .describe('cases `opta rules test` runs: facts -> the plan; at least one with steps and one with none or a step kept out'),
    })
    .strict()
    .describe('An opta doctor --fix pipeline: ordered steps, each an action from a closed vocabulary with its guard, confirmation and undo.');
}

export type PipelineFile = z.infer<ReturnType<typeof pipelineFileSchema>>;
export type PipelineStep = PipelineFile['steps'][number];
