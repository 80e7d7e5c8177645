// `opta rules test` for redaction shapes: each example must lose its secret to this shape (its own label), and each
// look-alike must come through this shape, and every shape of its set at the standard profile, unchanged (the real Redactor).
import { shown, type CaseResult, type KindTester, type RuleTestResult } from '../rules/rule-test.js';
import { compileShape, Redactor } from './redactor.js';
import type { RedactRule } from './redact-schema.js';

export const shapeTester: KindTester = {
  async test(items) {
    const rules = items.map((i) => i.rule as RedactRule);
    const shapes = rules.map(compileShape);
    const results: RuleTestResult[] = [];
    rules.forEach((rule, index) => {
      const cases: CaseResult[] = [];
      rule.examples.forEach((e, i) => {
        // Paranoid, without the rules written in code: this shape alone must find it.
        const out = new Redactor([shapes[index]], [], { profile: 'paranoid', codeRules: false }).text(e.text);
        const ok = !out.includes(e.secret) && out.includes(`[REDACTED:${rule.label}-1]`);
        cases.push({ kind: 'example', name: `example ${i + 1}`, ok, detail: ok ? null : `not redacted by this shape: ${shown(out)}` });
      });
      rule.lookalikes.forEach((l, i) => {
        // This shape at any profile, and every shape of the set at the default one (paranoid's hosts and e-mails may take a look-alike's host).
        const alone = new Redactor([shapes[index]], [], { profile: 'paranoid', codeRules: false }).text(l);
        const all = new Redactor(shapes, [], { profile: 'standard', codeRules: false }).text(l);
        const detail = alone !== l ? `changed by this shape: ${shown(alone)}` : all !== l ? `changed by the shapes at the standard profile: ${shown(all)}` : null;
        cases.push({ kind: 'lookalike', name: `look-alike ${i + 1}`, ok: detail === null, detail });
      });
      const missing = [...(rule.examples.length ? [] : ['an example (examples)']), ...(rule.lookalikes.length ? [] : ['a look-alike (lookalikes)'])];
      results.push({ kind: 'redact', id: rule.id, file: items[index].file, cases, missing });
    });
    return results;
  },
};
