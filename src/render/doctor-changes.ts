// What changed between two doctor reports, as lines for `opta doctor --watch`: a check going bad, changing, recovering.
import type { CheckResult, DoctorReport, Finding } from '../doctor/report-types.js';
import { renderRuleProblems, summaryLine, visibleChecks } from './text.js';

/**
 * A check's state, for comparing runs: its status and which rules fired. Not the message text: "has waited 35 s"
 * or a free-space figure changes every run and is not news.
 */
function stateKey(c: CheckResult): string {
  return `${c.status}:${[...c.findings].sort().join(',')}`;
}

const STATUS_WORD: Record<CheckResult['status'], string> = {
  ok: 'ok',
  info: 'info',
  warn: 'warning',
  error: 'error',
  skipped: 'not checked',
  'not-checked': 'not checked',
};

/** A check's line(s) in its current state, after `prefix` ("daemon: ok -> error:"). */
function checkLines(prefix: string, c: CheckResult, report: DoctorReport): string[] {
  const byId = new Map(report.findings.map((f) => [f.id, f]));
  const findings = c.findings.map((id) => byId.get(id)).filter((f): f is Finding => Boolean(f));
  return findings.length ? findings.map((f) => `${prefix} ${f.message}; next: ${f.remediation}`) : [`${prefix} ${c.summary}`];
}

/** The first run: every check that is not ok (with its next command), then the verdict. */
export function describeState(report: DoctorReport): string[] {
  const lines: string[] = [];
  for (const c of visibleChecks(report)) {
    if (c.status !== 'ok') lines.push(...checkLines(`${c.label}: ${STATUS_WORD[c.status]}:`, c, report));
  }
  lines.push(...renderRuleProblems(report));
  lines.push(summaryLine(report));
  return lines;
}

/** Later runs: only the checks whose state changed, then the new verdict; nothing at all when nothing changed. */
export function describeChanges(prev: DoctorReport, next: DoctorReport): string[] {
  const before = new Map(prev.checks.map((c) => [c.id, c]));
  const lines: string[] = [];
  for (const c of next.checks) {
    const old = before.get(c.id);
    if (old && stateKey(old) === stateKey(c)) continue;
    if (!old && c.status === 'ok') continue;
    const from = old ? STATUS_WORD[old.status] : 'new';
    const word = c.status === 'ok' && old ? 'recovered' : STATUS_WORD[c.status];
    lines.push(...checkLines(`${c.label}: ${from} -> ${word}:`, c, next));
  }
  const problems = (r: DoctorReport) => renderRuleProblems(r).join('\n');
  if (problems(prev) !== problems(next)) lines.push(...(next.ruleProblems.length ? renderRuleProblems(next) : ['the rule files are valid again']));
  if (lines.length || summaryLine(prev) !== summaryLine(next)) lines.push(summaryLine(next));
  return lines;
}
