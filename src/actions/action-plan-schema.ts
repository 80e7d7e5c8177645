// The zod schema of what a fix step would do (its plan: files, signals, processes left alone); the action types infer from it.
import { z } from 'zod';

/** A file or directory a step would change, and how. */
export const PlannedFileSchema = z.object({ path: z.string(), change: z.string() });
/** A process a step would signal (only ever one proven to be this home's daemon). */
export const PlannedSignalSchema = z.object({ pid: z.number().int(), command: z.string().nullable(), signal: z.string() });
/** A process a step saw and will not touch, with the command a person could run instead. */
export const LeftAloneSchema = z.object({ pid: z.number().int(), command: z.string().nullable(), reason: z.string(), next: z.string() });

/** What a step would do, computed without changing anything (--dry-run, and the plan shown before asking). */
export const ActionPlanSchema = z.object({
  summary: z.string(),
  files: z.array(PlannedFileSchema).describe('files and directories the step would change, and how'),
  pids: z.array(PlannedSignalSchema).describe("processes the step would signal (only this home's daemon, proven)"),
  leftAlone: z.array(LeftAloneSchema).describe('processes seen and not touched, with the command a person could run'),
  nothingToDo: z.string().optional(),
});
