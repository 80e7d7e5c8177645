// The zod schema of a doctor rule file (the rule language's conditions plus our event.params); exported as JSON Schema, its types inferred.
import { z } from 'zod';
import { kebab, text, TopConditionSchema } from '../rules/language/condition-schema.js';

export const FindingParamsSchema = z
  .object({
    id: kebab.describe('stable rule id; equals the file name and `name`'),
    check: kebab.describe('the check the finding belongs to: daemon, lmx, model, config, permissions, node, disk, logs, version, proxy, ports, doctor, ...'),
    severity: z.enum(['error', 'warn', 'info']),
    message: text.describe('what is wrong; {{fact.path}} placeholders are filled from facts'),
    why: text.describe('why it matters'),
    remediation: text.describe('the exact command a person runs next; placeholders allowed'),
    guide: text.describe('the heading of the troubleshooting guide (docs) this rule comes from'),
    fix: z.union([kebab.regex(/^fix-/, 'must start with "fix-"'), z.null()]).describe('id of the fix pipeline `opta doctor --fix` runs, or null'),
  })
  .strict();

/** Facts of a case: deep-merged onto the healthy baseline (fixtures/doctor/base-facts.json), fact id -> what differs. */
const CaseFacts = z.record(kebab, z.record(z.string(), z.unknown())).describe('fact id -> the fields that differ from the healthy baseline (deep-merged onto it)');

export const RuleTestsSchema = z
  .object({
    fires: z
      .array(z.object({ name: text, facts: CaseFacts, message: text.describe('the exact message the finding prints') }).strict())
      .optional()
      .describe('facts on which the rule fires, and its message then'),
    passes: z.array(z.object({ name: text, facts: CaseFacts }).strict()).optional().describe('facts on which the rule stays quiet (a near miss is worth more than the healthy baseline)'),
  })
  .strict()
  .describe('the cases `opta rules test` runs: at least one firing and one passing case');

export const RuleFileSchema = z
  .object({
    $schema: z.string().optional(),
    name: kebab,
    priority: z.number().int().min(1).optional(),
    conditions: TopConditionSchema,
    event: z.object({ type: z.literal('finding'), params: FindingParamsSchema }).strict(),
    tests: RuleTestsSchema.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.name !== r.event.params.id) ctx.addIssue({ code: 'custom', path: ['name'], message: `must equal event.params.id ("${r.event.params.id}")` });
  })
  .describe('An opta doctor rule: json-rules-engine conditions plus the finding it produces.');

/** Our fields, carried in json-rules-engine's event.params. */
export type FindingParams = z.infer<typeof FindingParamsSchema>;
export type Severity = FindingParams['severity'];
export type RuleFile = z.infer<typeof RuleFileSchema>;
export type RuleTests = z.infer<typeof RuleTestsSchema>;
