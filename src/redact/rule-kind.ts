// The redact rule kind's full validator: zod schema of rules/redact/<id>.json plus cross-checks (regexes compile, match no empty string, examples redact, look-alikes survive).
import { z } from 'zod';
import type { KindValidator, RuleProblem } from '../rules/kinds.js';
import { compileShape, Redactor, type RedactRule } from './redactor.js';

const kebab = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case (a-z, 0-9, -)');

export const RedactRuleSchema = z
  .object({
    $schema: z.string().optional(),
    id: kebab.describe('the file name without .json'),
    description: z.string().trim().min(10).describe('what the shape is and where it turns up'),
    label: kebab.describe('the placeholder name: [REDACTED:<label>-<n>]'),
    priority: z.number().int().min(0).max(100).optional().describe('higher runs first (default 50): specific shapes before generic ones'),
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

export function redactChecks(file: string, rule: RedactRule): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const at = (jsonPath: string, message: string) => problems.push({ file, jsonPath, message });
  if (rule.keys !== undefined) {
    try {
      new RegExp(rule.keys, 'i');
    } catch (err) {
      at('$.keys', `not a valid regex: ${(err as Error).message}`);
      return problems;
    }
  }
  const samples = ['', ' ', 'x', ...rule.examples.map((e) => e.text), ...rule.lookalikes];
  rule.patterns.forEach((p, i) => {
    if (p.regex.includes('{{keys}}') && rule.keys === undefined) at(`$.patterns[${i}].regex`, 'uses {{keys}} but the file has no "keys"');
    let re: RegExp;
    try {
      re = compileShape({ ...rule, patterns: [p] }).regexes[0];
    } catch (err) {
      at(`$.patterns[${i}].regex`, `not a valid regex: ${(err as Error).message}`);
      return;
    }
    // A pattern that can match the empty string would "redact" nothing everywhere (and loop a naive replacer).
    for (const s of samples) {
      re.lastIndex = 0;
      const empty = [...s.matchAll(re)].some((m) => {
        const g = m.indices?.groups?.secret;
        return m[0] === '' || (g !== undefined && g[0] === g[1]);
      });
      if (empty) {
        at(`$.patterns[${i}].regex`, `can match the empty string (in ${JSON.stringify(s)})`);
        break;
      }
    }
  });
  if (problems.length) return problems;
  const shape = compileShape(rule);
  rule.examples.forEach((e, i) => {
    if (!e.text.includes(e.secret)) return at(`$.examples[${i}].secret`, 'is not part of the example text');
    const out = new Redactor([shape]).text(e.text);
    if (out.includes(e.secret) || !out.includes(`[REDACTED:${rule.label}-1]`)) at(`$.examples[${i}]`, `not redacted by this shape: ${JSON.stringify(out)}`);
  });
  rule.lookalikes.forEach((l, i) => {
    const out = new Redactor([shape]).text(l);
    if (out !== l) at(`$.lookalikes[${i}]`, `changed by this shape: ${JSON.stringify(out)}`);
  });
  return problems;
}

export const redactValidator: KindValidator = {
  title: 'opta redaction shape',
  schema: RedactRuleSchema,
  check: (file, rule) => redactChecks(file, rule as RedactRule),
};
