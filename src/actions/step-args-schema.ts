// The zod schema of a fix step's arguments (closed vocabularies only); StepArgs is inferred from it. The vocabularies are the catalog's; the type is this schema's, so it is written once.
import { z } from 'zod';
import { ASIDE_LABELS, FILE_NAMES } from './catalog.js';

export const StepArgsSchema = z
  .object({
    file: z.enum(FILE_NAMES).describe('a file of the opta home by name; nothing under sessions/ has a name'),
    label: z.enum(ASIDE_LABELS).describe('how a set-aside file is labelled (state.json.<label>-<time>)'),
  })
  .partial()
  .strict()
  .describe('arguments from closed vocabularies only: no free paths, no shell text');

export type StepArgs = z.infer<typeof StepArgsSchema>;
