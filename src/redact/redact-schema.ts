// The zod schema of a secret shape file (rules/redact/<id>.json), exported to schemas/; the RedactRule type is inferred from it.
import { z } from 'zod';
import { kebab } from '../rules/language/condition-schema.js';

export const RedactRuleSchema = z
  .object({
    $schema: z.string().optional(),
    id: kebab.describe('the file name without .json'),
    description: z.string().trim().min(10).describe('what the shape is and where it turns up'),
    label: kebab.describe('the placeholder name: [REDACTED:<label>-<n>]'),
    priority: z.number().int().min(0).max(100).optional().describe('higher runs first (default 50): specific shapes before generic ones'),
    profile: z
      .enum(['minimal', 'standard', 'paranoid'])
      .optional()
      .describe('the least --redact profile that runs this shape (default standard): minimal for high-confidence provider shapes, paranoid for e-mails, addresses and host names'),
    keywords: z
      .array(z.string().min(1).regex(/^[^A-Z]*$/, 'must be lower case'))
      .min(1)
      .optional()
      .describe('the patterns run only on a text containing one of these (case-insensitive)'),
    keys: z.string().min(1).optional().describe('regex source of key names whose values are secrets; {{keys}} in a pattern stands for it'),
    patterns: z
      .array(
        z
          .object({
            regex: z.string().min(1).describe('JavaScript regex source; a named group "secret" limits what is replaced'),
            flags: z.string().regex(/^[imsu]*$/, 'only i, m, s and u (g and d are added)').optional(),
          })
          .strict(),
      )
      .min(1),
    examples: z
      .array(z.object({ text: z.string().min(1), secret: z.string().min(1).describe('the part of text that must disappear') }).strict())
      .min(1)
      .describe('texts this shape must redact (checked by opta rules validate and the tests)'),
    lookalikes: z.array(z.string().min(1)).min(1).describe('texts that must survive every shape unchanged'),
    sources: z.array(z.string()).optional().describe('public scanners the shape was learned from'),
  })
  .strict();

/** One shape file: its regexes (only the named group `secret` is replaced when there is one), keywords, examples, look-alikes. */
export type RedactRule = z.infer<typeof RedactRuleSchema>;
