// `opta rules test` for doctor rules: each case's facts, deep-merged onto the healthy baseline, go through the real
// evaluate -> gather -> assemble stages (no collector runs); a firing case must fire with its exact message, a passing one must not.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../core/install.js';
import { optaPaths } from '../core/paths.js';
import { factFailures } from '../facts/fact-failures.js';
import type { FactCollector, FactValue } from '../facts/fact.js';
import { COLLECTORS } from '../facts/registry.js';
import { deepMerge, shown, type CaseResult, type KindTester, type RuleTestResult } from '../rules/rule-test.js';
import { assemble } from './assemble.js';
import { gather, type Collection } from './collect.js';
import { evaluate } from './evaluate.js';
import { FactStore } from './fact-store.js';
import { describeRule } from './load-rules.js';
import type { DoctorReport } from './report-types.js';
import type { LoadedRule, RuleFile } from './rule-types.js';

/**
 * The healthy stack every case starts from: the facts the fixture scenarios override (`facts`) and those they collect
 * from their home (`collected`), together one value for every fact. Shipped beside the rules (package.json files).
 */
export const BASELINE_FILE = path.join(PACKAGE_ROOT, 'fixtures', 'doctor', 'base-facts.json');

let baselineCache: Record<string, Record<string, unknown>> | undefined;
export function baselineFacts(): Record<string, Record<string, unknown>> {
  if (!baselineCache) {
    const b = JSON.parse(fs.readFileSync(BASELINE_FILE, 'utf8')) as { facts: Record<string, Record<string, unknown>>; collected?: Record<string, Record<string, unknown>> };
    baselineCache = { ...b.collected, ...b.facts };
  }
  return baselineCache;
}

/** A fact neither the baseline nor the case gives fails with this (its checks are "not checked", fact-failures ignores it). */
const NOT_GIVEN = 'not given by this case or the baseline';
const DEADLINE_MS = 5000;

/** The report the doctor would print on these facts (the baseline with `patch` merged in), for these rules. */
export async function reportOn(rules: LoadedRule[], patch: Record<string, unknown>): Promise<{ report: DoctorReport; values: Record<string, FactValue> }> {
  const overrides = deepMerge(baselineFacts(), patch) as Record<string, FactValue>;
  const started = Date.now();
  const deadlineAt = started + DEADLINE_MS;
  // No collector runs: a home that does not exist, and every fact not given fails as not given.
  const paths = optaPaths(path.join(os.tmpdir(), 'opta-rules-test-no-home'));
  const notGiven = (c: FactCollector): FactCollector => ({ ...c, collect: () => ({ ok: false, error: NOT_GIVEN, timedOut: false }) });
  const collectors = new Map<string, FactCollector>(COLLECTORS.map((c) => [c.id, notGiven(c)]));
  const store = new FactStore({ collectors, paths, env: {}, deadlineAt, startedAt: started, overrides });
  const factChecks = new Map<string, Set<string>>();
  for (const r of rules) {
    for (const f of [...r.facts, ...r.templateFacts]) {
      if (!factChecks.has(f)) factChecks.set(f, new Set());
      factChecks.get(f)!.add(r.rule.event.params.check);
    }
  }
  const checksOf = (fact: string) => [...(factChecks.get(fact) ?? [])].filter((c) => c !== 'doctor');
  collectors.set('fact-failures', factFailures({ records: () => store.records().filter((r) => r.overridden || r.error !== NOT_GIVEN), checksOf }));
  const c: Collection = {
    started,
    deadlineMs: DEADLINE_MS,
    deadlineAt,
    store,
    collectors,
    loaded: { rules, problems: [], validatedNow: 0, packs: new Map(), disabled: [], notices: [] },
    suppressions: { entries: [], problems: [] },
    selected: rules,
    factChecks,
  };
  const ev = await evaluate(c);
  const g = await gather(c, ev.fired.map((f) => f.rule), ev.deadlineReached);
  const report = assemble(
    { selected: rules, fired: ev.fired, notFired: ev.notFired, records: store.records(), factChecks, values: g.values, logEvidence: g.logEvidence, ruleProblems: [], strict: false },
    { home: '~/.config/opta', startedAt: started, durationMs: Date.now() - started, deadlineMs: DEADLINE_MS, deadlineReached: ev.deadlineReached, loaded: rules.length, validatedNow: 0 },
  );
  store.expire();
  return { report, values: g.values };
}

/** Each rule's cases, evaluated with every rule of its set (a rule about the run itself sees the others' checks). */
export const doctorTester: KindTester = {
  async test(items) {
    const rules = items.map((i) => describeRule(i.file, i.rule as RuleFile));
    const results: RuleTestResult[] = [];
    for (const r of rules) {
      const { id } = r.rule.event.params;
      const t = r.rule.tests ?? {};
      const cases: CaseResult[] = [];
      for (const fc of t.fires ?? []) {
        const { report } = await reportOn(rules, fc.facts);
        const f = report.findings.find((x) => x.id === id);
        if (!f) {
          const run = report.rules.ran.find((x) => x.id === id);
          cases.push({ kind: 'fires', name: fc.name, ok: false, detail: `did not fire (${run?.outcome ?? 'not run'}${run?.reason ? `: ${run.reason}` : ''})` });
        } else if (f.message !== fc.message) cases.push({ kind: 'fires', name: fc.name, ok: false, detail: `fired with message ${shown(f.message, 400)}, expected ${shown(fc.message, 400)}` });
        else cases.push({ kind: 'fires', name: fc.name, ok: true, detail: null });
      }
      for (const pc of t.passes ?? []) {
        const { report } = await reportOn(rules, pc.facts);
        const f = report.findings.find((x) => x.id === id);
        cases.push({ kind: 'passes', name: pc.name, ok: !f, detail: f ? `fired: ${shown(f.message, 400)}` : null });
      }
      const missing = [...(t.fires?.length ? [] : ['a firing case (tests.fires)']), ...(t.passes?.length ? [] : ['a passing case (tests.passes)'])];
      results.push({ kind: 'doctor', id, file: r.file, cases, missing });
    }
    return results;
  },
};
