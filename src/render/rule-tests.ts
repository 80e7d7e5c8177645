// Renders what `opta rules test` found: text (a line per failing case, a summary) and JUnit (one testsuite per kind).
import { visible } from '../rules/language/escape.js';
import type { RuleTestResult } from '../rules/rule-test.js';
import { xmlAttr, xmlText } from './junit.js';

/** Text from a rule file (names, details) is shown, bounded, never obeyed. */
const safe = (s: string, max = 300) => {
  const v = visible(s);
  return v.length > max ? `${v.slice(0, max - 1)}…` : v;
};

export interface RuleTestCounts {
  rules: number;
  cases: number;
  failed: number;
  /** Rules lacking a kind of case they must carry. */
  untested: number;
}

export function countsOf(results: RuleTestResult[]): RuleTestCounts {
  const cases = results.flatMap((r) => r.cases);
  return { rules: results.length, cases: cases.length, failed: cases.filter((c) => !c.ok).length, untested: results.filter((r) => r.missing.length).length };
}

/** One line per failing case and per missing kind of case (rule id, file, what differed), then the counts. */
export function renderRuleTestsText(results: RuleTestResult[], rel: (file: string) => string): string {
  const lines: string[] = [];
  for (const r of results) {
    const where = `${r.kind} ${safe(r.id, 120)} (${safe(rel(r.file), 200)})`;
    for (const c of r.cases) if (!c.ok) lines.push(`FAIL ${where}: ${c.kind} "${safe(c.name, 160)}": ${safe(c.detail ?? 'failed', 600)}`);
    for (const m of r.missing) lines.push(`FAIL ${where}: lacks ${m}`);
  }
  const n = countsOf(results);
  lines.push(
    `${n.rules} rule(s), ${n.cases} case(s): ${n.cases - n.failed} passed, ${n.failed} failed; ${n.untested} rule(s) missing a case they need.${!n.failed && !n.untested ? ' All rules hold.' : ''}`,
  );
  return lines.join('\n');
}

/** Ant JUnit (fixtures/schemas/JUnit.xsd): <testsuites>, one <testsuite> per kind, one <testcase> per case and one per rule for its cases being there. */
export function renderRuleTestsJunit(results: RuleTestResult[], rel: (file: string) => string, opts: { timestamp: string; hostname?: string }): string {
  const kinds = [...new Set(results.map((r) => r.kind))];
  const hostname = (opts.hostname ?? '').trim() || 'localhost';
  const suites = kinds.map((kind, id) => {
    const mine = results.filter((r) => r.kind === kind);
    const cases: string[] = [];
    let failures = 0;
    for (const r of mine) {
      const classname = `${kind}.${safe(r.id, 120)}`;
      for (const c of r.cases) {
        const head = `    <testcase classname="${xmlAttr(classname)}" name="${xmlAttr(`${c.kind}: ${safe(c.name, 160)}`)}" time="0.000"`;
        if (c.ok) cases.push(`${head}/>`);
        else {
          failures++;
          cases.push(`${head}>\n      <failure type="case-failed" message="${xmlAttr(safe(c.detail ?? 'failed', 600))}">${xmlText(`${safe(rel(r.file), 200)}\n${safe(c.detail ?? 'failed', 600)}`)}</failure>\n    </testcase>`);
        }
      }
      const head = `    <testcase classname="${xmlAttr(classname)}" name="has a firing and a passing case" time="0.000"`;
      if (!r.missing.length) cases.push(`${head}/>`);
      else {
        failures++;
        const msg = `lacks ${r.missing.join(', and ')}`;
        cases.push(`${head}>\n      <failure type="case-missing" message="${xmlAttr(msg)}">${xmlText(`${safe(rel(r.file), 200)}\n${msg}`)}</failure>\n    </testcase>`);
      }
    }
    const tests = cases.length;
    return [
      `  <testsuite package="opta.rules" id="${id}" name="opta rules test ${xmlAttr(kind)}" timestamp="${xmlAttr(opts.timestamp)}" hostname="${xmlAttr(hostname)}" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="0.000">`,
      '    <properties/>',
      ...cases,
      `    <system-out>${xmlText(renderRuleTestsText(mine, rel))}</system-out>`,
      '    <system-err/>',
      '  </testsuite>',
    ].join('\n');
  });
  return ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>', ...suites, '</testsuites>', ''].join('\n');
}
