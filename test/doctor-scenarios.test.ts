// Table test: each fixtures/doctor scenario (a home + facts.json) fires exactly its expected rules, and renders them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDoctor } from '../src/doctor/run.js';
import { renderText, summaryLine } from '../src/render/text.js';
import { EXPECTED } from './helpers/doctor-expectations.js';
import { loadScenario, scenarioNames } from './helpers/doctor-scenarios.js';

test('every scenario directory has an expectation and every expectation a directory', () => {
  assert.deepEqual(scenarioNames(), Object.keys(EXPECTED).sort());
});

for (const [name, expected] of Object.entries(EXPECTED)) {
  test(`scenario ${name} -> [${expected.join(', ')}]`, async () => {
    const s = loadScenario(name);
    try {
      const report = await runDoctor({ paths: s.paths, env: s.env, overrides: s.overrides, deadlineMs: 4000 });
      assert.deepEqual(report.ruleProblems, []);
      assert.deepEqual(report.findings.map((f) => f.id).sort(), expected, `${name}: ${s.description}\n${renderText(report, {})}`);
      assert.equal(report.exitCode, report.counts.errors ? 1 : 0);
      const text = renderText(report, {});
      for (const f of report.findings) {
        assert.ok(text.includes(f.message), `${f.id} message is printed`);
        assert.ok(text.includes(`next: ${f.remediation}`), `${f.id} next command is printed`);
        assert.doesNotMatch(f.message + f.remediation, /\(unknown\)|\{\{/, `${f.id}: every placeholder was filled: ${f.message} / ${f.remediation}`);
        assert.ok(f.evidence.length > 0 || f.id === 'check-timed-out', `${f.id} carries evidence`);
      }
      assert.equal(text.trimEnd().split('\n').at(-1), summaryLine(report));
      // Secrets never reach a report: the fixture token is 64 f's.
      assert.doesNotMatch(JSON.stringify(report), /f{32}|secret@/);
    } finally {
      s.cleanup();
    }
  });
}
