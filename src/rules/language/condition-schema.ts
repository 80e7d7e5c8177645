// The zod schema of a condition (json-rules-engine's format: leaf | all | any | not); its types are inferred from it.
import { z } from 'zod';
import { OPERATORS, SIMPLE_PATH } from './operators.js';

/** Ids (rules, facts, checks, labels) and the person-facing text every rule kind carries. */
export const kebab = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case (a-z, 0-9, -)');
export const text = z.string().trim().min(1, 'must not be empty');

const jsonPath = z.string().regex(SIMPLE_PATH, 'must be a simple JSONPath like $.a.b or $.list[0].name');
export const FactRefSchema = z.object({ fact: kebab, path: jsonPath.optional() }).strict();

export const LeafSchema = z
  .object({
    fact: kebab.describe('id of a fact collector in src/facts/'),
    path: jsonPath.optional(),
    operator: z.enum(OPERATORS),
    value: z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])), FactRefSchema]),
    priority: z.number().int().min(1).optional(),
    name: z.string().optional(),
  })
  .strict();

/** A value that names another fact instead of a constant. */
export type FactRef = z.infer<typeof FactRefSchema>;
export type LeafCondition = z.infer<typeof LeafSchema>;
/** zod cannot infer a recursive union; the annotation on ConditionSchema makes the compiler check it against this. */
export type Condition = LeafCondition | { all: Condition[] } | { any: Condition[] } | { not: Condition };
export type TopCondition = z.infer<typeof TopConditionSchema>;

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    LeafSchema,
    z.object({ all: z.array(ConditionSchema).min(1) }).strict(),
    z.object({ any: z.array(ConditionSchema).min(1) }).strict(),
    z.object({ not: ConditionSchema }).strict(),
  ]),
);

export const TopConditionSchema = z.union([
  z.object({ all: z.array(ConditionSchema).min(1) }).strict(),
  z.object({ any: z.array(ConditionSchema).min(1) }).strict(),
  z.object({ not: ConditionSchema }).strict(),
]);
