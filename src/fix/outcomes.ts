// Rule by rule, what a fix achieved: the first doctor run's findings against the fresh run's (fixed, still failing, needs a person, ...).
import type { DoctorReport } from '../doctor/report-types.js';
import type { PipelineRecord, RuleOutcome } from './fix-types.js';

/** Rule by rule: what the first run found against what the fresh run finds. */
const RANK: Record<string, number> = { info: 0, warn: 1, error: 2 };

export function ruleOutcomes(before: DoctorReport, after: DoctorReport, pipelines: PipelineRecord[]): RuleOutcome[] {
  const now = new Map(after.findings.map((f) => [f.id, f]));
  const byFinding = new Map(pipelines.flatMap((p) => p.findings.map((id) => [id, p] as const)));
  const isNew = (id: string) => !before.findings.some((b) => b.id === id);
  const out: RuleOutcome[] = before.findings.map((f) => {
    const still = now.get(f.id);
    const p = byFinding.get(f.id);
    const base = { id: f.id, check: f.check, severity: f.severity, pipeline: p?.id ?? null };
    if (!still) {
      // Gone, but its check now fails at least as badly in another way (a corrupt state file gone with the daemon
      // that could not start again): the fault changed its shape, it was not fixed.
      const worse = after.findings.find((x) => x.check === f.check && isNew(x.id) && (RANK[x.severity] ?? 0) >= (RANK[f.severity] ?? 0));
      if (worse) return { ...base, outcome: 'still-failing', message: `now: ${worse.message}`, next: worse.remediation };
      return { ...base, outcome: 'fixed', message: f.message, next: null };
    }
    const outcome = !p ? 'needs-person' : p.status === 'needs-confirmation' ? 'needs-confirmation' : 'still-failing';
    const next = outcome === 'needs-confirmation' ? 'opta doctor --fix --yes' : still.remediation;
    return { ...base, outcome, message: still.message, next };
  });
  for (const f of after.findings) {
    // A note (info) that appeared is news, not an outcome of the fix: the crash report --fix keeps before setting a
    // stale state aside is one. The fresh report above the summary shows it.
    if (f.severity !== 'info' && !before.findings.some((b) => b.id === f.id)) {
      out.push({ id: f.id, check: f.check, severity: f.severity, pipeline: null, outcome: 'appeared', message: f.message, next: f.remediation });
    }
  }
  return out;
}

