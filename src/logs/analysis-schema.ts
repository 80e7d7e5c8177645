// The zod schema of `opta logs analyze --json` (and the support bundle's log analysis), exported to schemas/; analysis.ts infers its types from it.
import { z } from 'zod';

export const LocationSchema = z.object({
  file: z.string().describe('the file as a person types it (~ for HOME)'),
  line: z.number().int().nullable().describe('1-based line number; null when only the end of the file was read'),
  time: z.string().nullable().describe("the line's own time stamp, as written"),
});
export const LevelCountsSchema = z.object({ DEBUG: z.number().int(), INFO: z.number().int(), WARN: z.number().int(), ERROR: z.number().int(), unparsed: z.number().int() });

export const LogFindingSchema = z.object({
  id: z.string().describe('pattern id (rules/logs/<id>.json)'),
  severity: z.enum(['error', 'warn', 'info']),
  check: z.string().nullable().describe('the doctor check this is evidence for'),
  guide: z.string(),
  fix: z.string().nullable(),
  count: z.number().int(),
  first: LocationSchema,
  last: LocationSchema,
  samples: z.array(z.object({ file: z.string(), line: z.number().int().nullable(), text: z.string(), context: z.array(z.string()).max(8).optional().describe('the stack trace lines under the sample line, as written') })).max(3),
  values: z.record(z.string(), z.string()).describe('named groups of the last matching line'),
  message: z.string(),
  why: z.string(),
  remediation: z.string().describe('the next command to run'),
});

export const AnalysisSchema = z
  .object({
    schemaVersion: z.literal(1),
    files: z.array(z.object({ path: z.string(), display: z.string(), bytes: z.number().int(), fromByte: z.number().int().describe('0, or where a bounded read began') })),
    sinceStart: z.boolean().describe('only the current daemon run was counted'),
    run: z.object({ found: z.boolean(), file: z.string().nullable(), line: z.number().int().nullable(), time: z.string().nullable() }).describe('the last "daemon started" line'),
    window: z.object({ maxBytes: z.number().int(), partial: z.boolean() }).nullable().describe("the doctor's bound on what it reads; partial when the current run is longer"),
    lines: z.number().int().describe('lines in scope'),
    bytes: z.number().int().describe('bytes read'),
    findings: z.array(LogFindingSchema),
    counts: z.object({ errors: z.number().int(), warnings: z.number().int(), infos: z.number().int() }).describe('findings by severity'),
    levels: LevelCountsSchema.describe('lines per level in scope'),
    other: LevelCountsSchema.describe('lines per level that matched no pattern'),
    problems: z.array(z.object({ file: z.string(), jsonPath: z.string(), message: z.string() })).describe('pattern files that could not be used'),
    cutLines: z.number().int().optional().describe('lines longer than 64 KiB: the patterns saw their first 64 KiB only (absent when none)'),
    durationMs: z.number().int(),
  })
  .strict()
  .describe('The report printed by `opta logs analyze --json`.');
