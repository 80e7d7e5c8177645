// The zod schema of a log pattern file (rules/logs/<id>.json), exported to schemas/; the LogPattern type is inferred from it.
import { z } from 'zod';
import { kebab, text } from '../rules/language/condition-schema.js';
import { LEVELS } from './pattern-types.js';

export const LogPatternSchema = z
  .object({
    $schema: z.string().optional(),
    id: kebab.describe('stable pattern id; equals the file name'),
    levels: z.array(z.enum(LEVELS)).min(1).describe('log levels the pattern applies to (JSON lines: level/severity values are mapped to these)'),
    regex: text.describe('JavaScript regular expression (no flags) over the message: the line after its time and level. Match the key phrase and the values, not the whole line (no $ at the end): trailing detail must still match. Named groups (?<name>...) may be used in message and remediation'),
    severity: z.enum(['error', 'warn', 'info']).describe('`opta logs analyze --strict` exits 1 on an error-level finding'),
    message: text.describe('what was found; placeholders: named groups (values of the last match), {{count}}, {{times}}, {{first}}, {{last}}, {{scope}}, {{config.<key>}}, {{paths.<name>}}, and {{<number>*N}}'),
    why: text.describe('why it matters'),
    remediation: text.describe('the exact command a person runs next; placeholders as in message'),
    guide: text.describe('the heading of the troubleshooting guide this pattern comes from'),
    check: z.union([kebab, z.null()]).describe('the doctor check this is evidence for (lmx, daemon, model, ...), or null: the doctor then reports it under the logs check'),
    fix: z.union([kebab.regex(/^fix-/, 'must start with "fix-"'), z.null()]).describe('id of a fix pipeline, or null'),
    runStart: z.boolean().optional().describe('true for the line that begins a daemon run ("daemon started"): --since-start and opta doctor look at what follows the last one'),
    startup: z.boolean().optional().describe('true for lines the daemon writes while starting, just before "daemon started" (a session it could not load, a fallback port): with --since-start they count in the run that line begins'),
    family: kebab.optional().describe('the family of patterns sharing a key phrase (every "lmx preflight failed: ..." line): each line of the family lands in exactly one of its findings'),
    catchAll: z.boolean().optional().describe('true for the one member of a family whose regex matches every line of the family: it takes the lines no other member does (the others need no exclusions)'),
    examples: z
      .array(
        z.union([
          text,
          z
            .object({
              line: text.describe('a message (without time and level) the pattern must match'),
              values: z.record(z.string(), z.string()).optional().describe('the values its named groups must capture'),
            })
            .strict(),
        ]),
      )
      .min(1)
      .describe('messages (without time and level) the regex must match; as { line, values } with the values its named groups capture'),
    nearMisses: z.array(text).optional().describe('messages that look alike (same level, same key phrase) and must not match: `opta rules test` needs at least one'),
  })
  .strict()
  .describe('An opta log pattern: a regular expression over daemon.log messages and the finding it produces.');

export type LogPattern = z.infer<typeof LogPatternSchema>;
export type LogExample = LogPattern['examples'][number];
export type Severity = LogPattern['severity'];
