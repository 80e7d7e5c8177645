// Fact fact-failures: which facts (and so which checks) failed or ran out of time in this run; read by the last rules.
import type { FactCollector } from './fact.js';

export interface FailureSource {
  records(): Array<{ id: string; ok: boolean; timedOut: boolean; error?: string; timeoutMs: number }>;
  /** The checks whose rules use a fact. */
  checksOf(factId: string): string[];
}

export function factFailures(source: FailureSource): FactCollector<'fact-failures'> {
  return {
    id: 'fact-failures',
    description: 'facts collected so far in this run that failed or timed out (rules using it run last)',
    collect() {
      const bad = source.records().filter((r) => r.id !== 'fact-failures' && !r.ok);
      const timedOut = bad.filter((r) => r.timedOut);
      const failed = bad.filter((r) => !r.timedOut);
      const checks = (list: typeof bad) => [...new Set(list.flatMap((r) => source.checksOf(r.id)))];
      return {
        timedOutCount: timedOut.length,
        failedCount: failed.length,
        timedOut: timedOut.map((r) => ({ fact: r.id, timeoutMs: r.timeoutMs, checks: source.checksOf(r.id) })),
        failed: failed.map((r) => ({ fact: r.id, error: r.error ?? 'unknown error', checks: source.checksOf(r.id) })),
        timedOutChecks: checks(timedOut).join(', '),
        timedOutFacts: timedOut.map((r) => `${r.id} (${r.timeoutMs} ms)`).join(', '),
        failedChecks: checks(failed).join(', '),
        failedFacts: failed.map((r) => `${r.id}: ${r.error ?? 'unknown error'}`).join('; '),
      };
    },
  };
}
