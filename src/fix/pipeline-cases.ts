// `opta rules test` for fix pipelines: each case's facts (deep-merged onto the doctor's healthy baseline) go through the
// real doctor stages and the plan's guards: the steps that would run must be the case's `plan`.
import { baselineFacts, reportOn } from '../doctor/rule-cases.js';
import { loadRules } from '../doctor/load-rules.js';
import type { FactValue } from '../facts/fact.js';
import { deepMerge, shown, type CaseResult, type KindTester, type RuleTestResult } from '../rules/rule-test.js';
import type { PipelineFile } from './pipeline-schema.js';
import { stepGuards } from './plan.js';

export const pipelineTester: KindTester = {
  async test(items, ctx) {
    // The doctor rules as the packs compose them: a pipeline is chosen only when a rule it repairs fires and names it.
    const { rules } = await loadRules(ctx.packs);
    const results: RuleTestResult[] = [];
    for (const { file, rule } of items) {
      const p = rule as PipelineFile;
      const cases: CaseResult[] = [];
      const own = rules.filter((r) => p.repairs.includes(r.rule.event.params.id));
      const named = rules.some((r) => r.rule.event.params.fix === p.id);
      for (const c of p.tests ?? []) {
        const { report, values } = await reportOn(own, c.facts);
        // As buildPlan chooses (plan.ts): a finding that names this pipeline, of a rule the pipeline says it repairs; a
        // pipeline no rule names (fix-reset, the escalation when a targeted repair fails) when a rule it repairs fires.
        const findings = report.findings.filter((f) => p.repairs.includes(f.id) && (f.fix === p.id || !named));
        const merged = deepMerge(baselineFacts(), c.facts);
        const facts: Record<string, FactValue> = { ...Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, { ok: true, ...v } as FactValue])), ...values };
        const guards = stepGuards(p, facts);
        const planned = findings.length ? guards.flatMap((g, i) => (g.held ? [i + 1] : [])) : [];
        const same = planned.length === c.plan.length && planned.every((s, i) => s === c.plan[i]);
        const why = findings.length ? guards.map((g, i) => (g.held ? null : `step ${i + 1} kept out: ${g.detail}`)).filter(Boolean).join('; ') : `no finding chooses it (repairs: ${p.repairs.join(', ')})`;
        cases.push({ kind: 'plan', name: c.name, ok: same, detail: same ? null : `planned steps ${shown(planned)}, expected ${shown(c.plan)}${why ? ` (${why})` : ''}` });
      }
      const tests = p.tests ?? [];
      const missing = [
        ...(tests.some((c) => c.plan.length > 0) ? [] : ['a case whose plan has steps (tests[].plan)']),
        ...(tests.some((c) => c.plan.length < p.steps.length) ? [] : ['a case whose plan has none, or a step its guard keeps out']),
      ];
      results.push({ kind: 'fixes', id: p.id, file, cases, missing });
    }
    return results;
  },
};
