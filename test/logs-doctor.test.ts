// Log evidence in opta doctor, on fixture scenarios: under a failing check, hidden once it passes (but in --verbose and JSON); logs-check findings count only the current run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDoctor } from '../src/doctor/run.js';
import { renderRuleProblems, renderText } from '../src/render/text.js';
import { loadScenario } from './helpers/doctor-scenarios.js';
import { guideHealthyReport } from '../fixtures/guide-report.js';

async function doctor(name: string, overrides: Record<string, Record<string, unknown>> = {}) {
  const s = loadScenario(name);
  try {
    return await runDoctor({ paths: s.paths, env: s.env, overrides: { ...s.overrides, ...overrides }, deadlineMs: 4000 });
  } finally {
    s.cleanup();
  }
}

const GUIDE_HEALTHY = guideHealthyReport({ pid: 12345, port: 9999 }, 'lmx-host.local:1234');
const LOG_LINE = '                            log:  lmx preflight failed 14 times since the daemon started, last at 10:00:13: ECONNREFUSED lmx-host.local:1234 (nothing listens there)';

test('an outage that recovered: exactly the guide\'s healthy output; the history only in --verbose and JSON', async () => {
  const r = await doctor('log-outage-recovered');
  assert.equal(r.exitCode, 0);
  assert.equal(renderText(r, {}), GUIDE_HEALTHY);
  assert.deepEqual(r.checks.find((c) => c.id === 'lmx')!.log, [LOG_LINE.trim().replace(/^log: {2}/, '')]);
  assert.deepEqual(r.checks.filter((c) => c.id !== 'lmx').flatMap((c) => c.log), [], 'evidence goes only under the check it is for');
  const verbose = renderText(r, { verbose: true }).split('\n');
  const i = verbose.findIndex((l) => l.startsWith('Checking LMX...'));
  assert.equal(verbose[i + 1], LOG_LINE);
});

test('while LMX fails, the log adds its evidence under the LMX check; the previous run does not count', async () => {
  const r = await doctor('lmx-refused');
  const lines = renderText(r, {}).split('\n');
  const i = lines.findIndex((l) => l.startsWith('Checking LMX...'));
  assert.match(lines[i + 1], /^ {28}why: /);
  assert.match(lines[i + 2], /^ {28}next: /);
  assert.equal(lines[i + 3], '                            log:  lmx preflight failed 2 times since the daemon started, last at 08:00:09: ECONNREFUSED lmx-host.local:1234 (nothing listens there)');
  assert.equal(r.findings.filter((f) => f.check === 'logs').length, 0, 'evidence is never a finding by itself');
});

test('logs-check findings: the current run only, with values filled in and the command that helps', async () => {
  const oom = (await doctor('log-tool-worker-oom')).findings.find((f) => f.id === 'logs-tool-worker-oom')!;
  assert.equal(oom.severity, 'warn');
  assert.equal(oom.message, 'a tool worker ran out of memory 2 times since the daemon started, last at 08:30:00 (tools.memoryLimitMb is 96)');
  assert.equal(oom.remediation, 'opta config set tools.memoryLimitMb 192 && opta daemon restart');
  assert.deepEqual(oom.evidence.map((e) => [e.path, e.factResult]), [['$.patterns.tool-worker-oom.count', 2]]);
  const denied = (await doctor('log-permission-auto-denied')).findings.find((f) => f.id === 'logs-permission-auto-denied')!;
  assert.equal(denied.message, 'permission requests were auto-denied 3 times since the daemon started: nobody answered within 5m (last perm_003 at 08:03:00)');
  const sessions = (await doctor('log-session-unreadable')).findings.find((f) => f.id === 'logs-session-unreadable')!;
  assert.match(sessions.message, /^session files could not be read 2 times since the daemon started, last at 08:00:00: session notes could not be loaded: EACCES/);
  assert.equal(sessions.remediation, 'ls -la ~/.config/opta/sessions/notes');
  const internal = (await doctor('log-internal-errors')).findings.find((f) => f.id === 'logs-internal-errors')!;
  assert.match(internal.message, /^the daemon hit 2 internal error\(s\) since the daemon started, last at 08:02:00: WebSocket for session demo failed: Error: write EPIPE$/);
});

test('a broken log pattern file makes the doctor exit 2 and is printed like a broken rule file; the checks still run', async () => {
  const problem = { file: '/x/rules/logs/bad.json', jsonPath: '$.regex', message: 'not a valid regular expression: Unterminated group' };
  const r = await doctor('healthy', { 'daemon-log-analysis': { patterns: {}, evidence: {}, problems: [problem] } });
  assert.equal(r.exitCode, 2);
  assert.deepEqual(r.ruleProblems, [problem]);
  assert.deepEqual(renderRuleProblems(r), ['opta: rule file /x/rules/logs/bad.json is invalid at $.regex: not a valid regular expression: Unterminated group']);
  assert.equal(r.checks.filter((c) => c.core && c.status === 'ok').length, 5);
});
