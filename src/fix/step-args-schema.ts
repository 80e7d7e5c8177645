// The zod schema of a fix step's arguments (closed vocabularies only); StepArgs is inferred from it. Kept apart so actions can import the type without a circle.
import { z } from 'zod';
import { ASIDE_LABELS, FILE_NAMES } from './pipeline-types.js';

export const StepArgsSchema = z
  .object({
    file: z.enum(FILE_NAMES).describe('a file of the opta home by name; nothing under sessions/ has a name'),
    label: z.enum(ASIDE_LABELS).describe('how a set-aside file is labelled (state.json.<label>-<time>)'),
  })
  .partial()
  .strict()
  .describe('arguments from closed vocabularies only: no free paths, no shell text');

export type StepArgs = z.infer<typeof StepArgsSchema>;
