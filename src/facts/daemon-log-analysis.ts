// Fact daemon-log-analysis: the log patterns (rules/logs) found in the current daemon run, from a bounded read of the end of daemon.log.
import { human, type Analysis } from '../logs/analysis.js';
import { analyzeCurrentRunWith, CURRENT_RUN_MAX_BYTES } from '../logs/current-run.js';
import { loadPatterns } from '../logs/patterns.js';
import type { FactCollector, FactValue } from './fact.js';

export const LOG_ANALYSIS_FACT = 'daemon-log-analysis';

export const daemonLogAnalysis: FactCollector<typeof LOG_ANALYSIS_FACT> = {
  id: LOG_ANALYSIS_FACT,
  description: 'the current daemon run (after the last "daemon started" line, within the last 256 KiB of daemon.log) matched against rules/logs',
  async collect(ctx) {
    const loaded = await loadPatterns();
    let a = analyzeCurrentRunWith({ paths: ctx.paths, env: ctx.env }, loaded);
    // Findings quote the log, and the log may hold a secret an error message carried: redact before any report sees it.
    // The redactor loads only when there is something to redact (a healthy run never pays for it).
    if (a.findings.length) {
      const { analysisRedactor, redactAnalysis } = await import('../logs/redact-analysis.js');
      a = redactAnalysis(a, await analysisRedactor(ctx.paths, ctx.env, false));
    }
    return factFromAnalysis(a, loaded.patterns);
  },
};

/**
 * The fact's value for an analysis: per pattern its count, first and last time, message and remediation; evidence by
 * check; per pattern family (given the patterns) its total and the member with the most lines, so a rule can say
 * which kind of line dominates (ws-drop: heartbeat timeouts or clients gone) without comparing facts it may lack.
 */
export function factFromAnalysis(a: Analysis, defs: ReadonlyArray<{ id: string; family?: string }> = []): FactValue {
  const patterns: Record<string, FactValue> = {};
  const evidence: Record<string, string[]> = {};
  const families: Record<string, { count: number; dominant: string; dominantCount: number; dominantMessage: string }> = {};
  const familyOf = new Map(defs.filter((d) => d.family).map((d) => [d.id, d.family!]));
  for (const f of a.findings) {
    patterns[f.id] = { count: f.count, severity: f.severity, check: f.check, first: f.first.time, last: f.last.time, message: f.message, remediation: f.remediation };
    if (f.check) (evidence[f.check] ??= []).push(f.message);
    const fam = familyOf.get(f.id);
    if (!fam) continue;
    // Findings come sorted by severity, then count: a family's first is its dominant member (a tie goes to the first).
    const sum = (families[fam] ??= { count: 0, dominant: f.id, dominantCount: f.count, dominantMessage: f.message });
    sum.count += f.count;
  }
  return {
    files: a.files.map((f) => f.display),
    exists: a.files.length > 0,
    maxBytes: a.window?.maxBytes ?? CURRENT_RUN_MAX_BYTES,
    max: human(a.window?.maxBytes ?? CURRENT_RUN_MAX_BYTES),
    bytesRead: a.bytes,
    partial: a.window?.partial ?? false,
    run: a.run,
    lines: a.lines,
    patterns,
    families,
    evidence,
    other: a.other,
    problems: a.problems,
  };
}
