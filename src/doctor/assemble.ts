// Stage 3 of a doctor run, assemble (pure: no facts collected, no clock, no I/O): the rules' results and the facts'
// records become findings, check statuses, rule outcomes, the exit code and the report.
import { visible } from '../rules/language/escape.js';
import { byCodeUnit } from '../core/order.js';
import { VERSION } from '../core/version.js';
import type { FactValue } from '../facts/fact.js';
import { checkDef, checkOrder } from '../rules/checks.js';
import type { FiredRule } from './evaluate.js';
import type { FactRecord } from './report-types.js';
import { REPORT_SCHEMA_VERSION, type CheckResult, type DoctorReport, type Finding, type RuleRun } from './report-types.js';
import type { LoadedRule } from './rule-types.js';
import { fillTemplate } from '../rules/language/template.js';
import { expiresAt, type Suppression } from './suppressions.js';

export interface AssembleInput {
  selected: LoadedRule[];
  fired: FiredRule[];
  /** Rules that did not fire, by name, with the facts they consulted; a selected rule absent from both was not evaluated. */
  notFired: ReadonlyMap<string, ReadonlySet<string>>;
  /** Every fact collected, in the order collection began. */
  records: FactRecord[];
  /** Fact id -> the checks of the selected rules that name it. */
  factChecks: ReadonlyMap<string, ReadonlySet<string>>;
  values: Record<string, FactValue>;
  logEvidence: Record<string, string[]>;
  ruleProblems: DoctorReport['ruleProblems'];
  strict: boolean;
  /** An untrusted project pack was ignored, and how to trust it. */
  notices?: string[];
  /** { rule, reason, until } of the user and a trusted project; applied against RunInfo.startedAt. */
  suppressions?: Suppression[];
}

/** What the report says about the run itself, measured by the caller. */
export interface RunInfo {
  home: string;
  startedAt: number;
  durationMs: number;
  deadlineMs: number;
  deadlineReached: boolean;
  loaded: number;
  validatedNow: number;
}

function sevRank(s: string): number {
  return s === 'error' ? 0 : s === 'warn' ? 1 : 2;
}

// A fact's error may quote what it read (or, offline, what a bundle says): shown, never obeyed.
const failure = (r: FactRecord) => (r.timedOut ? `${r.id} gave no answer within ${r.timeoutMs} ms` : `${r.id} failed (${visible(r.error ?? '')})`);

export function findingsOf(fired: FiredRule[], values: Record<string, FactValue>): Finding[] {
  return fired
    .map(({ rule, evidence }) => {
      const p = rule.rule.event.params;
      return {
        id: p.id,
        check: p.check,
        severity: p.severity,
        message: fillTemplate(p.message, values),
        why: visible(p.why),
        remediation: fillTemplate(p.remediation, values),
        guide: p.guide,
        fix: p.fix,
        fixable: p.fix !== null,
        evidence,
        ruleFile: rule.file,
      };
    })
    .sort((a, b) => checkOrder(a.check) - checkOrder(b.check) || sevRank(a.severity) - sevRank(b.severity) || byCodeUnit(a.id, b.id));
}

/**
 * One line per check of the selected rules: its worst finding; else not-checked when a fact it used failed; else
 * skipped when the check it depends on has an error or was not checked; else ok.
 */
export function checkResults(input: Pick<AssembleInput, 'selected' | 'records' | 'factChecks' | 'values' | 'logEvidence'>, findings: Finding[]): CheckResult[] {
  const { records } = input;
  const checkIds = [...new Set(input.selected.map((r) => r.rule.event.params.check))].sort((a, b) => checkOrder(a) - checkOrder(b));
  const checks: CheckResult[] = [];
  for (const id of checkIds) {
    const def = checkDef(id);
    const own = findings.filter((f) => f.check === id);
    const facts = [...input.factChecks.entries()].filter(([, cs]) => cs.has(id)).map(([f]) => f).filter((f) => records.some((r) => r.id === f));
    const used = records.filter((r) => facts.includes(r.id));
    const ms = used.reduce((m, r) => Math.max(m, r.startMs + Math.max(0, r.ms)), 0);
    const log = input.logEvidence[id] ?? [];
    const base = { id, label: def.label, core: def.core, facts, ms, findings: own.map((f) => f.id), log };
    if (own.length) {
      const worst = own.reduce((w, f) => (sevRank(f.severity) < sevRank(w) ? f.severity : w), 'info' as Finding['severity']);
      checks.push({ ...base, status: worst, summary: own[0].message });
      continue;
    }
    const bad = used.filter((r) => !r.ok && id !== 'doctor');
    if (bad.length) {
      checks.push({ ...base, status: 'not-checked', summary: `not checked: ${failure(bad[0])}` });
      continue;
    }
    if (def.dependsOn && checks.some((c) => c.id === def.dependsOn && (c.status === 'error' || c.status === 'not-checked'))) {
      checks.push({ ...base, status: 'skipped', summary: `not checked: ${checkDef(def.dependsOn).label} ${checks.find((c) => c.id === def.dependsOn)!.status === 'error' ? 'has a problem' : 'was not checked'}` });
      continue;
    }
    checks.push({ ...base, status: 'ok', summary: fillTemplate(def.ok, input.values) });
  }
  return checks;
}

/** A rule that did not fire is a pass only if every fact it consulted answered; otherwise its result is unknown. */
export function ruleRuns(input: Pick<AssembleInput, 'selected' | 'notFired' | 'records'>, findings: Finding[]): RuleRun[] {
  const recordOf = new Map(input.records.map((r) => [r.id, r]));
  const firedIds = new Set(findings.map((f) => f.id));
  return input.selected
    .map((r): RuleRun => {
      const p = r.rule.event.params;
      const base = { id: p.id, check: p.check, severity: p.severity };
      if (firedIds.has(p.id)) return { ...base, outcome: 'fired', reason: null };
      const consulted = input.notFired.get(r.rule.name);
      if (!consulted) return { ...base, outcome: 'unknown', reason: "not evaluated before the run's deadline" };
      const bad = [...consulted].map((f) => recordOf.get(f)).find((rec) => rec && !rec.ok);
      if (bad) return { ...base, outcome: 'unknown', reason: failure(bad) };
      return { ...base, outcome: 'passed', reason: null };
    })
    .sort((a, b) => checkOrder(a.check) - checkOrder(b.check) || byCodeUnit(a.id, b.id));
}

/** 2: a rule file is broken; 1: an error found, or a warning with --strict; else 0. */
export function exitCodeOf(counts: DoctorReport['counts'], ruleProblems: number, strict: boolean): 0 | 1 | 2 {
  return ruleProblems ? 2 : counts.errors || (strict && counts.warnings) ? 1 : 0;
}

/** Findings a suppression holds back (not counted), and a notice for each suppression that expired before `now`. */
export function applySuppressions(all: Finding[], suppressions: Suppression[], now: number): { findings: Finding[]; suppressed: DoctorReport['suppressed']; notices: string[] } {
  const notices: string[] = [];
  const active = suppressions.filter((s) => {
    if (expiresAt(s) >= now) return true;
    notices.push(`opta: the suppression of ${s.rule} in ${s.file} expired on ${s.until} (${visible(s.reason)}); its finding counts again. Renew or remove it.`);
    return false;
  });
  const findings: Finding[] = [];
  const suppressed: DoctorReport['suppressed'] = [];
  for (const f of all) {
    const s = f.check === 'doctor' ? undefined : active.find((x) => x.rule === f.id);
    if (s) suppressed.push({ ...f, suppression: { reason: s.reason, until: s.until, file: s.file } });
    else findings.push(f);
  }
  return { findings, suppressed, notices };
}

export function assemble(input: AssembleInput, run: RunInfo): DoctorReport {
  const sup = applySuppressions(findingsOf(input.fired, input.values), input.suppressions ?? [], run.startedAt);
  const findings = sup.findings;
  const checks = checkResults(input, findings);
  const ran = ruleRuns(input, findings);
  const counts = {
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warn').length,
    infos: findings.filter((f) => f.severity === 'info').length,
  };
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'opta', version: VERSION },
    home: run.home,
    startedAt: new Date(run.startedAt).toISOString(),
    durationMs: run.durationMs,
    deadlineMs: run.deadlineMs,
    deadlineReached: run.deadlineReached,
    strict: input.strict,
    status: counts.errors ? 'errors' : counts.warnings ? 'warnings' : 'healthy',
    exitCode: exitCodeOf(counts, input.ruleProblems.length, input.strict),
    counts,
    fixable: findings.filter((f) => f.fixable).map((f) => f.id),
    checks,
    findings,
    facts: input.records,
    rules: { loaded: run.loaded, selected: input.selected.length, validatedNow: run.validatedNow, ran },
    ruleProblems: input.ruleProblems,
    suppressed: sup.suppressed,
    notices: [...(input.notices ?? []), ...sup.notices],
  };
}
