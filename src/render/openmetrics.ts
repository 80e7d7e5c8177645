// Renders a doctor report as metrics for node_exporter's textfile collector (Prometheus text format, ends with # EOF).
import type { CheckResult, DoctorReport } from '../doctor/report-types.js';

/** Every status a check can have: opta_doctor_check_status has one series per status (1 for the current one). */
export const CHECK_STATUSES: CheckResult['status'][] = ['ok', 'info', 'warn', 'error', 'skipped', 'not-checked'];
const SEVERITIES = ['error', 'warn', 'info'] as const;

/** Label values escape backslash, double quote and line feed; nothing else is special. */
export function labelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function helpText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

type Labels = Record<string, string>;

class Families {
  readonly lines: string[] = [];
  /** A family's HELP and TYPE once, then all its samples together (a parser rejects a family split in two). */
  family(name: string, help: string, samples: Array<[Labels, number]>): void {
    this.lines.push(`# HELP ${name} ${helpText(help)}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${labelValue(v)}"`).join(',');
      this.lines.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? String(value) : 'NaN'}`);
    }
  }
}

const bool = (b: boolean) => (b ? 1 : 0);
const secs = (ms: number) => Math.max(0, ms) / 1000;

/**
 * Gauges only, no timestamps (the textfile collector rejects them); names are stable (alerts and dashboards use
 * them). Every selected rule and every check has its series in every run, at 0 when quiet, so a series never
 * vanishes when a problem goes away.
 */
export function renderOpenMetrics(report: DoctorReport): string {
  const m = new Families();
  m.family('opta_doctor_info', 'The opta version that ran the doctor, and the home it checked (value always 1).', [[{ version: report.tool.version, home: report.home }, 1]]);
  m.family('opta_doctor_last_run_timestamp_seconds', 'When the last doctor run started, in Unix time.', [[{}, Date.parse(report.startedAt) / 1000]]);
  m.family('opta_doctor_run_duration_seconds', 'How long the last doctor run took.', [[{}, secs(report.durationMs)]]);
  m.family('opta_doctor_exit_code', 'Exit code of the last run: 0 healthy, 1 problems (warnings only with --strict), 2 could not run as asked.', [[{}, report.exitCode]]);
  m.family('opta_doctor_deadline_reached', '1 when the last run hit its deadline (--timeout) before every check finished.', [[{}, bool(report.deadlineReached)]]);
  m.family('opta_doctor_findings', 'Findings of the last run, by severity.', SEVERITIES.map((s) => [{ severity: s }, report.findings.filter((f) => f.severity === s).length]));
  m.family(
    'opta_doctor_check_status',
    `Status of each check in the last run: 1 for its current status, 0 for the others (${CHECK_STATUSES.join(', ')}).`,
    report.checks.flatMap((c) => CHECK_STATUSES.map((s): [Labels, number] => [{ check: c.id, status: s }, bool(c.status === s)])),
  );
  m.family(
    'opta_doctor_rule_firing',
    '1 when the rule fired in the last run (rules/doctor/<rule>.json), else 0.',
    report.rules.ran.map((r) => [{ rule: r.id, check: r.check, severity: r.severity }, bool(r.outcome === 'fired')]),
  );
  m.family(
    'opta_doctor_rule_unknown',
    '1 when the rule could not be evaluated in the last run (a fact it needed failed or timed out), else 0.',
    report.rules.ran.map((r) => [{ rule: r.id, check: r.check, severity: r.severity }, bool(r.outcome === 'unknown')]),
  );
  m.family('opta_doctor_fact_duration_seconds', 'How long each fact took to collect in the last run.', report.facts.map((f) => [{ fact: f.id }, secs(f.ms)]));
  m.family('opta_doctor_fact_ok', '1 when the fact was collected, 0 when its collector failed or ran out of time.', report.facts.map((f) => [{ fact: f.id }, bool(f.ok)]));
  m.family('opta_doctor_fact_timed_out', '1 when the fact ran out of time in the last run, else 0.', report.facts.map((f) => [{ fact: f.id }, bool(f.timedOut)]));
  m.family('opta_doctor_rule_file_problems', 'Problems found in the rule files (opta rules validate); those rules did not run.', [[{}, report.ruleProblems.length]]);
  return m.lines.join('\n') + '\n# EOF\n';
}
