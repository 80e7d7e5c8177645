// The zod schema of `opta support bundle --json`, exported to schemas/support-bundle.schema.json; bundle.ts infers the bundle's types from it.
import { z } from 'zod';

export const SectionResultSchema = z.object({
  id: z.string().describe('doctor, daemon-status, daemon-logs, config-list, versions, paths, environment, ports, doctor-report, ...'),
  title: z.string().describe('the command a person would run for the same text, or what the section holds'),
  status: z.enum(['ok', 'failed', 'timed-out']),
  ms: z.number().int(),
  timeoutMs: z.number().int().describe('its own budget, capped by the deadline'),
  text: z.string().describe('what the text bundle shows under "## <title>" (redacted)'),
  data: z.unknown().optional().describe('structured content (redacted); for doctor-report: {report, facts}'),
  error: z.string().optional().describe('one line: why the section has no content'),
});

export const SupportBundleSchema = z
  .object({
    format: z.literal('opta-support-bundle'),
    formatVersion: z.number().int().min(1).describe('bumped when opta support analyze would read an older bundle differently'),
    generatedAt: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/).describe('UTC, seconds'),
    tool: z.object({ name: z.literal('opta'), version: z.string() }),
    deadlineMs: z.number().int().describe('--timeout'),
    durationMs: z.number().int(),
    redaction: z.object({
      enabled: z.boolean().describe('false with --no-redact'),
      profile: z.enum(['minimal', 'standard', 'paranoid']).optional().describe('--redact: which rules ran (absent with --no-redact)'),
      byLabel: z.record(z.string(), z.number().int()).describe('distinct values redacted, by placeholder label ([REDACTED:<label>-<n>])'),
      values: z.number().int().describe('distinct placeholders in this file'),
      occurrences: z.number().int().describe('placeholders in this file, each time one appears'),
    }),
    sections: z.array(SectionResultSchema),
  })
  .strict()
  .describe('The document written by `opta support bundle --json`.');

/** The doctor-report section's data: what `opta support analyze` replays. */
