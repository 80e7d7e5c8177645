// --only never drops the rules of the doctor check itself: a selected check that failed or ran out of time still shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDoctor } from '../src/doctor/run.js';
import { loadScenario } from './helpers/doctor-scenarios.js';

for (const [scenario, only, finding] of [
  ['check-failed', ['disk'], 'check-failed'],
  ['check-failed', ['disk-low'], 'check-failed'],
  ['check-timed-out', ['lmx'], 'check-timed-out'],
  ['check-timed-out', ['lmx-timeout', 'model'], 'check-timed-out'],
] as const) {
  test(`${scenario} with --only ${only.join(',')}: ${finding} still shows (exit 1), under the doctor check`, async () => {
    const s = loadScenario(scenario);
    try {
      const r = await runDoctor({ paths: s.paths, env: s.env, overrides: s.overrides, deadlineMs: 4000, only: [...only] });
      assert.deepEqual(r.findings.map((f) => [f.id, f.check]), [[finding, 'doctor']]);
      assert.equal(r.exitCode, 1);
      assert.ok(r.rules.ran.some((x) => x.id === 'check-failed') && r.rules.ran.some((x) => x.id === 'check-timed-out'), 'both rules about the run ran');
    } finally {
      s.cleanup();
    }
  });
}
