// The zod schema of a doctor rule file (json-rules-engine's format plus our event.params); exported as JSON Schema.
import { z } from 'zod';
import { OPERATORS, SIMPLE_PATH } from './rule-types.js';

const kebab = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case (a-z, 0-9, -)');
const text = z.string().trim().min(1, 'must not be empty');

const jsonPath = z.string().regex(SIMPLE_PATH, 'must be a simple JSONPath like $.a.b or $.list[0].name');
const FactRef = z.object({ fact: kebab, path: jsonPath.optional() }).strict();

const Leaf = z
  .object({
    fact: kebab.describe('id of a fact collector in src/facts/'),
    path: jsonPath.optional(),
    operator: z.enum(OPERATORS),
    value: z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])), FactRef]),
    priority: z.number().int().min(1).optional(),
    name: z.string().optional(),
  })
  .strict();

export const ConditionSchema: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    Leaf,
    z.object({ all: z.array(ConditionSchema).min(1) }).strict(),
    z.object({ any: z.array(ConditionSchema).min(1) }).strict(),
    z.object({ not: ConditionSchema }).strict(),
  ]),
);

const TopCondition = z.union([
  z.object({ all: z.array(ConditionSchema).min(1) }).strict(),
  z.object({ any: z.array(ConditionSchema).min(1) }).strict(),
  z.object({ not: ConditionSchema }).strict(),
]);

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

export const RuleFileSchema = z
  .object({
    $schema: z.string().optional(),
    name: kebab,
    priority: z.number().int().min(1).optional(),
    conditions: TopCondition,
    event: z.object({ type: z.literal('finding'), params: FindingParamsSchema }).strict(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.name !== r.event.params.id) ctx.addIssue({ code: 'custom', path: ['name'], message: `must equal event.params.id ("${r.event.params.id}")` });
  })
  .describe('An opta doctor rule: json-rules-engine conditions plus the finding it produces.');
