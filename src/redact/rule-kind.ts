// The redact rule kind's full validator: the zod schema of rules/redact/<id>.json (redact-schema.ts) plus cross-checks (regexes compile, match no empty string, examples redact, look-alikes survive).
import type { KindValidator } from '../rules/kinds.js';
import type { RuleProblem } from '../rules/rule-problem.js';
import { superLinear } from '../rules/regex-check.js';
import { compileShape, Redactor } from './redactor.js';
import { RedactRuleSchema, type RedactRule } from './redact-schema.js';


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
    // Every line of every log, bundle and analysis passes through it: super-linear here is a hang there.
    const slow = superLinear(re.source, re.flags);
    if (slow) at(`$.patterns[${i}].regex`, slow);
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
    const out = new Redactor([shape], [], { profile: 'paranoid', codeRules: false }).text(e.text);
    if (out.includes(e.secret) || !out.includes(`[REDACTED:${rule.label}-1]`)) at(`$.examples[${i}]`, `not redacted by this shape: ${JSON.stringify(out)}`);
  });
  rule.lookalikes.forEach((l, i) => {
    const out = new Redactor([shape], [], { profile: 'paranoid', codeRules: false }).text(l);
    if (out !== l) at(`$.lookalikes[${i}]`, `changed by this shape: ${JSON.stringify(out)}`);
  });
  return problems;
}

export const redactValidator: KindValidator = {
  title: 'opta redaction shape',
  schema: RedactRuleSchema,
  check: (file, rule) => redactChecks(file, rule as RedactRule),
};
