// Table test of the doctor's check-status policy (assemble, pure): rule results and fact records -> check statuses,
// rule outcomes and exit code, with no facts collected, no timers and no processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble, type AssembleInput } from '../src/doctor/assemble.js';
import type { FactRecord } from '../src/doctor/report-types.js';
import type { CheckStatus, RuleRun } from '../src/doctor/report-types.js';
import type { LoadedRule, Severity } from '../src/doctor/rule-types.js';

/** A selected rule: id, check, severity and the facts its conditions name. */
type RuleSpec = [id: string, check: string, severity: Severity, facts: string[]];
type FactState = 'ok' | 'failed' | 'timed-out';

interface Row {
  name: string;
  rules: RuleSpec[];
  fired?: string[];
  /** Facts collected and how they ended (a fact not listed was not collected). */
  facts: Record<string, FactState>;
  /** Rules the engine did not reach (a run past its deadline); the others that did not fire consulted all their facts. */
  notEvaluated?: string[];
  strict?: boolean;
  ruleProblems?: number;
  checks: Record<string, CheckStatus>;
  exit: 0 | 1 | 2;
  ran?: Record<string, RuleRun['outcome']>;
}

const DAEMON: RuleSpec = ['daemon-down', 'daemon', 'error', ['daemon']];
const LMX: RuleSpec = ['lmx-down', 'lmx', 'error', ['lmx']];
const MODEL: RuleSpec = ['model-missing', 'model', 'error', ['lmx-model']];
const PORTS: RuleSpec = ['port-taken', 'ports', 'warn', ['daemon-ports']];
const VERSION: RuleSpec = ['version-note', 'version', 'info', ['version']];
const TIMED_OUT: RuleSpec = ['check-timed-out', 'doctor', 'error', ['fact-failures']];
const ALL_OK = { daemon: 'ok', lmx: 'ok', 'lmx-model': 'ok', 'daemon-ports': 'ok', version: 'ok', 'fact-failures': 'ok' } as const;

const ROWS: Row[] = [
  { name: 'nothing fired, every fact answered', rules: [DAEMON, LMX, MODEL], facts: ALL_OK, checks: { daemon: 'ok', lmx: 'ok', model: 'ok' }, exit: 0, ran: { 'daemon-down': 'passed' } },
  { name: 'an error fires', rules: [DAEMON, LMX], fired: ['daemon-down'], facts: ALL_OK, checks: { daemon: 'error', lmx: 'ok' }, exit: 1, ran: { 'daemon-down': 'fired', 'lmx-down': 'passed' } },
  { name: 'a warning alone exits 0', rules: [DAEMON, PORTS], fired: ['port-taken'], facts: ALL_OK, checks: { daemon: 'ok', ports: 'warn' }, exit: 0 },
  { name: 'a warning with --strict exits 1', rules: [DAEMON, PORTS], fired: ['port-taken'], facts: ALL_OK, strict: true, checks: { daemon: 'ok', ports: 'warn' }, exit: 1 },
  { name: 'an info never fails, even with --strict', rules: [VERSION], fired: ['version-note'], facts: ALL_OK, strict: true, checks: { version: 'info' }, exit: 0 },
  {
    name: 'the worst finding of a check decides it',
    rules: [['a-warn', 'daemon', 'warn', ['daemon']], ['b-error', 'daemon', 'error', ['daemon']], ['c-info', 'daemon', 'info', ['daemon']]],
    fired: ['a-warn', 'b-error', 'c-info'],
    facts: ALL_OK,
    checks: { daemon: 'error' },
    exit: 1,
  },
  { name: 'a failed fact makes its check not-checked, the rule unknown', rules: [DAEMON, LMX], facts: { ...ALL_OK, lmx: 'failed' }, checks: { daemon: 'ok', lmx: 'not-checked' }, exit: 0, ran: { 'lmx-down': 'unknown' } },
  { name: 'a timed-out fact too', rules: [LMX], facts: { ...ALL_OK, lmx: 'timed-out' }, checks: { lmx: 'not-checked' }, exit: 0, ran: { 'lmx-down': 'unknown' } },
  { name: 'a finding wins over a failed fact of the same check', rules: [DAEMON, ['daemon-other', 'daemon', 'warn', ['daemon-ports']]], fired: ['daemon-other'], facts: { ...ALL_OK, daemon: 'failed' }, checks: { daemon: 'warn' }, exit: 0 },
  { name: 'model is skipped when lmx has an error', rules: [LMX, MODEL], fired: ['lmx-down'], facts: ALL_OK, checks: { lmx: 'error', model: 'skipped' }, exit: 1 },
  { name: 'model is skipped when lmx was not checked', rules: [LMX, MODEL], facts: { ...ALL_OK, lmx: 'timed-out' }, checks: { lmx: 'not-checked', model: 'skipped' }, exit: 0 },
  { name: 'model is not skipped for a warning of lmx', rules: [['lmx-slow', 'lmx', 'warn', ['lmx']], MODEL], fired: ['lmx-slow'], facts: ALL_OK, checks: { lmx: 'warn', model: 'ok' }, exit: 0 },
  { name: 'a fact that was never collected does not make a check not-checked', rules: [DAEMON, MODEL], facts: { daemon: 'ok' }, checks: { daemon: 'ok', model: 'ok' }, exit: 0 },
  { name: "the doctor's own check is never not-checked", rules: [TIMED_OUT], facts: { 'fact-failures': 'failed' }, checks: { doctor: 'ok' }, exit: 0 },
  {
    name: 'past the deadline: the timeout rule fired, the others unknown',
    rules: [DAEMON, LMX, TIMED_OUT],
    fired: ['check-timed-out'],
    notEvaluated: ['daemon-down', 'lmx-down'],
    facts: { daemon: 'ok', lmx: 'timed-out', 'fact-failures': 'ok' },
    checks: { daemon: 'ok', lmx: 'not-checked', doctor: 'error' },
    exit: 1,
    ran: { 'daemon-down': 'unknown', 'lmx-down': 'unknown', 'check-timed-out': 'fired' },
  },
  { name: 'a broken rule file exits 2 on a healthy run', rules: [DAEMON], facts: ALL_OK, ruleProblems: 1, checks: { daemon: 'ok' }, exit: 2 },
  { name: 'a broken rule file exits 2 over errors', rules: [DAEMON], fired: ['daemon-down'], facts: ALL_OK, ruleProblems: 1, checks: { daemon: 'error' }, exit: 2 },
];

function loaded([id, check, severity, facts]: RuleSpec): LoadedRule {
  const params = { id, check, severity, message: `${id} fired`, why: 'why', remediation: 'opta doctor', guide: 'guide', fix: null };
  return { file: `/rules/${id}.json`, rule: { name: id, conditions: { all: [] }, event: { type: 'finding', params } }, facts, templateFacts: [] };
}

function record(id: string, state: FactState): FactRecord {
  const failed = state !== 'ok';
  return { id, ok: !failed, timedOut: state === 'timed-out', ...(state === 'failed' ? { error: 'boom' } : {}), startMs: 0, ms: 1, timeoutMs: 2000, overridden: false, uses: [] };
}

function inputOf(row: Row): AssembleInput {
  const selected = row.rules.map(loaded);
  const fired = selected.filter((r) => row.fired?.includes(r.rule.name)).map((rule) => ({ rule, evidence: [] }));
  const notFired = new Map(selected.filter((r) => !row.fired?.includes(r.rule.name) && !row.notEvaluated?.includes(r.rule.name)).map((r) => [r.rule.name, new Set(r.facts)]));
  const factChecks = new Map<string, Set<string>>();
  for (const r of selected) for (const f of r.facts) factChecks.set(f, (factChecks.get(f) ?? new Set()).add(r.rule.event.params.check));
  const records = Object.entries(row.facts).map(([id, s]) => record(id, s));
  const ruleProblems = Array.from({ length: row.ruleProblems ?? 0 }, () => ({ file: '/rules/x.json', jsonPath: '$', message: 'broken' }));
  return { selected, fired, notFired, records, factChecks, values: {}, logEvidence: {}, ruleProblems, strict: row.strict ?? false };
}

const RUN = { home: '~/.config/opta', startedAt: 0, durationMs: 0, deadlineMs: 5000, deadlineReached: false, loaded: 0, validatedNow: 0 };

for (const row of ROWS) {
  test(`assemble: ${row.name}`, () => {
    const report = assemble(inputOf(row), RUN);
    assert.deepEqual(Object.fromEntries(report.checks.map((c) => [c.id, c.status])), row.checks);
    assert.equal(report.exitCode, row.exit);
    const ran = Object.fromEntries(report.rules.ran.map((r) => [r.id, r.outcome]));
    for (const [id, outcome] of Object.entries(row.ran ?? {})) assert.equal(ran[id], outcome, id);
  });
}

test('assemble: the summary of a check says why it was not checked or skipped', () => {
  const report = assemble(inputOf({ name: '', rules: [LMX, MODEL], facts: { ...ALL_OK, lmx: 'timed-out' }, checks: {}, exit: 0 }), RUN);
  assert.deepEqual(
    report.checks.map((c) => c.summary),
    ['not checked: lmx gave no answer within 2000 ms', 'not checked: LMX was not checked'],
  );
});
